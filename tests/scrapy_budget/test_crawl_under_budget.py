"""Real Scrapy crawls under a live budget: `scrapy runspider` processes against a local site
serving X status pages, a real `calculator serve` whose rules give X's damages clause a
threshold of 4 posts in 2 seconds, and the budget middleware added as the crawler-team guide
says. The crawl's own Scrapy log, and the budget's recorded usage, owe nothing under every
reading of that clause."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from calculator.damages.assessment import assess
from calculator.guard import Budget
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset
from tests.running_servers import BIN, Server, free_port, server_environment, serving

SPIDER = Path(__file__).with_name("status_spider.py")
LIMIT, WINDOW = 4, 5  # posts, seconds: the test rules' clause (decision 0147)
COUNTS = ("requested", "accessed", "distinct")
RECORDED = ("requested",)  # a budget records posts per second, never which posts
SHORT_WINDOW = ("requested", "accessed")  # the counts a 5-second clause can be read under
DAY_PART = "eu-efta-uk"  # the test rules' part whose window is 24 hours
WINDOWS = ("rolling_worst_case", "rolling_first_access", "calendar_day")
# A calendar day is the clause's period only where that period is 24 hours: under the
# 5-second clause, the readings that place the clause's own period.
ROLLING = ("rolling_worst_case", "rolling_first_access")


@pytest.fixture(scope="module")
def small_rules(tmp_path_factory) -> Path:
    """The bundled rules, with X's damages clause made small: more than 4 posts in any
    5-second period owes in the rest-of-world part (USD), more than 4 in any 24-hour period
    in the part for the EU, EFTA States and the UK (EUR)."""
    import shutil

    target = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(bundled_rules_dir(), target)
    terms = target / "x" / "terms-of-service.yaml"
    text = terms.read_text()
    usd = 'window: PT24H\n          amount: "15000.00"\n          per_posts: 1000000\n' \
          "          currency: USD"
    assert text.count("threshold_posts: 1000000") == 4 and text.count(usd) == 2
    terms.write_text(text.replace("threshold_posts: 1000000", f"threshold_posts: {LIMIT}")
                     .replace(usd, usd.replace("PT24H", f"PT{WINDOW}S")))
    return target


@pytest.fixture(scope="module")
def small_lookup(small_rules) -> RuleLookup:
    return RuleLookup(load_ruleset(small_rules))


@pytest.fixture(scope="module")
def service(tmp_path_factory, small_rules) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("service")
    env = dict(server_environment(folder), CALCULATOR_RULES_DIR=str(small_rules))
    with serving(folder, env=env) as running:
        yield running


# X API answers: a user's timeline whose URL names no page size and whose answer holds 3
# posts, and a lookup of 2 ids whose answer holds none (they were deleted).
API_USER = "api_user"
API_ANSWERS = {
    "/2/users/12/tweets": json.dumps({"data": [{"id": str(i), "text": "a post"}
                                               for i in (31, 32, 33)]}),
    "/2/tweets?ids=41,42": json.dumps({"meta": {"result_count": 0}}),
}


# Profiles of their own: four posts and nothing else; and four posts of which one is
# served, two are reached through a proxy that is down and one is not found (404).
QUARTET, FAILING = "quartet", "failing"


@pytest.fixture
def site() -> Iterator[SimpleNamespace]:
    """X's pages on loopback, reached as a proxy: a profile page linking to status pages.
    Every page but a profile is kept with the second it was served."""
    served: list[tuple[int, str]] = []
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self):
            path = "/" + self.path.split("://", 1)[-1].split("/", 1)[-1]
            parts = path.strip("/").split("/")
            kind = "text/html"
            if path == f"/{API_USER}":  # links to the API: a timeline and a lookup
                body = "".join(f'<a href="{api}">api</a>' for api in API_ANSWERS).encode()
            elif path == f"/{QUARTET}":
                body = "".join(f'<a href="/{QUARTET}/status/{i}">post</a>'
                               for i in range(1, 5)).encode()
            elif path == f"/{FAILING}":
                body = (f'<a href="/{FAILING}/status/1">post</a>'
                        + "".join(f'<a href="/{FAILING}/status/{i}" data-proxy="{down}">post</a>'
                                  for i in (2, 3))
                        + f'<a href="/{FAILING}/status/404">gone</a>').encode()
            elif path in API_ANSWERS:
                served.append((int(time.time()), path))
                kind, body = "application/json", API_ANSWERS[path].encode()
            elif len(parts) == 1:  # a profile: /team_a links to its posts
                first = 100 * ord(parts[0][-1])  # each profile's posts ids of their own
                links = "".join(f'<a href="/{parts[0]}/status/{first + i}">post</a>'
                                for i in range(6))
                # A page of 100 posts: more than the whole limit in one request.
                links += '<a href="/2/tweets/search/recent?query=a&max_results=100">100</a>'
                body = f"<html><body>{links}</body></html>".encode()
            else:
                served.append((int(time.time()), path))
                body = b"<html><body><p>a post</p></body></html>"
            if path.endswith("/status/404"):
                body = b"<html><body><p>this post was deleted</p></body></html>"
                self.send_response(404)
            else:
                self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with on_loopback(Pages) as url:
        yield SimpleNamespace(proxy=url, served=served)


@contextmanager
def on_loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port, until the block ends: its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def failing_at_first(service, calls: int) -> Iterator[SimpleNamespace]:
    """The service behind a relay that answers its first ``calls`` reservations with 503
    (a service restarting, a load balancer with no backend), then passes everything on."""
    failed: list[str] = []

    class Relay(BaseHTTPRequestHandler):
        def relay(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.endswith("/reservations") and len(failed) < calls:
                failed.append(self.path)
                status, headers, answer = 503, {"Content-Type": "text/plain"}, b"down"
            else:
                connection = http.client.HTTPConnection(service.base.split("//")[1], timeout=30)
                connection.request(self.command, self.path, body, dict(self.headers.items()))
                reply = connection.getresponse()
                status, headers, answer = reply.status, dict(reply.headers.items()), reply.read()
                connection.close()
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_PUT = do_POST = do_DELETE = relay

        def log_message(self, *args):
            pass

    with on_loopback(Relay) as url:
        yield SimpleNamespace(base=url, failed=failed)


def crawl(folder: Path, service, site, budget: str, profile: str,
          *settings: str) -> subprocess.Popen:
    """``scrapy runspider`` of the team's spider, in a process of its own."""
    env = dict(server_environment(folder), TZ="UTC")
    argv = [str(BIN / "scrapy"), "runspider", str(SPIDER),
            "-a", f"profile={profile}", "-a", f"proxy={site.proxy}",
            "-a", f"stats_path={folder / (profile + '.json')}",
            "-s", f"LOG_FILE={folder / (profile + '.log')}",
            "-s", f"CALCULATOR_BUDGET_URL={service.base}",
            "-s", f"CALCULATOR_BUDGET_NAME={budget}", *settings]
    return subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def finished(process: subprocess.Popen, folder: Path, profile: str) -> dict:
    _, errors = process.communicate(timeout=180)
    assert process.returncode == 0, errors.decode()[-3000:]
    return json.loads((folder / f"{profile}.json").read_text())


def owes_nothing(logs: list[Path] | bytes, lookup: RuleLookup, region: str | None = None,
                 windows: tuple[str, ...] = WINDOWS, counts: tuple[str, ...] = COUNTS) -> int:
    """The peak of the log (all files as one) after checking that every reading placing
    ``windows`` owes nothing, under each of ``counts``."""
    peaks = set()
    for count in counts:
        result = assess(logs, platform="x", rules=lookup, count=count, region=region)
        amounts = {r.amount for r in result.readings if r.reading.window in windows}
        assert amounts == {Decimal("0.00")}, count
        peaks.add(result.peak.posts)
    return max(peaks)


def recorded_usage(service, name: str) -> bytes:
    """The budget's recorded usage, as the service streams it: a CSV log."""
    return Budget(service.base, name).log_csv()


def most_in_a_window(served: list[tuple[int, str]]) -> int:
    seconds = [s for s, _ in served]
    return max(sum(1 for t in seconds if s <= t < s + WINDOW) for s in seconds)


@pytest.mark.parametrize("blocks", [(), ("-s", "CALCULATOR_BUDGET_BATCH=2")],
                         ids=["one_by_one", "in_blocks"])
def test_two_spiders_sharing_a_budget_wait_for_it_and_owe_nothing(
        tmp_path, service, site, small_lookup, blocks):
    name = "fleet-in-blocks" if blocks else "fleet"
    Budget(service.base, name).create("x")
    began = time.monotonic()
    fleet = [crawl(tmp_path, service, site, name, profile, *blocks)
             for profile in ("team_a", "team_b")]
    runs = [finished(p, tmp_path, profile) for p, profile in zip(fleet, ("team_a", "team_b"),
                                                                 strict=True)]
    elapsed = time.monotonic() - began

    # Every post page was fetched in the end: the spiders waited instead of giving up.
    assert len(site.served) == 12 and all(r["reason"] == "finished" for r in runs)
    stats = [r["stats"] for r in runs]
    assert sum(s["calculator_budget/granted"] for s in stats) == 12
    assert sum(s.get("calculator_budget/deferred", 0) for s in stats) > 0
    assert all(s["calculator_budget/not_counted"] == 1 for s in stats)  # the profile page
    # The page of 100 posts could never fit: dropped, not waited for, never fetched.
    assert all(s["calculator_budget/dropped"] == 1 for s in stats)
    assert elapsed > 2 * WINDOW  # 12 posts at 4 per window take three windows
    assert most_in_a_window(site.served) <= LIMIT

    logs = [tmp_path / "team_a.log", tmp_path / "team_b.log"]
    # The whole limit used, never more, in the spiders' logs and in the budget's record.
    # (Distinct posts are counted in windows of a quarter hour or more, decision 0122: the
    # 24-hour tests below check them.)
    assert owes_nothing(logs, small_lookup, windows=ROLLING, counts=SHORT_WINDOW) == LIMIT
    recorded = recorded_usage(service, name)
    assert owes_nothing(recorded, small_lookup, windows=ROLLING, counts=RECORDED) == LIMIT


def test_a_spider_told_to_close_stops_at_the_limit(tmp_path, service, site, small_lookup):
    Budget(service.base, "closing").create("x", DAY_PART)
    run = finished(crawl(tmp_path, service, site, "closing", "team_c",
                         "-s", "CALCULATOR_BUDGET_CLOSE_SPIDER=True"), tmp_path, "team_c")

    assert run["reason"] == "calculator_budget_spent"
    assert len(site.served) == LIMIT == run["stats"]["calculator_budget/granted"]
    assert run["stats"]["calculator_budget/dropped"] >= 1
    assert "calculator_budget/deferred" not in run["stats"]
    assert owes_nothing([tmp_path / "team_c.log"], small_lookup, DAY_PART) == LIMIT
    recorded = recorded_usage(service, "closing")
    assert owes_nothing(recorded, small_lookup, DAY_PART, counts=RECORDED) == LIMIT


def test_while_the_service_does_not_answer_nothing_is_fetched(
        tmp_path, service, site, small_lookup):
    Budget(service.base, "relayed").create("x", DAY_PART)
    with failing_at_first(service, calls=3) as relay:
        run = finished(crawl(tmp_path, relay, site, "relayed", "team_e",
                             "-s", "CALCULATOR_BUDGET_MAX_WAIT=60"), tmp_path, "team_e")

    # Three reservations met a 503: those requests waited and asked again; no page was
    # fetched without a grant, and the wait for a day-long refill closed the spider.
    assert len(relay.failed) == 3 == run["stats"]["calculator_budget/unavailable"]
    assert len(site.served) == LIMIT == run["stats"]["calculator_budget/granted"]
    assert run["reason"] == "calculator_budget_spent"
    assert "longer than CALCULATOR_BUDGET_MAX_WAIT (60 s)" in (tmp_path / "team_e.log").read_text()
    assert owes_nothing([tmp_path / "team_e.log"], small_lookup, DAY_PART) == LIMIT


def test_an_api_answer_decides_what_it_counted(tmp_path, service, site, small_lookup):
    budget = Budget(service.base, "answers")
    budget.create("x", DAY_PART)
    run = finished(crawl(tmp_path, service, site, "answers", API_USER), tmp_path, API_USER)

    stats = run["stats"]
    # The timeline named no page size: 1 post reserved, then the 2 more its answer held
    # recorded; the lookup reserved its 2 ids and its empty answer used none of them.
    assert stats["calculator_budget/granted"] == 1 + 2
    assert stats["calculator_budget/recorded_after"] == 2
    assert stats["calculator_budget/unused"] == 2
    assert len(site.served) == 2
    assert budget.show()["used"] == 1 + 2 + 2  # the budget counts every post either way
    assert "over its limit by 1 posts" in (tmp_path / f"{API_USER}.log").read_text()


def test_answers_from_scrapys_cache_reserve_and_record_nothing(tmp_path, service, site):
    budget = Budget(service.base, "cached")
    budget.create("x", DAY_PART)
    cache = ("-s", "HTTPCACHE_ENABLED=True", "-s", f"HTTPCACHE_DIR={tmp_path / 'cache'}")
    runs = []
    for attempt in ("first", "again"):
        folder = tmp_path / attempt
        folder.mkdir()
        runs.append(finished(crawl(folder, service, site, "cached", API_USER, *cache),
                             folder, API_USER))
        used = budget.show()["used"]

    # The second crawl was answered by the cache: the site saw nothing new, and nothing was
    # reserved or recorded (the Scrapy reader does not count cached lines either).
    assert len(site.served) == 2 and used == 1 + 2 + 2
    first, again = (r["stats"] for r in runs)
    assert first["calculator_budget/granted"] == 3 and first["httpcache/miss"] == 3
    assert again["httpcache/hit"] == 3
    assert not {k for k in again if k.startswith("calculator_budget/")}


def test_a_budget_the_service_does_not_know_stops_the_crawl_before_any_fetch(
        tmp_path, service, site):
    process = crawl(tmp_path, service, site, "no-such-budget", "team_d")
    process.communicate(timeout=180)
    assert process.returncode != 0  # a scheduler running the crawl sees it failed
    log = (tmp_path / "team_d.log").read_text()
    assert "calculator budget 'no-such-budget'" in log
    assert "no budget named no-such-budget" in log  # the service's own words
    assert site.served == [] and not (tmp_path / "team_d.json").exists()


def test_the_middleware_listed_without_a_budget_name_refuses_to_crawl_unguarded(
        tmp_path, service, site):
    process = crawl(tmp_path, service, site, "", "team_f")
    process.communicate(timeout=180)
    assert process.returncode != 0
    assert "CALCULATOR_BUDGET_NAME must be set" in (tmp_path / "team_f.log").read_text()
    assert site.served == []


def test_a_budget_of_a_platform_whose_posts_are_not_recognized_says_so(
        tmp_path, service, site):
    Budget(service.base, "reddit").create("reddit")
    run = finished(crawl(tmp_path, service, site, "reddit", "team_g"), tmp_path, "team_g")
    assert "is for reddit, whose posts the calculator does not recognize" in (
        tmp_path / "team_g.log").read_text()
    assert "calculator_budget/granted" not in run["stats"]


def test_the_budget_is_read_from_the_service_rules_not_the_crawler(service, small_lookup):
    shown = Budget(service.base, "shown")
    shown.create("x")
    limit = shown.show()["limit"]
    assert (limit["posts"], limit["window_seconds"]) == (LIMIT, WINDOW)


def test_a_spider_reserving_in_blocks_asks_the_service_once_per_block(
        tmp_path, service, site, small_lookup):
    runs = {}
    for name, batch in (("one_by_one", 1), ("in_blocks", LIMIT)):
        Budget(service.base, name).create("x", DAY_PART)
        (tmp_path / name).mkdir()
        runs[name] = crawl(tmp_path / name, service, site, name, QUARTET,
                           "-s", f"CALCULATOR_BUDGET_BATCH={batch}")
    stats = {name: finished(p, tmp_path / name, QUARTET)["stats"] for name, p in runs.items()}

    # The same four posts fetched, reserved in one round trip instead of four.
    assert len(site.served) == 2 * LIMIT
    assert stats["one_by_one"]["calculator_budget/reservations"] == LIMIT
    assert stats["in_blocks"]["calculator_budget/reservations"] == 1
    for name, run in stats.items():
        assert run["calculator_budget/granted"] == LIMIT
        assert Budget(service.base, name).show()["used"] == LIMIT
        assert owes_nothing([tmp_path / name / f"{QUARTET}.log"], small_lookup,
                            DAY_PART) == LIMIT


@pytest.mark.parametrize(("reading", "batch", "kept"), [("requested", 1, 1),
                                                       ("accessed", LIMIT, 0)])
def test_a_failing_crawl_gives_back_what_it_did_not_fetch(
        tmp_path, service, site, small_lookup, reading, batch, kept):
    budget = Budget(service.base, f"failing-{reading}")
    budget.create("x", DAY_PART)
    run = finished(crawl(tmp_path, service, site, budget.name, FAILING,
                         "-s", f"CALCULATOR_BUDGET_COUNT={reading}",
                         "-s", f"CALCULATOR_BUDGET_BATCH={batch}"), tmp_path, FAILING)

    stats = run["stats"]
    # Two posts behind a proxy that refuses connections, each tried three times (Scrapy's
    # retries): every attempt reserved its post and gave it back, so a crawl that fails
    # does not spend its budget. The 404 answer was requested all the same: it stays
    # counted, unless the budget is kept for accessed posts.
    assert stats["calculator_budget/granted"] == 1 + 2 * 3 + 1
    assert stats["calculator_budget/given_back"] == 2 * 3 + (1 - kept)
    assert stats.get("calculator_budget/kept_failed", 0) == kept
    assert budget.show()["used"] == 1 + kept
    # The crawl's own log counts exactly what the budget kept, under the budget's reading.
    log = [tmp_path / f"{FAILING}.log"]
    assert owes_nothing(log, small_lookup, DAY_PART, counts=(reading,)) == 1 + kept
    recorded = recorded_usage(service, budget.name)
    assert owes_nothing(recorded, small_lookup, DAY_PART, counts=RECORDED) == 1 + kept
