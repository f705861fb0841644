"""Invariants over every bundled rule: contiguous, non-overlapping history; a stable digest."""

from __future__ import annotations

from itertools import pairwise

import pytest

from calculator.rules import load_ruleset, ruleset_revision
from calculator.timeutil import start_of_day


def test_every_clause_history_is_contiguous_without_gaps_or_overlaps(lookup, ruleset):
    """Each served interval starts at 00:00 UTC of its version's date and ends where the next
    version of the same region starts; the last one is still in force."""
    checked = 0
    for clause_id in ruleset.clauses:
        history = lookup.clause_history(clause_id).entries
        for region in {e.region for e in history}:
            entries = [e for e in history if e.region == region]
            for entry, following in zip(entries, [*entries[1:], None], strict=True):
                assert entry.in_force.start == start_of_day(entry.version.date)
                if following is None:
                    assert entry.in_force.end is None, f"{clause_id} ({region}) ends in a gap"
                else:
                    assert entry.version.date < following.version.date, \
                        f"{clause_id} ({region}) has two versions in force at once"
                    assert entry.in_force.end == start_of_day(following.version.date), \
                        f"{clause_id} ({region}) has a gap or an overlap"
                checked += 1
    assert checked > 20


def test_every_document_version_interval_ends_where_the_next_one_for_its_region_begins(
        lookup, ruleset):
    for document_id in ruleset.documents:
        spans_by_region: dict[str, list] = {}
        for entry in lookup.document_history(document_id).versions:
            for span in entry.in_force:
                spans_by_region.setdefault(span.region, []).append(span.in_force)
        for region, spans in spans_by_region.items():
            for earlier, later in pairwise(spans):
                assert earlier.end == later.start, f"{document_id} ({region})"
            assert spans[-1].end is None


def test_every_clause_version_starts_with_a_document_version_of_the_same_date(ruleset):
    for clause in ruleset.clauses.values():
        document = ruleset.documents[clause.document_id]
        for version in clause.versions:
            for region in version.regions:
                dates = {v.date for v in document.timeline(region)}
                assert version.date in dates, f"{clause.id} {version.date} {region}"


def test_every_present_clause_version_quotes_its_words_and_names_a_source(ruleset):
    for clause in ruleset.clauses.values():
        for version in clause.versions:
            assert version.source.url or (version.source.archive and version.source.path)
            if version.present:
                assert version.quote and version.quote.strip()


def test_only_x_puts_an_amount_on_scraping(ruleset):
    damages = {c.document_id.split(".")[0] for c in ruleset.clauses.values()
               if c.kind == "liquidated-damages"}
    assert damages == {"x"}


def test_the_revision_is_a_digest_of_the_files_and_nothing_else(rules_copy, ruleset):
    assert ruleset_revision(rules_copy) == ruleset.revision  # another location, same digest
    assert load_ruleset(rules_copy).revision == ruleset.revision
    tos = rules_copy / "x" / "terms-of-service.yaml"
    tos.write_text(tos.read_text(encoding="utf-8") + "\n# a comment is an edit too\n",
                   encoding="utf-8")
    assert ruleset_revision(rules_copy) != ruleset.revision


@pytest.mark.parametrize("clause_id", ["x.terms-of-service.liquidated-damages"])
def test_clause_ids_are_platform_document_and_clause(ruleset, clause_id):
    clause = ruleset.clauses[clause_id]
    assert (clause.document_id, clause.key) == ("x.terms-of-service", "liquidated-damages")
