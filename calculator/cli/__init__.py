"""The ``calculator`` command: rule lookups, assessments and the server, for pipelines.

Exit codes: 0 success; 1 a check that found problems (``rules check``); 2 bad
input or usage, with one line on stderr saying what and where; 3 over a limit (``assess
--fail-above``, ``budget``); 130 and 143 an assessment stopped by Ctrl-C or SIGTERM.

A pipeline calls the command often, so it starts fast: ``--version`` imports nothing but
click, and each command imports what it needs (pandas, SQLAlchemy, the rules) when it runs,
not when the command line is parsed (see bench/cli_startup.py).
"""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from calculator import __version__
from calculator.errors import CalculatorError, InvalidArgument

if TYPE_CHECKING:
    from marshmallow import Schema

    from calculator.rules import RuleLookup

EXIT_USAGE = 2


JSON_ANSWER = "calculator.json"  # ctx.meta key: the command was asked for --json


# Each command, and where it lives: imported only when it is run or its help is shown.
COMMANDS = {
    "platforms": "rules:platforms", "documents": "rules:documents", "document": "rules:document",
    "clause": "rules:clause", "history": "rules:history", "changes": "rules:changes",
    "rules": "rules:rules_group", "assess": "assess:assess_command",
    "review": "review:review_command", "serve": "serve:serve", "keys": "keys:keys",
    "migrate": "database:migrate_command",
    "watch": "watch:watch_command", "observations": "watch:observations",
    "webhooks": "webhooks:webhooks", "compare": "compare:compare_command",
    "archive": "archive:archive_group", "budget": "budget:budget_group",
    "worker": "worker:worker_command",
}


class Seconds(click.FloatRange):
    """A number of seconds (or days) from ``low`` to ``high``, finite: click's ``FloatRange``
    takes ``nan`` (it compares with nothing) and ``inf``, which gave tracebacks (``int(nan)``,
    ``sleep(inf)``), a poll loop that never slept (``nan``), and a wait that ignored its
    limit."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number from {self.min:g} to {self.max:g}", param, ctx)
        return number


class CalculatorGroup(click.Group):
    """Turns every core error into exit code 2 and a message on stderr: one line, or a
    heading and one line per problem when there are several (a profile with five mistakes
    shows all five). A command run with ``--json`` also prints the RFC 9457 problem
    details on stdout, as the HTTP API answers them."""

    def invoke(self, ctx: click.Context) -> Any:
        given = [*getattr(ctx, "_protected_args", []), *ctx.args]  # the command's own
        if sys.stdout is None:  # started with standard output closed (``>&-``)
            click.echo("calculator: cannot write the answer: standard output is closed",
                       err=True)
            ctx.exit(EXIT_USAGE)
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk or a closed pipe is answered here, in words
            return result
        except click.ClickException as error:
            # A usage error (an option's value, a repeated option, a file -o cannot open):
            # one line and exit code 2 as every problem gets, not click's block of usage
            # and error lines, nor its exit code 1, which ``budget`` gives to over-the-limit.
            command = error.ctx.command_path if getattr(error, "ctx", None) else "calculator"
            message = " ".join(error.format_message().split())
            if ctx.meta.get(JSON_ANSWER):
                write_json(InvalidArgument(message).problem_document())
            click.echo(f"calculator: {message} (see {command} --help)", err=True)
            ctx.exit(EXIT_USAGE)
        except OSError as error:
            # Writing the answer failed (``-o /dev/full``, stdout to a full disk): the
            # command's own reading turns a bad input into its problem, so an OSError
            # that reaches here is the output's. One line, not a traceback.
            where = f" {error.filename}" if getattr(error, "filename", None) else ""
            click.echo(f"calculator: cannot write the answer{where}: "
                       f"{error.strerror or type(error).__name__}", err=True)
            ctx.exit(EXIT_USAGE)
        except CalculatorError as error:
            if ctx.meta.get(JSON_ANSWER):
                write_json(error.problem_document())
            for line in error.lines():
                # A path or name holding a line break would split the one line in two.
                line = _as_given(line, given).replace("\r", "\\r").replace("\n", "\\n")
                click.echo(f"calculator: {line}" if not line.startswith(" ") else line,
                           err=True)
            ctx.exit(EXIT_USAGE)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        # The group's own options are parsed here, before ``invoke``: a repeated --rules (the
        # last was used without a word) and an unknown option get the one-line answer too.
        refuse_repeated_options_of(self, args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # no command at all: click shows the help
        except click.ClickException as error:
            raise OneLineUsageError(error) from None

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            refuse_repeated_options(ctx, command, rest)
        return name, command, rest

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module, _, attribute = COMMANDS[name].partition(":")
            self.add_command(getattr(importlib.import_module(f"calculator.cli.{module}"),
                                     attribute), name)
        return self.commands.get(name)


_FIELD = re.compile(r"^(\s*)([a-z][a-z_]*): ")


def _as_given(line: str, given: list[str]) -> str:
    """A problem's line naming a field by the option the caller gave it with: the core
    speaks the API's names (``assume_tz: ...``), a command line user typed --assume-tz."""
    found = _FIELD.match(line)
    if found is None:
        return line
    option = "--" + found[2].replace("_", "-")
    if not any(token == option or token.startswith(option + "=") for token in given):
        return line
    return f"{found[1]}{option}: {line[found.end():]}"


class OneLineUsageError(click.ClickException):
    """A usage error found before a command runs, shown as every problem is: one line,
    exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, error: click.ClickException) -> None:
        super().__init__(" ".join(error.format_message().split()))

    def show(self, file: Any = None) -> None:
        click.echo(f"calculator: {self.message} (see calculator --help)", err=True)


def refuse_repeated_options_of(group: click.Group, args: list[str]) -> None:
    """The group's own options that take one value, given twice before the command."""
    single = {spelling for option in group.params if isinstance(option, click.Option)
              and not (option.is_flag or option.multiple or option.count)
              for spelling in option.opts}
    given: dict[str, int] = {}
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "--":
        spelling, _, value = args[index].partition("=")
        if spelling in single:
            given[spelling] = given.get(spelling, 0) + 1
            index += 1 if value else 2  # its value follows unless given with "="
        else:
            index += 1
    for spelling, times in given.items():
        if times > 1:
            raise OneLineUsageError(click.UsageError(
                f"{spelling} is given {times} times; give it once"))


def refuse_repeated_options(ctx: click.Context, command: click.Command,
                            args: list[str]) -> None:
    """An option that takes one value, given twice, is a usage error: click keeps the last
    and drops the others without a word (``--region eu-efta-uk --region rest-of-world``
    priced the rest of the world). The HTTP API refuses a repeated parameter alike
    (decision 0159).
    Flags, counts and options that take several values may repeat; the two spellings of a
    flag pair may not be given together. Nested groups are followed to the command their
    arguments name."""
    while isinstance(command, click.Group):
        named = next(((k, c) for k, token in enumerate(args) if not token.startswith("-")
                      and (c := command.get_command(ctx, token)) is not None), None)
        if named is None:
            return
        index, command = named
        args = args[index + 1:]
    # A flag pair (--claim-unowned/--leave-unowned) is one choice: both given, the last won.
    single = {spelling: option for option in command.params
              if isinstance(option, click.Option)
              and not ((option.is_flag and not option.secondary_opts) or option.multiple
                       or option.count)
              for spelling in option.opts + option.secondary_opts}
    given: dict[str, int] = {}
    for token in args:
        if token == "--":
            break
        spelling = token.split("=", 1)[0] if token.startswith("--") else token
        if spelling in single:
            key = single[spelling].opts[0]
            given[key] = given.get(key, 0) + 1
    repeated = [(key, times) for key, times in given.items() if times > 1]
    if repeated:
        key, times = repeated[0]
        pair = next(o for o in single.values() if o.opts[0] == key).secondary_opts
        if pair and any(token.split("=", 1)[0] in pair for token in args):
            raise click.UsageError(f"{key} and {pair[0]} are one choice; give one of them",
                                   ctx=ctx)
        raise click.UsageError(f"{key} is given {times} times; give it once", ctx=ctx)


def answer_in_json(as_json: bool) -> None:
    """Say that this command answers in JSON, so that its errors do too."""
    click.get_current_context().meta[JSON_ANSWER] = as_json


class Session:
    """What commands share: the rules directory, loaded once when first needed."""

    def __init__(self, rules_dir: str | None) -> None:
        self.rules_dir = rules_dir
        self._lookup: RuleLookup | None = None

    @property
    def lookup(self) -> RuleLookup:
        if self._lookup is None:
            from calculator.rules import RuleLookup
            from calculator.rules.cache import load_ruleset_cached

            self._lookup = RuleLookup(load_ruleset_cached(self.rules_dir))
        return self._lookup


pass_session = click.make_pass_decorator(Session)


def emit(schema: Schema, obj: Any, as_json: bool, render: Callable[[dict], str]) -> None:
    """Print the answer: the JSON document, or a reading of it for people."""
    document = schema.dump(obj)
    if as_json:
        write_json(document)
    else:
        click.echo(render(document))


# A lone surrogate: how Python holds a byte of a path that is not UTF-8 (``b\xff.csv``).
_SURROGATE = re.compile("[\ud800-\udfff]")


def write_json(document: Any) -> None:
    """The document as JSON on standard output, UTF-8 throughout: a path's byte that is not
    UTF-8 is written as its JSON escape (``\\udcff``), where it was written raw, which no
    JSON reader takes (or failed the write, a traceback)."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    sys.stdout.write(_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text) + "\n")


def json_flag(help: str) -> Callable:
    """``--json``: the answer as JSON, and so its problems too, from the moment the option
    is read (a command that failed before its first line said so printed no problem)."""
    def answer(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[JSON_ANSWER] = value
        return value

    return click.option("--json", "as_json", is_flag=True, callback=answer, help=help)


json_option = json_flag("Print the JSON document the HTTP API returns.")


@click.group(cls=CalculatorGroup)
@click.option("--rules", "rules_dir", envvar="CALCULATOR_RULES_DIR", metavar="DIR",
              type=click.Path(file_okay=False), default=None,
              help="Rules directory (default: the bundled rules).")
@click.version_option(__version__, prog_name="calculator")
@click.pass_context
def main(ctx: click.Context, rules_dir: str | None) -> None:
    """What scraping a platform costs under its terms, and which terms applied when."""
    ctx.obj = Session(rules_dir)
