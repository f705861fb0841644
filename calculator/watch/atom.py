"""The change feed as Atom (RFC 4287), made with feedgen, for any feed reader."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator

from calculator import __version__


def _tag(base: str, entry_id: str) -> str:
    # A tag: URI needs no server name that may change; the entry id is stable.
    return f"tag:scraping-cost-calculator,2026:{entry_id}"


def render(feed: dict[str, Any], *, base_url: str, self_url: str, title: str) -> bytes:
    """Atom XML of the entries of ``calculator.watch.feed.changes``, newest first."""
    generator = FeedGenerator()
    generator.id(_tag(base_url, "changes"))
    generator.title(title)
    generator.author({"name": "Scraping cost calculator"})
    generator.link(href=self_url, rel="self", type="application/atom+xml")
    generator.link(href=base_url.rstrip("/") + "/changes", rel="alternate", type="text/html")
    generator.generator("scraping-cost-calculator", version=__version__)
    entries = feed["entries"]
    updated = entries[-1]["date"] if entries else feed["generated_at"]
    generator.updated(datetime.fromisoformat(updated))
    for entry in entries:  # oldest first: feedgen puts each new one on top
        item = generator.add_entry()
        item.id(_tag(base_url, entry["id"]))
        item.title(entry["title"])
        moment = datetime.fromisoformat(entry["date"])
        item.updated(moment)
        item.published(moment)
        item.link(href=base_url.rstrip("/") + entry["href"], rel="alternate")
        for name in ("platform", "document", "clause"):
            if entry.get(name):
                item.category(term=entry[name], label=name)
        summary = entry.get("summary") or entry["title"]
        item.summary(summary)
        item.content(f"<p>{html.escape(summary)}</p>", type="html")
    return generator.atom_str(pretty=True)
