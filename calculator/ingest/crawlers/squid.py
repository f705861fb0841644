"""Squid native ``access.log`` (the built-in ``logformat squid``), one transaction per line.

Fields: time, elapsed ms, client, code/status, bytes, method, URL, user, hierarchy/peer, type.

The time is when the transaction completed (epoch seconds, UTC). Without TLS interception
an HTTPS request shows only as ``CONNECT host:443``: a tunnel, not a post. Lines the proxy
answered itself (hierarchy ``NONE``: cache hits, denials) never reached the site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from calculator.ingest.crawlers._common import (
    NS,
    Recognizer,
    answered_with_content,
    check_unparsed,
    event,
    iter_lines,
    maybe_gunzip,
)
from calculator.ingest.crawlers.access_log import note_tunnels
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.crawlers.x_posts import NO_POSTS
from calculator.ingest.events import AccessEvent, ReadReport

# logformat squid: %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
_SQUID_TAG = re.compile(r"^(?:TCP|UDP|TAG|NONE)(?:_[A-Z]{2,12}){0,4}$")
_LINE = re.compile(
    r"^(?P<ts>\d+)(?:\.(?P<ms>\d{1,3}))?\s+(?P<elapsed>-?\d+)\s+(?P<client>\S+)\s+"
    r"(?P<code>[A-Z_]+)/(?P<status>\d{1,3})\s+(?P<bytes>\d+|-)\s+(?P<method>\S+)\s+"
    r"(?P<url>\S+)\s+(?P<user>\S+)\s+(?P<hier>[A-Z_]+)/(?P<peer>\S+)(?:\s+(?P<mime>\S+))?\s*$"
)


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport) -> Iterator[AccessEvent]:
    """One event per transaction the proxy forwarded to the site."""
    report.time_kind = "completed"
    recognizer = Recognizer(options)
    tunnels: dict[str, int] = {}
    for number, text in iter_lines(maybe_gunzip(stream, options.budget)):
        if not text.strip():
            continue
        report.lines += 1
        match = _LINE.match(text)
        if match is None:
            report.unparseable(number, "not a Squid native line")
            check_unparsed(report, final=False)
            continue
        check_unparsed(report, final=False)
        if match["hier"] in ("NONE", "HIER_NONE"):
            # The result tag is shown when it is one of Squid's, never other text of the log.
            tag = match["code"].split("/", 1)[0]
            shown = tag if _SQUID_TAG.match(tag) else "another result code"
            report.skip(f"not sent: the proxy answered itself ({shown})")
            continue
        instant = int(match["ts"]) * NS + int((match["ms"] or "0").ljust(3, "0")) * 1_000_000
        status = int(match["status"]) or None
        method, url = match["method"], match["url"]
        if method == "CONNECT":
            attribution = recognizer.hosts.attribute(url.rsplit(":", 1)[0].strip("[]").lower())
            if attribution.platform:
                tunnels[attribution.platform] = tunnels.get(attribution.platform, 0) + 1
            posts = NO_POSTS
        else:
            attribution = recognizer.attribute(url)
            posts = recognizer.posts(url, attribution)
        yield event(instant, "completed", url, attribution, posts, options, method=method,
                    status=status, accessed=answered_with_content(status), line=number)
    check_unparsed(report, final=True)
    note_tunnels(report, tunnels)
    recognizer.note(report)
