"""The Changes page (/changes): what the watch saw in the archive, diffs marked for a reader.

Each observation shows its capture, whether it is a change of the terms or the archive's own
re-extraction, what it does to the rules (encoded words gone, parameters with other numbers,
a new printed date; each clause linked to its page), and the changed paragraphs with removed
words struck through and added words underlined. The page links the Atom feed.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from calculator.api import auth
from calculator.errors import Unauthorized
from calculator.watch.observations import STATES, Observations
from calculator.web.routes import blp, lookup

PAGE_SIZE = 20


def _clause_link(clause_id: str) -> dict[str, Any]:
    clause = lookup().ruleset.clauses.get(clause_id)
    if clause is None:
        return {"id": clause_id, "document": None, "key": None}
    return {"id": clause_id, "document": clause.document_id, "key": clause.key,
            "title": clause.title}


@blp.get("/changes")
def changes() -> str:
    if current_app.config.get("REQUIRE_KEY_FOR_RULES") and auth.store().keys.any():
        raise Unauthorized("this service keeps its observations for holders of an API key: "
                           "ask the JSON API (/v1/observations) with Authorization: Bearer KEY")
    filters = {name: request.args.get(name) or None for name in ("platform", "document",
                                                                 "state")}
    if filters["state"] not in (None, *STATES):
        filters["state"] = None
    store = Observations(auth.store().engine)
    found = store.list(**filters, page_size=PAGE_SIZE)
    shown = []
    for item in found.items:
        observation = store.get(item["id"])
        shown.append({"o": observation,
                      "clauses": [_clause_link(c) for c in observation["clauses"]]})
    return render_template("web/changes.html", observations=shown, total=found.total,
                           filters=filters, states=STATES)
