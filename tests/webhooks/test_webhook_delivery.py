"""Webhooks over HTTP: subscriptions owned by keys, deliveries signed per Standard Webhooks
to a real receiver, retried after a failure, given up after a day; unsafe targets refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from calculator.webhooks.delivery import GIVE_UP_AFTER, backoff, run_once
from calculator.webhooks.events import Event, raise_event


@pytest.fixture
def open_app(make_app):
    return make_app(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)


def engine_of(app):
    return app.extensions["calculator.store"].engine


def subscribe(client, url, **extra):
    response = client.post("/v1/subscriptions", json={"url": url, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def observed_event(key="terms.observed:1", platform="x"):
    return Event(type="terms.observed", key=key, data={"observation": {"id": "1"}},
                 platforms=frozenset([platform]), documents=frozenset(["x.terms-of-service"]))


def test_a_delivery_is_signed_so_the_receiver_can_verify_it_with_the_secret_shown_once(
        open_app, webhook_receiver):
    client = open_app.test_client()
    made = subscribe(client, webhook_receiver.url)
    assert made["secret"].startswith("whsec_")
    assert "secret" not in client.get(f"/v1/subscriptions/{made['id']}").get_json()
    assert raise_event(engine_of(open_app), observed_event()) == 1
    outcomes = run_once(engine_of(open_app), allow_private=True)
    assert [o.state for o in outcomes] == ["delivered"]
    received = webhook_receiver.requests[0]
    payload = Webhook(made["secret"]).verify(received.body, received.headers)
    assert payload["type"] == "terms.observed"
    assert received.headers["webhook-id"] == outcomes[0].delivery_id
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(received.body, received.headers)
    log = client.get(f"/v1/subscriptions/{made['id']}/deliveries").get_json()
    assert [(d["state"], d["attempts"], d["last_status"]) for d in log] == [
        ("delivered", 1, 200)]


def test_a_receiver_answering_500_gets_the_same_message_again_after_the_backoff(
        open_app, webhook_receiver):
    client = open_app.test_client()
    made = subscribe(client, webhook_receiver.url)
    webhook_receiver.statuses.append(500)
    raise_event(engine_of(open_app), observed_event())
    first = run_once(engine_of(open_app), allow_private=True)
    assert [(o.state, o.status) for o in first] == [("pending", 500)]
    # Not due yet: nothing is sent before the backoff has passed.
    assert run_once(engine_of(open_app), allow_private=True) == []
    later = datetime.now(UTC) + timedelta(seconds=11)
    second = run_once(engine_of(open_app), allow_private=True, now=later)
    assert [(o.state, o.status) for o in second] == [("delivered", 200)]
    ids = {r.headers["webhook-id"] for r in webhook_receiver.requests}
    assert len(webhook_receiver.requests) == 2 and len(ids) == 1  # one message, two attempts
    for request in webhook_receiver.requests:
        Webhook(made["secret"]).verify(request.body, request.headers)
    log = client.get(f"/v1/subscriptions/{made['id']}/deliveries").get_json()
    assert log[0]["attempts"] == 2 and log[0]["state"] == "delivered"


def test_after_a_day_of_failures_the_delivery_fails_and_the_subscription_is_failing(
        open_app, webhook_receiver):
    client = open_app.test_client()
    made = subscribe(client, webhook_receiver.url)
    webhook_receiver.statuses.extend([503, 503])
    raise_event(engine_of(open_app), observed_event())
    run_once(engine_of(open_app), allow_private=True)
    last = run_once(engine_of(open_app), allow_private=True,
                    now=datetime.now(UTC) + GIVE_UP_AFTER + timedelta(seconds=1))
    assert [o.state for o in last] == ["failed"]
    shown = client.get(f"/v1/subscriptions/{made['id']}").get_json()
    assert shown["state"] == "failing" and shown["failing_since"]


def test_backoff_doubles_with_jitter_and_stays_under_three_hours():
    import random

    rng = random.Random(7)
    for attempts in range(1, 30):
        wait = backoff(attempts, rng)
        ceiling = min(timedelta(seconds=10) * 2 ** (attempts - 1), timedelta(hours=3))
        assert ceiling / 2 <= wait <= ceiling


def test_an_event_is_queued_once_per_subscription_however_often_it_is_raised(
        open_app, webhook_receiver):
    client = open_app.test_client()
    subscribe(client, webhook_receiver.url)
    assert raise_event(engine_of(open_app), observed_event()) == 1
    assert raise_event(engine_of(open_app), observed_event()) == 0


def test_filters_and_events_choose_what_a_subscription_receives(open_app, webhook_receiver):
    client = open_app.test_client()
    subscribe(client, webhook_receiver.url, events=["rules.changed"])
    subscribe(client, webhook_receiver.url, filters={"platforms": ["reddit"]})
    wanted = subscribe(client, webhook_receiver.url, filters={"platforms": ["x"]})
    assert raise_event(engine_of(open_app), observed_event()) == 1
    run_once(engine_of(open_app), allow_private=True)
    assert len(webhook_receiver.requests) == 1
    assert json.loads(webhook_receiver.requests[0].body)["type"] == "terms.observed"
    assert client.get(f"/v1/subscriptions/{wanted['id']}/deliveries").get_json()


def test_a_key_sees_and_deletes_only_its_own_subscriptions(open_app, webhook_receiver):
    store = open_app.extensions["calculator.store"]
    mine, theirs = store.keys.create("mine")[1], store.keys.create("theirs")[1]
    client = open_app.test_client()
    made = client.post("/v1/subscriptions", json={"url": webhook_receiver.url},
                       headers={"Authorization": f"Bearer {mine}"}).get_json()
    other = {"Authorization": f"Bearer {theirs}"}
    assert client.get("/v1/subscriptions", headers=other).get_json() == []
    assert client.get(f"/v1/subscriptions/{made['id']}", headers=other).status_code == 404
    assert client.delete(f"/v1/subscriptions/{made['id']}", headers=other).status_code == 404
    assert client.post("/v1/subscriptions", json={"url": webhook_receiver.url}).status_code \
        == 401
    own = {"Authorization": f"Bearer {mine}"}
    assert client.delete(f"/v1/subscriptions/{made['id']}", headers=own).status_code == 204
    assert client.get("/v1/subscriptions", headers=own).get_json() == []


@pytest.mark.parametrize(("url", "words"), [
    ("http://127.0.0.1:8080/hook", "loopback address"),
    ("http://localhost/hook", "loopback address"),
    ("http://[::1]/hook", "loopback address"),
    ("http://10.1.2.3/hook", "private address"),
    ("http://192.168.0.10/hook", "private address"),
    ("http://169.254.169.254/latest/meta-data", "link-local address"),
    ("http://0.0.0.0/hook", "unspecified address"),
    ("ftp://example.com/hook", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("https://user:pass@example.com/hook", "user name or password"),
    # Stored as sent, these failed at every delivery (a CR or LF vanished in the parse).
    ("https://example.com/a b", "printable ASCII characters only"),
    ("https://example.com/a\r\nX-Injected: 1", "printable ASCII characters only"),
    ("https://example.com/\tx", "printable ASCII characters only"),
    ("https://exämple.com/hook", "printable ASCII characters only"),
    ("https://example.com/hook#part", "a #fragment is never sent to a server"),
])
def test_unsafe_webhook_targets_are_refused_with_a_422_that_says_why(client, url, words):
    response = client.post("/v1/subscriptions", json={"url": url})
    assert response.status_code == 422
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert words in problem["detail"]
    assert problem["errors"][0]["field"] == "url"
    assert client.get(problem["type"]).status_code == 200  # the type says what it means
    if "address" in words and words != "unspecified address":
        assert "WEBHOOKS_ALLOW_PRIVATE_TARGETS" in problem["detail"]


def test_a_target_allowed_when_subscribed_is_checked_again_before_each_delivery(
        open_app, webhook_receiver):
    subscribe(open_app.test_client(), webhook_receiver.url)
    raise_event(engine_of(open_app), observed_event())
    # The worker runs without the operator's permission: the loopback target is refused
    # at delivery, nothing is sent, and the attempt is logged for a retry.
    outcome = run_once(engine_of(open_app), allow_private=False)
    assert [o.state for o in outcome] == ["pending"]
    assert "loopback" in outcome[0].error
    assert webhook_receiver.requests == []


@pytest.fixture
def slow_receiver():
    """A receiver that answers a byte every half second, for a minute: of its status line
    (``status``), or of its body after a 200 (``body``)."""
    import socket
    import threading
    import time
    from types import SimpleNamespace

    state = SimpleNamespace(where="status", url=None, stop=threading.Event())
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while not state.stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    if state.where == "body":
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
                    for index in range(120):
                        if state.stop.is_set():
                            return
                        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n"[index:index + 1]
                                     if state.where == "status" else b"x")
                        time.sleep(0.5)
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    yield state
    state.stop.set()
    listener.close()


@pytest.mark.parametrize("where", ["status", "body"])
def test_a_receiver_that_answers_a_byte_at_a_time_is_cut_off_at_the_attempts_limit(
        open_app, slow_receiver, monkeypatch, where):
    """The timeout was per read: a receiver sending a byte every few seconds held the
    worker (and every other subscription's deliveries) for as long as it liked, and
    outlived the lease, so that a second worker sent the message again beside it."""
    import time

    from calculator.webhooks import delivery

    monkeypatch.setattr(delivery, "ATTEMPT_SECONDS", 2.0)
    slow_receiver.where = where
    subscribe(open_app.test_client(), slow_receiver.url)
    raise_event(engine_of(open_app), observed_event())
    began = time.monotonic()
    outcomes = run_once(engine_of(open_app), allow_private=True)
    assert time.monotonic() - began < 6
    if where == "status":  # no answer in time: tried again later
        assert [(o.state, o.error) for o in outcomes] == [
            ("pending", "TimeoutError: the receiver did not answer within 2 s")]
    else:  # its 200 came in time: delivered, however slowly the rest comes
        assert [(o.state, o.status) for o in outcomes] == [("delivered", 200)]


def test_a_receiver_answering_410_gone_is_sent_nothing_more(open_app, webhook_receiver):
    """Standard Webhooks: 410 Gone means the receiver wants no more webhooks, and the
    sender stops. It was retried for a day like any failure."""
    client = open_app.test_client()
    made = subscribe(client, webhook_receiver.url)
    webhook_receiver.statuses.append(410)
    raise_event(engine_of(open_app), observed_event("terms.observed:1"))
    outcomes = run_once(engine_of(open_app), allow_private=True)
    assert [(o.state, o.status) for o in outcomes] == [("failed", 410)]
    assert client.get(f"/v1/subscriptions/{made['id']}").get_json()["state"] == "gone"
    assert raise_event(engine_of(open_app), observed_event("terms.observed:2")) == 0
    later = datetime.now(UTC) + timedelta(hours=2)
    assert run_once(engine_of(open_app), allow_private=True, now=later) == []
    assert len(webhook_receiver.requests) == 1


def test_a_message_is_leased_for_longer_than_any_attempt_can_take():
    """An attempt that outlived its lease was taken by a second worker and sent again
    beside the first: the lease is four times the longest attempt."""
    from calculator.webhooks.delivery import ATTEMPT_SECONDS, LEASE

    assert LEASE.total_seconds() >= 4 * ATTEMPT_SECONDS
