"""Pages for reviewers: assess a log and see its curve, browse clause history, print reports.

Server-rendered (Jinja) pages over the same core and the same JSON documents as the API;
the little JavaScript there is sends a log to the JSON API, shows progress and problems in
words, and draws the chart with the vendored Chart.js (no CDN: the pages work offline).
"""

from typing import Any

__all__ = ["blp"]


def __getattr__(name: str) -> Any:
    # The blueprint (and Flask) load only when the app asks for them: the command line uses
    # calculator.web.present for its words without paying for the web.
    if name == "blp":
        from calculator.web.routes import blp

        return blp
    raise AttributeError(name)
