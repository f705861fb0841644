"""The review form (/review) and the list of stored records (/records): a reviewer's tickets.

Like the Assess page (decision 0041), these pages hold no data: the form's script sends the
profile to ``POST /v1/reviews`` with the tab's API key and shows the stored review, rendered
by the server from the document the API answered; the list's script asks ``GET
/v1/assessments`` and ``GET /v1/reviews`` with the key, so it lists exactly what the API
shows that key, each record linked to its printable report.
"""

from __future__ import annotations

from flask import render_template

from calculator.review.profile import CHANNELS, DATA_CATEGORIES, PURPOSES
from calculator.web.routes import blp, lookup

# The words of the form's choices; their meanings (CHANNELS...) are shown beside them.
CHANNEL_WORDS = {"scraping": "Scraping or crawling", "official_api": "The platform's API",
                 "licensed_vendor": "A licensed vendor"}


LABELS = {"ai_training": "AI training"}


def _label(value: str) -> str:
    return LABELS.get(value) or value.replace("_", " ").capitalize()


@blp.get("/review")
def review() -> str:
    rules = lookup()
    ruleset = rules.ruleset
    return render_template(
        "web/review.html",
        platforms=sorted(ruleset.platforms.values(), key=lambda p: p.name),
        regions=list(ruleset.regions.values()), default_region=ruleset.default_region,
        channels=[(key, CHANNEL_WORDS.get(key, _label(key)), meaning)
                  for key, meaning in CHANNELS.items()],
        purposes=[(key, _label(key), meaning) for key, meaning in PURPOSES.items()],
        categories=[(key, _label(key), meaning) for key, meaning in DATA_CATEGORIES.items()])


@blp.get("/records")
def records() -> str:
    return render_template("web/records.html")
