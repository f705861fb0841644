"""How fast the web page's chart comes: GET /v1/assessments/{id}/curve of a stored 10-million-row
assessment, against pricing the same stored counts again (what the chart used to wait for).

Generates the same CSV log as bench/assess_speed.py (N rows over 30 days at one-second
resolution), stores its assessment through the HTTP API (SQLite, as a laptop runs it), then,
in this process and on the same stored record, times:
  - baseline: the full replay of the stored counts under today's rules (all 18 readings)
    followed by the curve: what the endpoint did before;
  - GET .../curve through the app: the stored counts read, the curve computed, the JSON sent;
  - the same curve computed in Python from the stored record, without HTTP.
Prints seconds (best of --runs) side by side, with the curve's point counts.

    python bench/curve_speed.py               # 10,000,000 rows
    python bench/curve_speed.py --rows 1000000
Goal (issue 14): the chart's request answers in under 2 s for a 10-million-row log.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assess_speed import generate

from calculator.app import create_app
from calculator.damages.assessment import replay
from calculator.damages.curve import curve_document, stored_curve_document
from calculator.storage.assessments import basis_from_record

GOAL_SECONDS = 2.0


def best(runs: int, action) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - began)
    return min(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.csv"
        began = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in "
              f"{time.perf_counter() - began:.1f} s")
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                          "INSTANCE_PATH": folder, "MAX_CONTENT_LENGTH": 4 << 30})
        client = app.test_client()
        began = time.perf_counter()
        with path.open("rb") as log:
            stored = client.post("/v1/assessments", data=log, content_type="text/csv")
        assert stored.status_code == 201, stored.get_data(as_text=True)[:500]
        location = stored.headers["Location"]
        record_id = location.rsplit("/", 1)[1]
        print(f"assessed and stored in {time.perf_counter() - began:.1f} s "
              f"(the upload; not what this bench measures)")

        store, lookup = app.extensions["calculator.store"], app.extensions["calculator.lookup"]

        def record():
            return store.get("assessment", record_id, owner=None, with_basis=True)

        def old_way():
            return curve_document(replay(basis_from_record(record()), lookup))

        def new_way():
            return stored_curve_document(basis_from_record(record()), lookup)

        def over_http():
            answer = client.get(f"{location}/curve")
            assert answer.status_code == 200
            return answer.get_json()

        old_seconds, old = best(args.runs, old_way)
        new_seconds, new = best(args.runs, new_way)
        http_seconds, http = best(args.runs, over_http)
        assert (new["curve"].instants == old["curve"].instants).all()
        assert (new["curve"].posts == old["curve"].posts).all()
        print(f"curve of {new['curve'].changes:,} change points, {len(http['curve']['points']):,} "
              f"drawn; peak {http['curve']['peak_24h']['posts']:,} posts")
        print(f"{'baseline: replay 18 readings + curve':<44}{old_seconds:8.2f} s")
        print(f"{'curve from the stored counts (Python)':<44}{new_seconds:8.2f} s")
        print(f"{'GET /v1/assessments/{id}/curve':<44}{http_seconds:8.2f} s  "
              f"goal < {GOAL_SECONDS:.0f} s: {'ok' if http_seconds < GOAL_SECONDS else 'OVER'}")
        store.dispose()


if __name__ == "__main__":
    main()
