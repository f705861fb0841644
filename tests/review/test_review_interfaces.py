"""``calculator review``, ``POST /v1/reviews`` and ``calculator.review``: one document, and
clear problems for bad profiles."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import calculator
from calculator.cli import main
from tests.review.helpers import VENDOR, profile


def test_the_cli_http_and_python_give_the_same_document(runner, client, tmp_path):
    path = tmp_path / "vendor.json"
    path.write_text(json.dumps(VENDOR))
    cli = runner.invoke(main, ["review", str(path), "--json"])
    assert cli.exit_code == 0, cli.output
    http = client.post("/v1/reviews", json=VENDOR)
    assert http.status_code == 201, http.get_json()
    stored = {k: v for k, v in http.get_json().items() if k not in ("id", "created_at")}
    python = calculator.review(VENDOR).to_document()
    from_file = calculator.review(str(path)).to_document()
    assert json.loads(cli.stdout) == stored == json.loads(json.dumps(python)) == \
        json.loads(json.dumps(from_file))
    document = http.get_json()
    assert document["summary"]["projected_damages"]["headline"] == "2340000.00"
    assert document["reference"] == "DL-2024-117"
    assert http.headers["X-Ruleset-Revision"] == document["ruleset_revision"]


def test_the_document_carries_what_makes_it_reproducible(client, ruleset):
    document = client.post("/v1/reviews", json=VENDOR).get_json()
    assert document["ruleset_revision"] == ruleset.revision
    canonical = json.dumps(document["profile"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    assert document["profile_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert document["engine_version"]
    first = document["findings"][0]
    assert set(first) == {"code", "severity", "date", "title", "detail", "citations", "facts"}
    assert set(first["citations"][0]) >= {"clause", "version", "quote", "source", "in_force"}


def test_a_bad_profile_is_422_problem_details_naming_each_field(client):
    response = client.post("/v1/reviews", json=profile(VENDOR, purposes=["ai_training", "spam"],
                                                       period={"start": "2025-01-02",
                                                               "end": "2025-01-01"}))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/invalid-input"
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"purposes[1]", "period.end"}


def test_a_body_that_is_not_json_is_refused(client):
    assert client.post("/v1/reviews", data="platform: x",
                       content_type="text/yaml").status_code == 415
    broken = client.post("/v1/reviews", data="{\"platform\": ", content_type="application/json")
    assert broken.status_code == 422
    assert "is not JSON" in broken.get_json()["detail"]
    not_an_object = client.post("/v1/reviews", json=[VENDOR])
    assert not_an_object.status_code == 422


def test_the_cli_says_what_is_wrong_in_one_line_and_exits_2(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(profile(VENDOR, channel="carrier pigeon")))
    result = runner.invoke(main, ["review", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("calculator: the profile is not valid: channel: "
                                            "unknown value 'carrier pigeon'")
    assert len(result.stderr.strip().splitlines()) == 1
    missing = runner.invoke(main, ["review", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "cannot read the profile" in missing.stderr


def test_the_cli_reads_standard_input_and_summarizes_for_people(runner):
    result = runner.invoke(main, ["review", "-"], input=json.dumps(VENDOR))
    assert result.exit_code == 0, result.output
    assert "projected damages: USD 2,340,000.00 headline" in result.stdout
    assert "[high] 2024-11-15 damages.projected" in result.stdout
    assert "cites x.terms-of-service.liquidated-damages version 2024-11-15" in result.stdout


def test_the_cli_writes_the_equivalent_log_whose_assessment_is_the_projection(runner, tmp_path):
    source, log = tmp_path / "vendor.json", tmp_path / "equivalent.csv"
    source.write_text(json.dumps(VENDOR))
    result = runner.invoke(main, ["review", str(source), "--json", "--equivalent-log", str(log)])
    assert result.exit_code == 0, result.output
    projected = next(f for f in json.loads(result.stdout)["findings"]
                     if f["code"] == "damages.projected")
    assert projected["facts"]["schedule"]["equivalent_log_sha256"] == \
        hashlib.sha256(log.read_bytes()).hexdigest()
    assessed = runner.invoke(main, ["assess", str(log), "--json"])
    assert json.loads(assessed.stdout)["headline"]["amount"] == \
        projected["facts"]["headline"]["amount"]


def test_calculator_review_is_callable_before_and_after_its_package_is_imported():
    code = ("import json, calculator; print(type(calculator.review).__name__); "
            f"r = calculator.review({VENDOR!r}); "
            "import calculator.review as package; "
            f"s = calculator.review({VENDOR!r}); "
            "print(r.to_document() == s.to_document(), package is calculator.review)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["function", "True", "True"]


def test_the_openapi_document_describes_reviews(client):
    from openapi_spec_validator import validate

    spec = client.get("/openapi.json").get_json()
    validate(spec)
    post = spec["paths"]["/v1/reviews"]["post"]
    assert set(post["responses"]) >= {"201", "401", "409", "415", "422"}
    assert {"get", "delete"} <= set(spec["paths"]["/v1/reviews/{review_id}"])
    body = post["requestBody"]["content"]["application/json"]
    assert body["example"]["channel"] == "scraping"


def test_the_cli_lists_every_problem_of_a_bad_profile_as_the_api_does(runner, client, tmp_path):
    bad = profile(VENDOR, channel="carrier pigeon", purposes=["gossip"], retention="two years")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    api = client.post("/v1/reviews", json=bad).get_json()
    text = runner.invoke(main, ["review", str(path)])
    assert text.exit_code == 2
    lines = text.stderr.strip().splitlines()
    assert lines[0] == f"calculator: the profile is not valid ({len(api['errors'])} problems):"
    assert len(lines) == 1 + len(api["errors"]) == 4
    for error in api["errors"]:
        assert any(error["field"] in line and error["message"] in line for line in lines[1:])
    as_json = runner.invoke(main, ["review", str(path), "--json"])
    assert as_json.exit_code == 2
    document = json.loads(as_json.stdout)
    assert document["errors"] == api["errors"]
    assert (document["type"], document["detail"]) == (api["type"], api["detail"])


def test_the_cli_says_the_licensed_cost_is_unknown_when_no_price_is_known(runner):
    # Before 2024-12-12 the rules hold no price of X's API: the cost is not known, not zero.
    early = profile(VENDOR, period={"start": "2024-10-01", "end": "2024-12-01"})
    result = runner.invoke(main, ["review", "-"], input=json.dumps(early))
    assert result.exit_code == 0, result.output
    line = next(li for li in result.stdout.splitlines() if li.startswith("licensed cost:"))
    assert line.startswith("licensed cost: unknown (months not priced: 2024-10, 2024-11")
    assert "nothing" not in line
