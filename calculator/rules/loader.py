"""Read a rules directory, check every fact in it, and build the ruleset.

Layout: ``regions.yaml`` names the regional parts; each platform has a folder
with ``platform.yaml`` and one file per document (``x/terms-of-service.yaml``
is the document ``x.terms-of-service``). Any problem, anywhere, is collected and
reported together with its file, line and field path; a broken ruleset is never
half-loaded.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from calculator.errors import FieldProblem, InvalidArgument, RulesetError
from calculator.rules.countries import is_country
from calculator.rules.file_schemas import (
    DocumentFileSchema,
    PlatformFileSchema,
    RegionsFileSchema,
)
from calculator.rules.kinds import KINDS
from calculator.rules.model import (
    Clause,
    ClauseVersion,
    Document,
    DocumentVersion,
    Part,
    Platform,
    Region,
    Ruleset,
    Source,
)
from calculator.rules.yamlfile import YamlDocument, YamlError, format_path, load_yaml
from calculator.timeutil import zone
from calculator.validation import flatten_messages

RULES_DIR_ENV = "CALCULATOR_RULES_DIR"


def bundled_rules_dir() -> Path:
    """The rules shipped beside the package, unless ``CALCULATOR_RULES_DIR`` names others."""
    configured = os.environ.get(RULES_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "data"


def ruleset_revision(directory: Path) -> str:
    """A sha256 over every rule file's relative path and bytes, in path order.

    Any edit, addition, removal or rename of a rule file changes it, and
    nothing else does (not the checkout's location, not file times).
    """
    digest = hashlib.sha256()
    for path in _rule_files(directory):
        relative = path.relative_to(directory).as_posix().encode()
        content = path.read_bytes()
        digest.update(b"%d:%s%d:" % (len(relative), relative, len(content)))
        digest.update(content)
    return digest.hexdigest()


def _source(spec: dict[str, Any]) -> Source:
    return Source(**{**spec, "also_at": tuple(spec.get("also_at", ()))})


def _rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def load_ruleset(directory: str | os.PathLike[str] | None = None) -> Ruleset:
    """Load and validate every rule file; raise ``RulesetError`` naming each problem."""
    root = Path(directory) if directory is not None else bundled_rules_dir()
    if not root.is_dir():
        raise RulesetError(f"the rules directory {root} does not exist")
    builder = _Builder(root)
    ruleset = builder.build()
    if builder.problems:
        count = len(builder.problems)
        raise RulesetError(
            f"{count} problem{'s' if count > 1 else ''} in the rule files in {root}",
            problems=builder.problems,
        )
    return ruleset


class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[FieldProblem] = []

    # -- reporting -----------------------------------------------------------------------

    def problem(self, file: Path, yaml_doc: YamlDocument | None, path: tuple, message: str) -> None:
        line = yaml_doc.line_of(path) if yaml_doc else None
        self.problems.append(FieldProblem(
            message, field=format_path(path) or None,
            file=file.relative_to(self.root).as_posix(), line=line))

    def read(self, file: Path, schema: Schema) -> tuple[YamlDocument | None, dict | None]:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem(file, None, (), "not UTF-8 text")
            return None, None
        try:
            doc = load_yaml(text, file.relative_to(self.root).as_posix())
        except YamlError as exc:
            self.problems.extend(exc.problems)
            return None, None
        if not isinstance(doc.data, dict):
            self.problem(file, doc, (), "expected a mapping of keys to values at the top")
            return doc, None
        try:
            return doc, schema.load(doc.data)
        except ValidationError as exc:
            for path, message in flatten_messages(exc.messages):
                self.problem(file, doc, path, message)
            return doc, None

    # -- building ------------------------------------------------------------------------

    def build(self) -> Ruleset:
        regions, default_region = self.regions()
        platforms: dict[str, Platform] = {}
        documents: dict[str, Document] = {}
        clauses: dict[str, Clause] = {}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            platform_file = folder / "platform.yaml"
            if not platform_file.is_file():
                self.problems.append(FieldProblem(
                    "a platform folder needs a platform.yaml",
                    file=folder.relative_to(self.root).as_posix()))
                continue
            doc, data = self.read(platform_file, PlatformFileSchema())
            if data is None:
                continue
            if data["id"] != folder.name:
                self.problem(platform_file, doc, ("id",),
                             f"id '{data['id']}' must equal the folder name '{folder.name}'")
                continue
            own: list[str] = []
            for file in sorted(folder.glob("*.yaml")):
                if file.name == "platform.yaml":
                    continue
                document = self.document(file, folder.name, regions)
                if document is not None:
                    documents[document.id] = document
                    own.append(document.id)
                    clauses.update({c.id: c for c in document.clauses})
            platforms[folder.name] = Platform(
                id=folder.name, name=data["name"], documents=tuple(own),
                hosts=tuple(data["hosts"]), media_hosts=tuple(data["media_hosts"]),
                aliases=tuple(data["aliases"]), note=data.get("note"))
        return Ruleset(
            revision=ruleset_revision(self.root), directory=str(self.root), regions=regions,
            default_region=default_region, platforms=platforms, documents=documents,
            clauses=clauses)

    def regions(self) -> tuple[dict[str, Region], str]:
        file = self.root / "regions.yaml"
        if not file.is_file():
            self.problems.append(FieldProblem("missing: the rules need a regions.yaml",
                                              file="regions.yaml"))
            return {}, ""
        doc, data = self.read(file, RegionsFileSchema())
        if data is None:
            return {}, ""
        regions = {rid: Region(rid, r["title"], frozenset(r["countries"]), r["other_countries"],
                               r.get("source", {}).get("url"), r.get("source", {}).get("quote"))
                   for rid, r in data["regions"].items()}
        if data["default"] not in regions:
            self.problem(file, doc, ("default",), f"'{data['default']}' is not one of the regions")
        owner: dict[str, str] = {}
        for rid, spec in data["regions"].items():
            for index, code in enumerate(spec["countries"]):
                if not is_country(code):
                    self.problem(file, doc, ("regions", rid, "countries", index),
                                 f"'{code}' is not an ISO 3166-1 alpha-2 country code")
                elif code in owner:
                    self.problem(file, doc, ("regions", rid, "countries", index),
                                 f"{code} is already listed for {owner[code]}")
                owner[code] = rid
        catch_all = [rid for rid, r in regions.items() if r.other_countries]
        if len(catch_all) > 1:
            self.problem(file, doc, ("regions", catch_all[1], "other_countries"),
                         f"only one region may take the other countries ({catch_all[0]} does)")
        return regions, data["default"]

    def document(self, file: Path, platform: str, regions: dict[str, Region]) -> Document | None:
        doc, data = self.read(file, DocumentFileSchema())
        if data is None:
            return None
        before = len(self.problems)
        if data["id"] != file.stem:
            self.problem(file, doc, ("id",), f"id '{data['id']}' must equal the file name "
                                             f"'{file.stem}'")
        try:
            zone(data["zone"])
        except InvalidArgument as exc:
            self.problem(file, doc, ("zone",), exc.problems[0].message)
            return None
        parts = data.get("parts")
        for region in parts or {}:
            if region not in regions:
                self.problem(file, doc, ("parts", region),
                             f"unknown region '{region}'; the regions are "
                             f"{', '.join(sorted(regions))}")
        doc_regions = tuple(parts) if parts else tuple(regions)
        document_id = f"{platform}.{data['id']}"
        versions = self.document_versions(file, doc, data, document_id, doc_regions)
        clauses = [self.clause(file, doc, data, document_id, key, spec, versions)
                   for key, spec in data["clauses"].items()]
        if len(self.problems) > before:
            return None
        versions = self.read_for(file, doc, data, versions,
                                 [c for c in clauses if c is not None])
        checked = data.get("checked_through")
        if checked is not None and versions and checked < max(v.date for v in versions):
            self.problem(file, doc, ("checked_through",),
                         f"{checked} is before the latest version ({max(v.date for v in versions)})"
                         "; the rules were checked at least through it")
        if len(self.problems) > before:
            return None
        return Document(
            id=document_id, platform=platform, key=data["id"], title=data["title"],
            file=file.relative_to(self.root).as_posix(), zone=data["zone"], regions=doc_regions,
            parts=tuple(Part(r, p["title"], p.get("party"), p.get("heading"))
                        for r, p in (parts or {}).items()),
            versions=tuple(versions), clauses=tuple(c for c in clauses if c is not None),
            url=data.get("url"), unknowns=tuple((u["topic"], u["note"]) for u in data["unknowns"]),
            note=data.get("note"), checked_through=data.get("checked_through"))

    def read_for(self, file: Path, doc: YamlDocument, data: dict,
                 versions: list[DocumentVersion], clauses: list[Clause]
                 ) -> list[DocumentVersion]:
        """Which clauses each version was read for: as listed, or (left out) every clause
        with a version on or before its date for one of its parts."""
        keys = {c.key for c in clauses}
        resolved: list[DocumentVersion] = []
        for index, (version, spec) in enumerate(zip(versions, data["versions"], strict=True)):
            path = ("versions", index)
            stated = spec.get("read_for")
            starting = {c.key for c in clauses for v in c.versions
                        if v.date == version.date and set(v.regions) & set(version.regions)}
            if stated is None:
                read = {c.key for c in clauses for v in c.versions
                        if v.date <= version.date and set(v.regions) & set(version.regions)}
            else:
                read = set(stated)
                for key in sorted(read - keys):
                    self.problem(file, doc, (*path, "read_for"),
                                 f"no clause '{key}' in this file; the clauses are "
                                 f"{', '.join(sorted(keys))}")
                for key in sorted(starting - read):
                    self.problem(file, doc, (*path, "read_for"),
                                 f"the clause '{key}' has a version dated {version.date}, so "
                                 "this version was read for it: list it")
            summaries: tuple[tuple[str, str], ...] = ()
            summary = spec.get("summary")
            if isinstance(summary, dict):
                stray = [p for p in summary if p not in version.regions]
                if stray:
                    self.problem(file, doc, (*path, "summary", stray[0]),
                                 f"'{stray[0]}' is not a part this version covers "
                                 f"({', '.join(version.regions)})")
                summaries = tuple(summary.items())
                summary = None
            resolved.append(replace(version, read_for=frozenset(read & keys),
                                    read_for_stated=stated is not None, summary=summary,
                                    summaries=summaries))
        return resolved

    def document_versions(self, file: Path, doc: YamlDocument, data: dict, document_id: str,
                          doc_regions: tuple[str, ...]) -> list[DocumentVersion]:
        versions: list[DocumentVersion] = []
        latest: dict[str, date] = {}
        for index, spec in enumerate(data["versions"]):
            path = ("versions", index)
            parts = tuple(spec.get("parts", doc_regions))
            for region in parts:
                if region not in doc_regions:
                    self.problem(file, doc, (*path, "parts"),
                                 f"region '{region}' is not a part of this document "
                                 f"({', '.join(doc_regions)})")
                elif region in latest and spec["date"] == latest[region]:
                    self.problem(file, doc, (*path, "date"),
                                 f"two versions on one date ({spec['date']}) for {region}")
                elif region in latest and spec["date"] < latest[region]:
                    self.problem(file, doc, (*path, "date"),
                                 f"versions must be listed oldest first: {spec['date']} comes "
                                 f"after {latest[region]} for {region}")
                latest[region] = spec["date"]
            versions.append(DocumentVersion(
                document_id=document_id, date=spec["date"], dating=spec["dating"], regions=parts,
                source=_source(spec["source"]), zone=data["zone"],
                published=spec.get("published"), observed=spec.get("observed"),
                last_absent=spec.get("last_absent"), printed_date=spec.get("printed_date"),
                summary=spec.get("summary") if isinstance(spec.get("summary"), str) else None,
                note=spec.get("note")))
        return versions

    def clause(self, file: Path, doc: YamlDocument, data: dict, document_id: str, key: str,
               spec: dict, doc_versions: list[DocumentVersion]) -> Clause | None:
        clause_id = f"{document_id}.{key}"
        base = ("clauses", key)
        parameter_schema = KINDS[spec["kind"]]()
        versions: list[ClauseVersion] = []
        previous: dict[str, ClauseVersion] = {}
        for index, entry in enumerate(spec["versions"]):
            path = (*base, "versions", index)
            on_date = [v for v in doc_versions if v.date == entry["date"]]
            if not on_date:
                self.problem(file, doc, (*path, "date"),
                             f"no version of the document is dated {entry['date']}: a clause "
                             "changes only with a document version")
                continue
            covered = tuple(r for v in on_date for r in v.regions)
            parts = tuple(entry.get("parts", covered))
            stray = [r for r in parts if r not in covered]
            if stray:
                self.problem(file, doc, (*path, "parts"),
                             f"the document version of {entry['date']} does not cover "
                             f"{', '.join(stray)}")
                continue
            source = entry.get("source")
            if source is None:
                owners = {v.source for v in on_date if set(parts) & set(v.regions)}
                if len(owners) != 1:
                    self.problem(file, doc, (*path, "source"),
                                 "the parts come from two document versions; name the source")
                    continue
                resolved = owners.pop()
            else:
                resolved = _source(source)
            parameters: dict[str, Any] = {}
            if entry["status"] == "present":
                raw = entry.get("parameters")
                if raw is None and spec["kind"] != "text":
                    self.problem(file, doc, (*path, "parameters"),
                                 f"missing: a '{spec['kind']}' clause needs its parameters")
                    continue
                try:
                    parameters = parameter_schema.load(raw or {})
                except ValidationError as exc:
                    for sub, message in flatten_messages(exc.messages):
                        self.problem(file, doc, (*path, "parameters", *sub), message)
                    continue
            version = ClauseVersion(
                clause_id=clause_id, date=entry["date"], regions=parts, status=entry["status"],
                source=resolved, zone=data["zone"], quote=entry.get("quote"),
                context=tuple(entry["context"]), parameters=parameters,
                evidence=entry["evidence"], note=entry.get("note"))
            for region in parts:
                before = previous.get(region)
                if before is not None and version.date <= before.date:
                    self.problem(file, doc, (*path, "date"),
                                 f"two versions of {key} for {region} on or out of date order "
                                 f"({before.date}, then {version.date})")
                elif before is not None and before.same_terms(version):
                    self.problem(file, doc, (*path,),
                                 f"repeats the words and parameters of its {before.date} "
                                 f"version for {region}; a clause version begins only when "
                                 "they change")
                previous[region] = version
            versions.append(version)
        return Clause(id=clause_id, document_id=document_id, key=key, title=spec["title"],
                      kind=spec["kind"], versions=tuple(versions), section=spec.get("section"))
