"""What every kind of stored record's endpoints share: Idempotency-Key, JSON answers with
headers, and pages of records with their links."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request

from calculator.api import auth
from calculator.errors import FieldProblem, InvalidArgument
from calculator.storage.repository import Page, Record
from calculator.timeutil import format_instant

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotency_parameter(what: str) -> dict[str, Any]:
    """The OpenAPI description of the Idempotency-Key header for one kind of record."""
    return {
        "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                   "pattern": "^[\\x21-\\x2b\\x2d-\\x7e]{1,255}$"},
        "description": f"A key you choose per request (e.g. a UUID), 1 to 255 visible ASCII "
                       f"characters other than a comma (a header sent twice arrives as its "
                       f"values joined by commas, and is refused). A retry with the same key "
                       f"and the same request returns the {what} the first request stored, "
                       f"with the same id, and stores nothing new; the same key with another "
                       f"request is 409. Keys are per API key and last as long as the "
                       f"{what}."}


def idempotency_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if "," in key:
        # A header sent twice reaches the app as its values joined by commas: stored under
        # "a,b", neither key alone replayed it.
        message = ("given more than once, or holding a comma; send one key (a comma is not "
                   "taken in a key)")
        raise InvalidArgument(f"{IDEMPOTENCY_HEADER}: {message}",
                              problems=[FieldProblem(message, field=IDEMPOTENCY_HEADER)])
    if not _IDEMPOTENCY_KEY.match(key):
        message = "expected 1 to 255 visible ASCII characters, such as a UUID"
        raise InvalidArgument(f"{IDEMPOTENCY_HEADER}: {message}",
                              problems=[FieldProblem(message, field=IDEMPOTENCY_HEADER)])
    return key


def json_response(document: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    response = current_app.json.response(document)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def created(record: Record, location: str, replayed: bool) -> Response:
    """201 with the stored document; a retry that got the first record back says so."""
    headers = {"Location": location}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(record.as_document(), 201, headers)


def page_of(kind: str, query: dict[str, Any], list_url: str,
            location: Callable[[str], str],
            listed: Callable[[Record], dict[str, Any]] = Record.as_listed) -> dict[str, Any]:
    """One page of a kind's records for the caller's key, newest first, with links.

    The first page pins ``created_to`` in its links to when it was read, so that records
    stored while a client pages do not shift its pages.
    """
    pinned = pinned_instant(query)
    page = auth.store().list(
        kind, owner=auth.owner(), platform=query["platform"], reference=query["reference"],
        created_from=query["created_from"], created_to=query["created_to"],
        page=query["page"], page_size=query["page_size"])
    items = [{**listed(record), "href": location(record.id)} for record in page.items]

    filters: dict[str, Any] = {name: query[name] for name in ("platform", "reference")
                               if query[name] is not None}
    if query["created_from"] is not None:
        filters["created_from"] = format_instant(query["created_from"])
    return {"items": items, **page_document(page, list_url, filters, pinned)}


def pinned_instant(query: dict[str, Any]) -> datetime | None:
    """The ``created_to`` a list's page links carry: the one asked for, or now on a first
    page, so that what is made while a client pages does not shift its pages."""
    if query["created_to"] is None and query["page"] == 1:
        return datetime.now(UTC)
    return query["created_to"]


def page_document(page: Page[Any], list_url: str, filters: dict[str, Any],
                  pinned: datetime | None) -> dict[str, Any]:
    """Where a page stands (number, size, total, pages) and its links, which carry the
    list's filters and the pinned ``created_to``."""
    def link(number: int) -> str:
        params: dict[str, Any] = {"page": number, "page_size": page.page_size, **filters}
        if pinned is not None:
            params["created_to"] = format_instant(pinned)
        return f"{list_url}?{urlencode(params, doseq=True)}"

    return {"page": page.page, "page_size": page.page_size, "total": page.total,
            "pages": page.pages,
            "links": {"next": link(page.page + 1) if page.page < page.pages else None,
                      "previous": link(page.page - 1) if page.page > 1 else None}}
