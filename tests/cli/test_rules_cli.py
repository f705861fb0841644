"""The rule commands: same documents as the HTTP API, one-line errors, meaningful exit codes."""

from __future__ import annotations

import json

from calculator.cli import main


def test_clause_json_is_the_document_the_http_api_returns(runner, client):
    result = runner.invoke(main, ["clause", "x.terms-of-service.liquidated-damages",
                                  "--at", "2026-02-01", "--region", "eu-efta-uk", "--json"])
    assert result.exit_code == 0, result.output
    over_http = client.get("/v1/clauses/x.terms-of-service.liquidated-damages"
                           "?at=2026-02-01&region=eu-efta-uk").get_json()
    assert json.loads(result.stdout) == over_http


def test_clause_text_names_version_interval_and_words(runner):
    result = runner.invoke(main, ["clause", "x.terms-of-service.liquidated-damages",
                                  "--at", "2025-01-01"])
    assert result.exit_code == 0
    assert "clause version 2024-11-15" in result.stdout
    assert "until 2026-01-15 00:00:00 UTC" in result.stdout
    assert "$15,000 USD per 1,000,000 posts" in result.stdout


def test_clause_text_says_rule_values_in_words_not_rule_file_names(runner):
    result = runner.invoke(main, ["clause", "x.terms-of-service.liquidated-damages",
                                  "--at", "2025-01-01"])
    for words in ("Period: 24 hours", "Owed when the count is: more than",
                  "Liability: jointly and severally", "Acts counted: requesting, viewing"):
        assert words in result.stdout
    for internal in ("PT24H", "more_than", "joint_and_several", "threshold_posts", "['"):
        assert internal not in result.stdout


def test_changes_text_has_no_python_values(runner):
    result = runner.invoke(main, ["changes", "x.terms-of-service", "--from", "2024-01-01",
                                  "--to", "2026-05-01"])
    assert result.exit_code == 0
    assert "Acts counted: none -> requesting, viewing, accessing" in result.stdout
    for internal in ("None ->", "['", "{'", "PT24H", "_"):
        assert internal not in result.stdout.replace("x.terms-of-service", "")


def test_a_clause_not_in_force_exits_2_with_one_line_saying_when_it_was(runner):
    result = runner.invoke(main, ["clause", "x.terms-of-service.liquidated-damages",
                                  "--at", "2024-11-14"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "first in force from 2024-11-15" in lines[0]


def test_a_bad_date_exits_2_naming_the_option(runner):
    result = runner.invoke(main, ["clause", "x.terms-of-service.liquidated-damages",
                                  "--at", "15/11/2024"])
    assert result.exit_code == 2
    assert result.stderr.startswith("calculator: --at: '15/11/2024'")


def test_changes_json_matches_http(runner, client):
    result = runner.invoke(main, ["changes", "x.terms-of-service", "--from", "2024-01-01",
                                  "--to", "2026-05-01", "--json"])
    assert result.exit_code == 0
    over_http = client.get("/v1/documents/x.terms-of-service/changes"
                           "?from=2024-01-01&to=2026-05-01").get_json()
    assert json.loads(result.stdout) == over_http


def test_changes_text_shows_the_inserted_word(runner):
    result = runner.invoke(main, ["changes", "x.terms-of-service", "--from", "2025-01-01",
                                  "--to", "2026-02-01"])
    assert '+ "knowingly"' in result.stdout


def test_history_and_document_and_platforms(runner):
    history = runner.invoke(main, ["history", "x.terms-of-service.liquidated-damages"])
    assert "(absent: no such clause)" in history.stdout
    document = runner.invoke(main, ["document", "x.terms-of-service"])
    assert "2026-04-10 (printed)" in document.stdout
    platforms = runner.invoke(main, ["platforms", "--json"])
    assert any(p["id"] == "x" for p in json.loads(platforms.stdout))
    documents = runner.invoke(main, ["documents", "x"])
    assert "x.terms-of-service" in documents.stdout


def test_rules_check_prints_the_revision_of_valid_rules(runner, ruleset):
    result = runner.invoke(main, ["rules", "check"])
    assert result.exit_code == 0
    assert f"revision {ruleset.revision}" in result.stdout


def test_rules_check_lists_each_problem_with_file_and_field_and_exits_1(runner, rules_copy):
    tos = rules_copy / "x" / "terms-of-service.yaml"
    tos.write_text(tos.read_text(encoding="utf-8").replace("currency: USD", "currency: usd"),
                   encoding="utf-8")
    result = runner.invoke(main, ["rules", "check", str(rules_copy)])
    assert result.exit_code == 1
    assert ("x/terms-of-service.yaml:" in result.stderr
            and "clauses.liquidated-damages.versions[2].parameters.currency" in result.stderr)


def test_lookups_answer_from_the_rules_directory_named_by_the_option(runner, rules_copy):
    tos = rules_copy / "x" / "terms-of-service.yaml"
    tos.write_text(tos.read_text(encoding="utf-8").replace("kind: text", "kind: txt", 1),
                   encoding="utf-8")
    result = runner.invoke(main, ["--rules", str(rules_copy), "platforms"])
    assert result.exit_code == 2
    assert "problem" in result.stderr and "x/terms-of-service.yaml" in result.stderr
