"""Strict YAML for human-edited rule files.

PyYAML on its own accepts a duplicate key (the last one silently wins), turns
``2024-11-15`` into a date and ``no`` into ``False``. A rule file is evidence, so
this loader refuses duplicates, keeps dates as text for the schema to check,
reads only ``true``/``false`` as booleans, and remembers the line of every value
so that an error can point at it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from calculator.errors import FieldProblem

Path_ = tuple[str | int, ...]


# libyaml's parser when PyYAML was built with it: the same nodes, marks and resolvers, ten
# times faster, which is most of a rule lookup's start-up time on the command line.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """SafeLoader without YAML 1.1 timestamps and yes/no booleans."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


class YamlDocument:
    """The data of one file and the line where each value stands."""

    def __init__(self, data: Any, lines: dict[Path_, int]) -> None:
        self.data = data
        self.lines = lines

    def line_of(self, path: Path_) -> int | None:
        """The line of the value at ``path``, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def load_yaml(text: str, filename: str) -> YamlDocument:
    """Parse one rule file; raise ``YamlError`` with every problem when it is not clean."""
    _refuse_aliases(text, filename)
    loader = _StrictLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise YamlError([FieldProblem(f"not valid YAML: {problem}", file=filename,
                                          line=line)]) from None
        if node is None:
            raise YamlError([FieldProblem("the file is empty", file=filename)])
        lines: dict[Path_, int] = {}
        problems: list[FieldProblem] = []
        _check_keys(node, (), lines, problems, filename)
        if problems:
            raise YamlError(problems)
        # The values, from the nodes just checked (not a second parse of the text).
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return YamlDocument(data, lines)


def _refuse_aliases(text: str, filename: str) -> None:
    # An alias copies values from elsewhere in the file: a version would no longer read on
    # its own, and one typo would be reported at every place it was copied to.
    problems = []
    try:
        for event in yaml.parse(text, Loader=_StrictLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                problems.append(FieldProblem(
                    "anchors and aliases (&name, *name, <<) are not allowed in rule files: "
                    "write each version's values out", file=filename,
                    line=event.start_mark.line + 1))
    except yaml.YAMLError:
        return  # the parse below reports it with its line
    if problems:
        raise YamlError(problems)


def _check_keys(node: yaml.Node, path: Path_, lines: dict[Path_, int],
                problems: list[FieldProblem], filename: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(FieldProblem(
                    f"duplicate key '{key}' (first at line {seen[key]})",
                    field=format_path((*path, key)), file=filename, line=line))
                continue
            seen[key] = line
            _check_keys(value_node, (*path, key), lines, problems, filename)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_keys(item, (*path, index), lines, problems, filename)


def format_path(path: Path_) -> str:
    """``('versions', 2, 'date')`` reads as ``versions[2].date``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class YamlError(Exception):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
