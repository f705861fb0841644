"""A broken rule file is refused with its file, line and field path; nothing half-loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calculator.errors import RulesetError
from calculator.rules import bundled_rules_dir, load_ruleset

TOS = "x/terms-of-service.yaml"


@pytest.fixture
def rules(tmp_path) -> Path:
    """The X Terms alone, with the files every ruleset needs."""
    root = tmp_path / "rules"
    (root / "x").mkdir(parents=True)
    for name in ("regions.yaml", "x/platform.yaml", TOS):
        shutil.copy(bundled_rules_dir() / name, root / name)
    load_ruleset(root)  # valid before each test breaks it
    return root


def edit(root: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems_of(root: Path) -> list:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(root)
    return caught.value.problems


def only_problem(root: Path):
    problems = problems_of(root)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_an_unknown_key_is_a_typo_not_an_ignored_fact(rules):
    edit(rules, TOS, "    dating: printed\n    published: 2024-10-17",
         "    dating: printed\n    publshed: 2024-10-17")
    problem = only_problem(rules)
    assert problem.file == TOS
    assert problem.field == "versions[3].publshed"
    assert "unknown key" in problem.message
    assert problem.line is not None and problem.line > 1


def test_a_missing_required_field_is_named(rules):
    edit(rules, TOS, "    kind: liquidated-damages\n", "")
    problem = only_problem(rules)
    assert problem.field == "clauses.liquidated-damages.kind"
    assert "required" in problem.message


def test_a_duplicate_key_is_refused_with_both_lines(rules):
    edit(rules, TOS, "  threshold_posts: 1000000\n", "  threshold_posts: 1000000\n"
         "          threshold_posts: 2000000\n")
    problem = only_problem(rules)
    assert "duplicate key 'threshold_posts'" in problem.message
    assert "first at line" in problem.message
    assert problem.field.endswith("parameters.threshold_posts")


def test_a_date_that_does_not_exist_is_refused(rules):
    edit(rules, TOS, "  - date: 2026-04-10\n", "  - date: 2026-04-31\n")
    problem = only_problem(rules)
    assert problem.field == "versions[5].date"
    assert "date" in problem.message.lower()


def test_two_versions_on_one_date_are_refused(rules):
    edit(rules, TOS, "  - date: 2026-04-10\n    dating: printed\n    parts: [rest-of-world]",
         "  - date: 2026-01-15\n    dating: printed\n    parts: [rest-of-world]")
    problems = problems_of(rules)
    assert any(p.field == "versions[5].date" and "two versions on one date" in p.message
               for p in problems)


def test_versions_out_of_date_order_are_refused(rules):
    edit(rules, TOS, "  - date: 2026-04-10\n    dating: printed\n    parts: [rest-of-world]",
         "  - date: 2025-04-10\n    dating: printed\n    parts: [rest-of-world]")
    problems = problems_of(rules)
    assert any("oldest first" in p.message for p in problems)


@pytest.mark.parametrize("old, new, field, expected", [
    ("threshold_posts: 1000000", 'threshold_posts: "1000000"',
     "parameters.threshold_posts", "whole number"),
    ("threshold_posts: 1000000", "threshold_posts: 1000000.5",
     "parameters.threshold_posts", "whole number"),
    ('amount: "15000.00"', "amount: 15000.00", "parameters.amount", "quoted decimal"),
    ("window: PT24H", "window: 24 hours", "parameters.window", "ISO 8601 duration"),
    ("currency: USD", "currency: dollars", "parameters.currency", "currency code"),
    ("threshold_rule: more_than", "threshold_rule: at_least_a_million",
     "parameters.threshold_rule", "Must be one of"),
])
def test_a_parameter_of_the_wrong_type_is_refused(rules, old, new, field, expected):
    edit(rules, TOS, old, new)
    problem = only_problem(rules)
    assert problem.field.startswith("clauses.liquidated-damages.versions[2]")
    assert problem.field.endswith(field)
    assert expected in problem.message


def test_a_clause_version_must_start_with_a_document_version(rules):
    edit(rules, TOS, "      - date: 2026-01-15\n        parts: [rest-of-world]\n"
                     "        quote: \"you will be",
         "      - date: 2026-01-16\n        parts: [rest-of-world]\n        quote: \"you will be")
    problem = only_problem(rules)
    assert problem.field == "clauses.liquidated-damages.versions[4].date"
    assert "no version of the document is dated 2026-01-16" in problem.message


def test_a_clause_version_that_changes_nothing_is_refused(rules):
    edit(rules, TOS, "            - {claims: federal, period: P1Y}\n"
                     "            - {claims: state, period: P2Y}",
         "            - {claims: all, period: P1Y}")
    edit(rules, TOS, '        quote: "asserting a state law claim within two (2) years"\n'
                     '        context:\n          - "within one (1) year"\n',
         '        quote: "you must initiate any proceeding or action within one (1) year of the '
         'date of the occurrence of the event or facts giving rise to a dispute"\n')
    problem = only_problem(rules)
    assert "repeats the words and parameters of its 2024-11-15 version" in problem.message


def test_a_region_outside_the_vocabulary_is_refused(rules):
    edit(rules, TOS, "    parts: [rest-of-world]\n    observed: 2026-04-11",
         "    parts: [united-states]\n    observed: 2026-04-11")
    problems = problems_of(rules)
    assert any(p.field == "versions[5].parts" and "united-states" in p.message
               for p in problems)


def test_an_unknown_clause_kind_is_refused(rules):
    edit(rules, TOS, "kind: liquidated-damages", "kind: liquidated-damage")
    problem = only_problem(rules)
    assert problem.field == "clauses.liquidated-damages.kind"


def test_a_present_clause_version_needs_its_quoted_words(rules):
    edit(rules, TOS, '        quote: "exclusively before a competent court in Ireland"\n', "")
    problem = only_problem(rules)
    assert problem.field == "clauses.governing-law.versions[2].quote"


def test_yaml_that_does_not_parse_names_its_line(rules):
    edit(rules, TOS, "title: X Terms of Service\n", "title: [X Terms of Service\n")
    problem = only_problem(rules)
    assert problem.file == TOS
    assert problem.line is not None
    assert "not valid YAML" in problem.message


def test_yes_and_no_are_not_booleans_in_rule_files(rules):
    edit(rules, TOS, "states_damages_amount: false", "states_damages_amount: no")
    problem = only_problem(rules)
    assert "expected true or false" in problem.message


def test_a_file_must_be_named_after_its_document_id(rules):
    (rules / TOS).rename(rules / "x" / "tos.yaml")
    problem = only_problem(rules)
    assert problem.file == "x/tos.yaml" and problem.field == "id"


def test_a_platform_folder_without_platform_yaml_is_refused(rules):
    (rules / "x" / "platform.yaml").unlink()
    problem = only_problem(rules)
    assert problem.file == "x"


def test_every_problem_of_a_file_is_reported_at_once(rules):
    edit(rules, TOS, "kind: liquidated-damages", "kind: nonsense")
    edit(rules, TOS, "  - date: 2026-04-10\n", "  - date: 2026-04-31\n")
    fields = {p.field for p in problems_of(rules)}
    assert {"clauses.liquidated-damages.kind", "versions[5].date"} <= fields


def test_every_parameter_problem_is_reported_at_once(rules):
    edit(rules, TOS, "currency: USD", "currency: dollars")
    edit(rules, TOS, "law: Ireland", "law: 42")
    fields = {p.field for p in problems_of(rules)}
    assert "clauses.liquidated-damages.versions[2].parameters.currency" in fields
    assert "clauses.governing-law.versions[2].parameters.law" in fields


def test_anchors_and_aliases_are_refused_so_each_version_reads_on_its_own(rules):
    edit(rules, TOS, "        parameters:\n          threshold_posts",
         "        parameters: &copied\n          threshold_posts")
    problem = only_problem(rules)
    assert "anchors and aliases" in problem.message and problem.line


def test_a_missing_rules_directory_is_a_clear_error(tmp_path):
    with pytest.raises(RulesetError, match="does not exist"):
        load_ruleset(tmp_path / "nowhere")
