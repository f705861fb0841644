"""The busiest period and the periods priced are placed the same way: at the first counted
access that carries posts, so the same count never shows two start times (decision 0062)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import calculator
from calculator.cli import main

DAY = 86_400
BASE = 1_740_787_200  # 2025-03-01T00:00:00Z


def csv(rows: list[tuple[int, int]]) -> bytes:
    return ("timestamp,posts\n" + "".join(f"{t},{p}\n" for t, p in sorted(rows))).encode()


LOG = (b"timestamp,posts\n2025-03-01T10:00:00Z,0\n2025-03-01T10:00:02Z,600000\n"
       b"2025-03-01T12:00:00Z,600000\n")


def test_an_access_of_no_posts_just_before_does_not_move_the_busiest_period(runner, client):
    document = calculator.assess(LOG).to_document()
    charged = next(r for r in document["readings"] if r["window"] == "rolling_worst_case"
                   and r["rate"] == "pro_rata" and r["basis"] == "all_posts")
    assert document["peak_24h"]["start"] == charged["windows"][0]["start"] == \
        "2025-03-01T10:00:02Z"
    assert document["peak_24h"]["posts"] == charged["windows"][0]["posts"] == 1_200_000
    text = runner.invoke(main, ["assess", "-"], input=LOG).stdout
    assert "1,200,000 posts from 2025-03-01 10:00:02 UTC" in text
    http = client.post("/v1/assessments", data=LOG, content_type="text/csv").get_json()
    assert http["peak_24h"] == document["peak_24h"]
    curve = client.get(f"/v1/assessments/{http['id']}/curve").get_json()
    assert curve["curve"]["peak_24h"]["start"] == "2025-03-01T10:00:02Z"


rows = st.lists(st.tuples(st.integers(0, 3 * DAY), st.sampled_from(
    [0, 0, 5, 400_000, 600_000, 900_000])), min_size=2, max_size=8)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_every_priced_period_starts_at_an_access_or_the_assessment_says_why(generated):
    log = [(BASE + t, p) for t, p in generated]
    assessment = calculator.assess(csv(log))
    instants = {(BASE + t) * 1_000_000_000 for t, _ in generated}
    early = [w for r in assessment.readings if r.reading.window == "rolling_worst_case"
             for w in r.windows if w.start_ns not in instants]
    explained = any("end just before it" in a for a in assessment.assumptions)
    assert bool(early) == explained
    for window in early:  # it ends just before an access that starting later would take in
        assert window.end_ns in instants
    peak = assessment.peak
    if peak is not None and assessment.counted_posts:
        headline = [w for w in assessment.headline.windows if w.posts == peak.posts]
        starts_with_posts = {(BASE + t) * 1_000_000_000 for t, p in generated if p > 0}
        assert peak.start_ns in starts_with_posts or not starts_with_posts
        for window in headline:
            assert window.start_ns in instants or explained
