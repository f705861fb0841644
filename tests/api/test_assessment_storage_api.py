"""Stored assessments over HTTP, on SQLite and PostgreSQL: kept, found, listed, replayed,
deleted; retried safely with Idempotency-Key; protected by API keys; limited in size."""

from __future__ import annotations

import gzip
import io
import logging

import pytest
from sqlalchemy import inspect, select, text

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"
OTHER_LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,700000\n2025-03-02T06:00:00Z,700000\n"


def post(client, body=LOG, query="", headers=None, content_type="text/csv"):
    return client.post(f"/v1/assessments{query}", data=body, content_type=content_type,
                       headers=headers or {})


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def create_key(app, name):
    return app.extensions["calculator.store"].keys.create(name)[1]


# -- kept and found again --------------------------------------------------------------------

def test_post_stores_the_assessment_and_answers_201_with_its_location(stored_client):
    response = post(stored_client, query="?reference=LEGAL-1234")
    assert response.status_code == 201
    document = response.get_json()
    assert response.headers["Location"] == f"/v1/assessments/{document['id']}"
    assert list(document)[:3] == ["id", "created_at", "reference"]
    assert document["reference"] == "LEGAL-1234"
    assert document["created_at"].endswith("Z")
    assert document["headline"]["amount"] == "18000.00"


def test_get_returns_the_same_document(stored_client):
    created = post(stored_client)
    fetched = stored_client.get(created.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.get_json() == created.get_json()


def test_a_stored_assessment_survives_a_restart(make_app):
    first = make_app()
    created = post(first.test_client(), query="?region=eu-efta-uk").get_json()
    first.extensions["calculator.store"].dispose()
    restarted = make_app()  # a new process would do the same: open the database, migrate
    fetched = restarted.test_client().get(f"/v1/assessments/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == created


def test_an_unknown_id_is_404_problem_details(stored_client):
    response = stored_client.get("/v1/assessments/0123456789abcdef0123456789abcdef")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == "/problems/not-found"


def test_delete_removes_it_for_good(stored_client):
    location = post(stored_client).headers["Location"]
    deleted = stored_client.delete(location)
    assert deleted.status_code == 204 and deleted.data == b""
    assert stored_client.get(location).status_code == 404
    assert stored_client.post(f"{location}/replay").status_code == 404
    assert stored_client.delete(location).status_code == 404
    assert stored_client.get("/v1/assessments").get_json()["total"] == 0


# -- the list --------------------------------------------------------------------------------

def test_the_list_pages_newest_first(stored_client):
    ids = [post(stored_client, query=f"?reference=T-{n}").get_json()["id"] for n in range(5)]
    first = stored_client.get("/v1/assessments?page_size=2").get_json()
    assert (first["total"], first["pages"], first["page"]) == (5, 3, 1)
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]
    assert first["links"]["previous"] is None
    item = first["items"][0]
    assert item["href"] == f"/v1/assessments/{item['id']}"
    assert item["headline"]["amount"] == "18000.00" and "readings" not in item
    post(stored_client)  # stored while paging: the links pin created_to, so pages do not shift
    second = stored_client.get(first["links"]["next"]).get_json()
    assert [i["id"] for i in second["items"]] == ids[::-1][2:4]
    third = stored_client.get(second["links"]["next"]).get_json()
    assert [i["id"] for i in third["items"]] == [ids[0]] and third["links"]["next"] is None
    assert stored_client.get("/v1/assessments").get_json()["total"] == 6


def test_the_list_filters_by_platform_reference_and_creation_dates(stored_client):
    post(stored_client, query="?reference=A")
    post(stored_client, query="?reference=B")
    post(stored_client, query="?reference=A&region=eu-efta-uk")
    by_ref = stored_client.get("/v1/assessments?reference=A").get_json()
    assert by_ref["total"] == 2 and {i["reference"] for i in by_ref["items"]} == {"A"}
    assert stored_client.get("/v1/assessments?platform=x").get_json()["total"] == 3
    assert stored_client.get("/v1/assessments?platform=reddit").get_json()["total"] == 0
    assert stored_client.get("/v1/assessments?created_from=2000-01-01&created_to=2000-01-02"
                             ).get_json()["total"] == 0
    assert stored_client.get("/v1/assessments?created_from=2000-01-01").get_json()["total"] == 3


@pytest.mark.parametrize("query", ["page=0", "page_size=101", "created_from=yesterday",
                                   "page=x"])
def test_a_bad_list_parameter_is_422(stored_client, query):
    response = stored_client.get(f"/v1/assessments?{query}")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


# -- replay ----------------------------------------------------------------------------------

def test_replay_under_the_same_rules_gives_the_same_amounts(stored_client):
    created = post(stored_client, query="?region=eu-efta-uk&tz=Europe/Dublin").get_json()
    replayed = stored_client.post(f"/v1/assessments/{created['id']}/replay")
    assert replayed.status_code == 200
    body = replayed.get_json()
    assert body["id"] == created["id"]
    stored = {k: v for k, v in created.items() if k not in ("id", "created_at", "reference")}
    assert body["document"] == stored
    assert body["changes"]["changed"] == []
    assert all(not r["changed"] for r in body["changes"]["readings"])


def test_replay_under_changed_rules_says_what_changed(make_app, rules_copy):
    created = post(make_app().test_client()).get_json()
    tos = rules_copy / "x" / "terms-of-service.yaml"
    text_ = tos.read_text(encoding="utf-8")
    assert text_.count('amount: "15000.00"') >= 1
    tos.write_text(text_.replace('amount: "15000.00"', 'amount: "30000.00"'), encoding="utf-8")
    changed_rules = make_app(RULES_DIR=str(rules_copy)).test_client()
    # The stored document does not change with the rules ...
    assert changed_rules.get(f"/v1/assessments/{created['id']}").get_json() == created
    # ... its replay prices the same counts under the new rules.
    body = changed_rules.post(f"/v1/assessments/{created['id']}/replay").get_json()
    changes = body["changes"]
    assert {"ruleset_revision", "headline", "range", "readings"} <= set(changes["changed"])
    assert changes["ruleset_revision"]["old"] == created["ruleset_revision"]
    assert changes["headline"]["old"]["amount"] == "18000.00"
    assert changes["headline"]["new"]["amount"] == "36000.00"
    assert body["document"]["headline"]["amount"] == "36000.00"
    worst = next(r for r in changes["readings"] if (r["window"], r["rate"], r["basis"]) ==
                 ("rolling_worst_case", "pro_rata", "all_posts"))
    assert (worst["old"], worst["new"], worst["changed"]) == ("18000.00", "36000.00", True)
    assert [w["amount"] for w in worst["windows_removed"]] == ["18000.00"]
    assert [w["amount"] for w in worst["windows_added"]] == ["36000.00"]


# -- Idempotency-Key -------------------------------------------------------------------------

def test_a_retry_with_the_same_idempotency_key_returns_the_first_assessment(stored_client):
    headers = {"Idempotency-Key": "8d5c4b1e-retry"}
    first = post(stored_client, query="?reference=T-1", headers=headers)
    retry = post(stored_client, query="?reference=T-1", headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored_client.get("/v1/assessments").get_json()["total"] == 1


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(stored_client):
    def upload():
        return stored_client.post("/v1/assessments", content_type="multipart/form-data",
                                  headers={"Idempotency-Key": "multi"},
                                  data={"log": (io.BytesIO(LOG), "crawl.csv"),
                                        "region": "eu-efta-uk", "reference": "T-9"})
    first, retry = upload(), upload()
    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert first.get_json()["reference"] == "T-9"


@pytest.mark.parametrize("change", [
    {"body": OTHER_LOG}, {"query": "?region=eu-efta-uk"}, {"query": "?reference=other"},
    {"body": gzip.compress(LOG)}])
def test_the_same_key_with_another_body_is_409(stored_client, change):
    headers = {"Idempotency-Key": "k-409"}
    first = post(stored_client, headers=headers)
    assert first.status_code == 201
    again = post(stored_client, body=change.get("body", LOG), query=change.get("query", ""),
                 headers=headers)
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert again.get_json()["type"] == "/problems/conflict"
    assert stored_client.get("/v1/assessments").get_json()["total"] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_an_idempotency_key_that_is_not_1_to_255_visible_ascii_is_422(stored_client, key):
    response = post(stored_client, headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"


# -- API keys --------------------------------------------------------------------------------

def test_without_any_key_the_service_is_open(stored_client):
    assert post(stored_client).status_code == 201
    assert stored_client.get("/v1/assessments").status_code == 200


def test_once_a_key_exists_a_call_without_it_is_401_problem_details(make_app):
    app = make_app()
    client = app.test_client()
    create_key(app, "ci")
    for response in (post(client), client.get("/v1/assessments"),
                     client.get("/v1/assessments/abc"), client.delete("/v1/assessments/abc"),
                     client.post("/v1/assessments/abc/replay"),
                     post(client, headers={"Authorization": "Basic Y2k6eA=="})):
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
        assert response.get_json()["type"] == "/problems/unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_or_revoked_key_is_401(make_app):
    app = make_app()
    client = app.test_client()
    key = create_key(app, "ci")
    assert post(client, headers=bearer(key)).status_code == 201
    assert post(client, headers=bearer(key[:-2] + "zz")).status_code == 401
    app.extensions["calculator.store"].keys.revoke("ci")
    assert post(client, headers=bearer(key)).status_code == 401


def test_another_keys_assessment_is_404_not_403(make_app):
    app = make_app()
    client = app.test_client()
    ci, counsel = create_key(app, "ci"), create_key(app, "counsel")
    location = post(client, headers=bearer(ci)).headers["Location"]
    for response in (client.get(location, headers=bearer(counsel)),
                     client.post(f"{location}/replay", headers=bearer(counsel)),
                     client.delete(location, headers=bearer(counsel))):
        assert response.status_code == 404
        assert response.get_json()["type"] == "/problems/not-found"
    assert client.get("/v1/assessments", headers=bearer(counsel)).get_json()["total"] == 0
    assert client.get("/v1/assessments", headers=bearer(ci)).get_json()["total"] == 1
    assert client.get(location, headers=bearer(ci)).status_code == 200


def test_an_idempotency_key_of_another_api_key_is_not_shared(make_app):
    app = make_app()
    client = app.test_client()
    ci, counsel = create_key(app, "ci"), create_key(app, "counsel")
    mine = post(client, headers={**bearer(ci), "Idempotency-Key": "same"}).get_json()
    theirs = post(client, body=OTHER_LOG, headers={**bearer(counsel), "Idempotency-Key": "same"})
    assert theirs.status_code == 201 and theirs.get_json()["id"] != mine["id"]


def test_assessments_made_before_the_first_key_are_not_shown_to_keys(make_app):
    app = make_app()
    client = app.test_client()
    location = post(client).headers["Location"]
    key = create_key(app, "ci")
    hidden = client.get(location, headers=bearer(key))
    assert hidden.status_code == 404
    assert "made before the first key was created belong to no key" in \
        hidden.get_json()["detail"]
    assert "calculator keys claim NAME" in hidden.get_json()["detail"]
    app.extensions["calculator.store"].claim_unowned("ci")  # calculator keys claim ci
    assert client.get(location, headers=bearer(key)).status_code == 200


def test_without_a_key_the_401_says_reviews_and_curves_need_one_too(make_app):
    app = make_app()
    client = app.test_client()
    location = post(client).headers["Location"]
    create_key(app, "ci")
    for path in (location, f"{location}/curve", "/v1/reviews"):
        refused = client.get(path)
        assert refused.status_code == 401
        assert "Assessments, their curves and reports, and reviews all need it" in \
            refused.get_json()["detail"]


def test_rule_lookups_stay_open_unless_configured(make_app):
    path = "/v1/clauses/x.terms-of-service.liquidated-damages?at=2025-01-01"
    open_app = make_app()
    create_key(open_app, "ci")
    assert open_app.test_client().get(path).status_code == 200
    closed = make_app(REQUIRE_KEY_FOR_RULES=True)
    assert closed.test_client().get(path).status_code == 401
    key = create_key(closed, "counsel")
    assert closed.test_client().get(path, headers=bearer(key)).status_code == 200
    assert closed.test_client().get("/health").status_code == 200


def test_the_key_never_appears_in_the_apps_log_or_its_answers(make_app, caplog):
    app = make_app()
    client = app.test_client()
    key = create_key(app, "ci")
    caplog.set_level(logging.DEBUG)
    post(client, headers=bearer(key))
    post(client, headers=bearer(key + "x"))
    client.get("/v1/assessments", headers=bearer(key))
    assert key not in caplog.text
    bad = post(client, headers=bearer(key + "x")).get_data(as_text=True)
    assert key not in bad


# -- limits and errors -----------------------------------------------------------------------

def test_a_body_over_the_limit_is_413_problem_details(make_app):
    # Jobs by size off: a body over the request's limit would otherwise become a job.
    client = make_app(MAX_CONTENT_LENGTH=1000, ASYNC_ABOVE=None).test_client()
    response = post(client, body=LOG + b"2025-03-03T06:00:00Z,1\n" * 60)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == "/problems/payload-too-large"
    assert client.get("/v1/assessments").get_json()["total"] == 0


def test_a_chunked_body_over_the_limit_is_stopped_while_reading_with_413(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000, ASYNC_ABOVE=None).test_client()
    body = LOG + b"2025-03-03T06:00:00Z,1\n" * 60
    # A chunked request has no Content-Length; the server marks its input as terminated.
    response = client.post("/v1/assessments", input_stream=io.BytesIO(body),
                           content_type="text/csv",
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_a_gzip_bomb_is_stopped_while_reading_with_413(make_app):
    limit = 1 << 20
    client = make_app(MAX_CONTENT_LENGTH=limit).test_client()
    rows = b"2025-03-03T06:00:00Z,1\n" * 2_000_000  # 46 MB of CSV ...
    bomb = gzip.compress(b"timestamp,posts\n" + rows, compresslevel=9)
    assert len(bomb) < limit // 4  # ... in a small body
    response = post(client, body=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    body = response.get_json()
    assert body["type"] == "/problems/payload-too-large"
    assert "decompressed" in body["detail"]
    assert client.get("/v1/assessments").get_json()["total"] == 0


def test_a_gzip_bomb_in_a_crawlers_format_is_stopped_too(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1 << 20).test_client()
    line = (b'203.0.113.9 - - [01/Mar/2025:18:00:00 +0000] "GET https://x.com/a/status/'
            b'1851234567890123456 HTTP/1.1" 200 5123 "-" "bot"\n')
    bomb = gzip.compress(line * 400_000, compresslevel=9)  # 48 MB of access log in ~170 kB
    response = post(client, body=bomb, content_type="application/gzip")
    assert response.status_code == 413
    assert "decompressed" in response.get_json()["detail"]


def test_a_failure_of_ours_is_500_without_traceback_or_server_path(make_app, monkeypatch):
    app = make_app()
    store = app.extensions["calculator.store"]

    def broken(*args, **kwargs):
        raise RuntimeError(f"disk error in {app.instance_path}/secret.sqlite3")

    monkeypatch.setattr(store, "get", broken)
    response = app.test_client().get("/v1/assessments/abc")
    assert response.status_code == 500
    text_ = response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert "Traceback" not in text_ and app.instance_path not in text_ and "secret" not in text_


# -- what the database holds -----------------------------------------------------------------

def test_the_database_holds_no_urls_or_post_ids(make_app, database_url, tmp_path):
    app = make_app()
    client = app.test_client()
    secrets_ = ["https://x.com/someone/status/1851234567890123456", "1851234567890123456",
                "someone_actor_handle", "crawl-2025-secret.csv"]
    log = ("timestamp,posts,url,post_id,actor,status\n"
           f"2025-03-01T18:00:00Z,600000,{secrets_[0]},{secrets_[1]},{secrets_[2]},200\n"
           "2025-03-02T06:00:00Z,600000,https://x.com/other/status/1851234567890000001,"
           "1851234567890000001,other_actor_handle,200\n").encode()
    created = client.post("/v1/assessments", content_type="multipart/form-data",
                          data={"log": (io.BytesIO(log), secrets_[3])})
    assert created.status_code == 201
    assert post(client, body=log, headers={"Idempotency-Key": "privacy"}).status_code == 201
    engine = app.extensions["calculator.store"].engine
    dumped = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(select(text("*")).select_from(text(table))):
                dumped.append(repr(tuple(row)))
    everything = "\n".join(dumped)
    assert "headline" in everything  # the documents are there ...
    for secret in [*secrets_, "1851234567890000001", "other_actor_handle", "x.com/other"]:
        assert secret not in everything  # ... and none of the log's URLs, post ids, actors
    if database_url.startswith("sqlite"):
        for path in tmp_path.glob("store.sqlite3*"):
            raw = path.read_bytes()
            for secret in secrets_:
                assert secret.encode() not in raw, path.name


def test_an_unreadable_crawler_line_is_reported_by_number_and_never_quoted(stored_client,
                                                                         tmp_path):
    line = ('203.0.113.9 - - [01/Mar/2025:18:00:0{} +0000] "GET https://x.com/someone/status/'
            '1851234567890123456 HTTP/1.1" 200 5123 "-" "bot"\n')
    unreadable = "garbage https://x.com/leaked_handle/status/1851234567899999999 here\n"
    log = "".join([line.format(0), line.format(1), line.format(2), unreadable,
                   line.format(3)]).encode()
    response = post(stored_client, body=log, content_type="text/plain")
    assert response.status_code == 201
    document = response.get_json()
    assert document["input"]["format"] == "access-log"
    assert "leaked_handle" not in response.get_data(as_text=True)
    assert document["input"]["details"]["unparsed_examples"] == [
        {"line": 4, "why": "not a common, combined or vhost_combined line"}]
    for path in tmp_path.glob("store.sqlite3*"):
        assert b"leaked_handle" not in path.read_bytes()
    replayed = stored_client.post(f"/v1/assessments/{document['id']}/replay").get_json()
    assert replayed["changes"]["changed"] == []


# -- documented ------------------------------------------------------------------------------

def test_the_stored_assessment_endpoints_are_documented(client):
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    post_ = paths["/v1/assessments"]["post"]
    assert "201" in post_["responses"] and "Location" in post_["responses"]["201"]["headers"]
    assert {"401", "409", "413"} <= set(post_["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post_["parameters"])
    listing = paths["/v1/assessments"]["get"]
    assert {"page", "page_size", "platform", "reference", "created_from", "created_to"} <= {
        p["name"] for p in listing["parameters"]}
    assert {"get", "delete"} <= set(paths["/v1/assessments/{assessment_id}"])
    assert "post" in paths["/v1/assessments/{assessment_id}/replay"]
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert post_["security"] == [{"apiKey": []}]


def test_a_stored_assessment_draws_its_curve_without_the_log_being_sent_again(client):
    log = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"
    created = client.post("/v1/assessments", data=log, content_type="text/csv")
    location = created.headers["Location"]
    stored = client.get(f"{location}/curve?points=50").get_json()
    sent = client.post("/v1/curves?points=50", data=log, content_type="text/csv").get_json()
    assert stored == sent
    assert max(p["posts"] for p in stored["curve"]["points"]) == \
        created.get_json()["peak_24h"]["posts"]
    assert client.get("/v1/assessments/0123456789abcdef/curve").status_code == 404
