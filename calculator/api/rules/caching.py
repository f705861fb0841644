"""Rule lookups under load: ETag, Cache-Control, 304, and answers kept per worker.

A lookup's answer depends only on the ruleset revision and the request (its path and
query), never on who asks or when (docs/decisions/0059). So each answer gets an ETag made
of both; a client that sends it back in ``If-None-Match`` gets ``304 Not Modified`` without
the lookup being run; and each worker keeps the bytes of recent answers, so that the same
request asked again is answered without parsing, looking up or serializing anything.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Flask, Response, g, request

# Seconds a client or cache may reuse an answer without asking again. The answer can only
# change when the service is deployed with other rules; a few minutes of an old revision
# after a deployment is the price of not asking on every call (the ETag revalidates).
MAX_AGE = 300
# Answers kept per worker, and the largest kept: at most about 32 MiB per worker.
KEPT_ANSWERS = 512
KEPT_ANSWER_BYTES = 64 * 1024


class AnswerCache:
    """The latest answers of one ruleset revision, by ETag, least recently used out."""

    def __init__(self, revision: str) -> None:
        self.revision = revision
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def etag(self, path: str, query: bytes) -> str:
        """The entity tag of the answer to ``path?query`` under this revision (unquoted)."""
        digest = hashlib.sha256(path.encode() + b"?" + query).hexdigest()[:24]
        return f"{self.revision[:16]}-{digest}"

    def get(self, etag: str) -> bytes | None:
        with self._lock:
            body = self._answers.get(etag)
            if body is not None:
                self._answers.move_to_end(etag)
            return body

    def keep(self, etag: str, body: bytes) -> None:
        if len(body) > KEPT_ANSWER_BYTES:
            return
        with self._lock:
            self._answers[etag] = body
            self._answers.move_to_end(etag)
            while len(self._answers) > KEPT_ANSWERS:
                self._answers.popitem(last=False)


def cache_control(private: bool) -> str:
    # Keyed lookups may be kept by the client only, never by a shared cache.
    return f"{'private' if private else 'public'}, max-age={MAX_AGE}"


def serve_lookups_from_cache(app: Flask, blueprint_name: str, revision: str) -> None:
    """Answer the blueprint's GETs by ETag and from kept answers (after any key check,
    which must therefore be registered before this)."""
    cache = AnswerCache(revision)

    def headers(etag: str) -> dict[str, str]:
        private = bool(app.config.get("REQUIRE_KEY_FOR_RULES"))
        return {"ETag": f'"{etag}"', "Cache-Control": cache_control(private)}

    @app.before_request
    def _answer_known_lookups() -> Response | None:
        if request.blueprint != blueprint_name or request.method not in ("GET", "HEAD"):
            return None
        etag = cache.etag(request.path, request.query_string)
        if request.if_none_match.contains_weak(etag):
            return Response(status=304, headers=headers(etag))
        body = cache.get(etag)
        if body is not None:
            return Response(body, mimetype="application/json", headers=headers(etag))
        g.lookup_etag = etag
        return None

    @app.after_request
    def _keep_lookup_answer(response: Response) -> Response:
        etag = g.pop("lookup_etag", None)
        if etag is not None and response.status_code == 200:
            cache.keep(etag, response.get_data())
            response.headers.update(headers(etag))
        return response
