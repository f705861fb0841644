"""The repository: save, get, list, delete and find stored records, for any kind.

Every call names the ``kind`` ("assessment", "review", ...) and the ``owner`` (the API
key's name, or None for records made while no key existed), and sees only that kind's
records of that owner: another owner's record is simply not found.

Another kind of record is stored the same way as assessments, e.g. a usage-profile review
from an HTTP view (``calculator.api.auth`` gives the store and the caller's owner)::

    saved = store.save("review", document, owner=auth.owner(), reference=reference,
                       platform=profile["platform"], summary={...small dict for lists...},
                       basis={"profile": profile}, ruleset_revision=..., engine_version=...,
                       idempotency_key=key, request_hash=fingerprint({"profile": profile,
                                                                      "reference": reference}))
    saved.record.as_document()   # {"id", "created_at", "reference", **document}; 201
    store.get("review", id, owner=auth.owner()).as_document()      # RecordNotFound: 404
    store.list("review", owner=..., platform=..., reference=..., created_from=...,
               created_to=..., page=1, page_size=20)  # Page(items=[Record...], total, ...)
    store.delete("review", id, owner=...)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from calculator.errors import Conflict, RecordNotFound, StorageUnavailable, shown_id
from calculator.storage.engine import describe_url, make_engine
from calculator.storage.schema import records
from calculator.timeutil import format_instant

_META = (records.c.id, records.c.kind, records.c.owner, records.c.reference,
         records.c.platform, records.c.created_at, records.c.summary,
         records.c.ruleset_revision, records.c.engine_version, records.c.input_sha256,
         records.c.request_hash)


class IdempotencyConflict(Conflict):
    """An Idempotency-Key already used, by the same owner, for another request."""

    def __init__(self, detail: str = "this Idempotency-Key was first used for another "
                 "request (another body, other options or another reference); use a new key "
                 "for a new request") -> None:
        super().__init__(detail)


@dataclass(frozen=True)
class Record:
    """One stored record. ``document`` is None in lists; ``basis`` and ``payload`` are
    loaded only when asked for (``get(..., with_basis=True)``)."""

    id: str
    kind: str
    owner: str | None
    reference: str | None
    platform: str | None
    created_at: datetime
    summary: dict[str, Any]
    ruleset_revision: str | None = None
    engine_version: str | None = None
    input_sha256: str | None = None
    request_hash: str | None = None
    document: dict[str, Any] | None = None
    basis: dict[str, Any] | None = None
    payload: bytes | None = None

    def as_document(self) -> dict[str, Any]:
        """The document as first answered, preceded by the record's id, when it was stored
        (RFC 3339 UTC) and the caller's reference: what GET /v1/{kind}s/{id} returns."""
        if self.document is None:
            raise ValueError(f"record {self.id} was read without its document")
        return {"id": self.id, "created_at": format_instant(self.created_at),
                "reference": self.reference, **self.document}

    def as_listed(self) -> dict[str, Any]:
        """The record as a list shows it: id, created_at, reference and its summary."""
        return {"id": self.id, "created_at": format_instant(self.created_at),
                "reference": self.reference, **self.summary}


@dataclass(frozen=True)
class Saved:
    """What ``save`` did: ``created`` is False when an earlier record with the same
    Idempotency-Key and the same request was returned instead of storing a second one."""

    record: Record
    created: bool


Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list: its items, and where it stands among all of them."""

    items: list[Item]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def fingerprint(request: Any) -> str:
    """The sha256 of a request's canonical JSON (sorted keys): what ``request_hash`` compares,
    so that a retry with the same Idempotency-Key is recognised as the same request."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotency_scope(kind: str, owner: str | None, key: str) -> str:
    """A retry is the same request only from the same owner, for the same kind."""
    owner_part = "\x00" if owner is None else owner
    return hashlib.sha256("\x1f".join((kind, owner_part, key)).encode()).hexdigest()


class Store:
    """The records and API keys of one database."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        from calculator.storage.keys import KeyRing

        self.engine = (make_engine(url_or_engine) if isinstance(url_or_engine, str)
                       else url_or_engine)
        self.keys = KeyRing(self.engine)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """The store at ``url``, migrated to the newest schema unless ``migrate`` is False;
        ``StorageUnavailable`` (one line, password hidden) when it cannot be opened."""
        store = cls(url)
        try:
            if migrate:
                store.migrate()
            else:
                with store.engine.connect():
                    pass
        except (SQLAlchemyError, OSError) as exc:
            store.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StorageUnavailable(f"cannot open the database {describe_url(url)}: "
                                     f"{reason}") from exc
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> str:
        from calculator.storage.upgrade import migrate

        return migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------

    def save(self, kind: str, document: dict[str, Any], *, owner: str | None = None,
             reference: str | None = None, platform: str | None = None,
             summary: dict[str, Any] | None = None, basis: dict[str, Any] | None = None,
             payload: bytes | None = None, ruleset_revision: str | None = None,
             engine_version: str | None = None, input_sha256: str | None = None,
             idempotency_key: str | None = None, request_hash: str | None = None,
             created_at: datetime | None = None) -> Saved:
        """Store a record. With ``idempotency_key``: if this owner already stored a record
        of this kind under that key, return it (``created=False``) when ``request_hash``
        matches, and raise ``IdempotencyConflict`` when it does not. The database's unique
        index decides between concurrent requests, so a key never stores two records."""
        scope = None if idempotency_key is None else idempotency_scope(kind, owner,
                                                                       idempotency_key)
        row = {"id": uuid.uuid4().hex, "kind": kind, "owner": owner, "reference": reference,
               "platform": platform, "created_at": created_at or datetime.now(UTC),
               "document": document, "summary": summary or {}, "basis": basis,
               "payload": payload, "ruleset_revision": ruleset_revision,
               "engine_version": engine_version, "input_sha256": input_sha256,
               "idempotency_scope": scope, "request_hash": request_hash}
        for _attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    connection.execute(records.insert().values(**row))
            except IntegrityError:
                if scope is None:
                    raise
                existing = self._one(select(*_META, records.c.document)
                                     .where(records.c.idempotency_scope == scope))
                if existing is None:  # deleted in between: try storing again
                    continue
                if existing.request_hash != request_hash:
                    raise IdempotencyConflict() from None
                return Saved(existing, created=False)
            fields = {k: v for k, v in row.items()
                      if k not in ("idempotency_scope",)}
            return Saved(Record(**fields), created=True)
        raise IdempotencyConflict("this Idempotency-Key is being used and released by "
                                  "concurrent requests; retry")

    def delete(self, kind: str, record_id: str, *, owner: str | None) -> None:
        """Remove a record for good (its Idempotency-Key may then be used again)."""
        with self.engine.begin() as connection:
            result = connection.execute(records.delete().where(
                records.c.id == record_id, records.c.kind == kind, _owned_by(owner)))
        if result.rowcount != 1:
            raise _not_found(kind, record_id, owner)

    def claim_unowned(self, owner: str) -> dict[str, int]:
        """Give the records made while no key existed to ``owner``: how many of each kind."""
        with self.engine.begin() as connection:
            claimed = self._unowned(connection)
            connection.execute(records.update().where(records.c.owner.is_(None))
                               .values(owner=owner))
        return claimed

    def unowned(self) -> dict[str, int]:
        """How many records of each kind were made while no key existed (owner None): once a
        key exists no key sees them until they are claimed."""
        with self.engine.connect() as connection:
            return self._unowned(connection)

    @staticmethod
    def _unowned(connection: Any) -> dict[str, int]:
        rows = connection.execute(select(records.c.kind, func.count())
                                  .where(records.c.owner.is_(None))
                                  .group_by(records.c.kind).order_by(records.c.kind))
        return {kind: n for kind, n in rows}

    # -- reading ---------------------------------------------------------------------------

    def get(self, kind: str, record_id: str, *, owner: str | None,
            with_basis: bool = False) -> Record:
        columns = [*_META, records.c.document]
        if with_basis:
            columns += [records.c.basis, records.c.payload]
        found = self._one(select(*columns).where(records.c.id == record_id,
                                                 records.c.kind == kind, _owned_by(owner)))
        if found is None:
            raise _not_found(kind, record_id, owner)
        return found

    def find_by_idempotency_key(self, kind: str, key: str, *, owner: str | None
                                ) -> Record | None:
        scope = idempotency_scope(kind, owner, key)
        return self._one(select(*_META, records.c.document)
                         .where(records.c.idempotency_scope == scope))

    def list(self, kind: str, *, owner: str | None, platform: str | None = None,
             reference: str | None = None, created_from: datetime | None = None,
             created_to: datetime | None = None, page: int = 1, page_size: int = 20,
             ) -> Page[Record]:
        """Newest first (ties by id); ``created_from`` inclusive, ``created_to`` exclusive."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size start at 1")
        conditions = [records.c.kind == kind, _owned_by(owner)]
        if platform is not None:
            conditions.append(records.c.platform == platform)
        if reference is not None:
            conditions.append(records.c.reference == reference)
        if created_from is not None:
            conditions.append(records.c.created_at >= created_from)
        if created_to is not None:
            conditions.append(records.c.created_at < created_to)
        with self.engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(records).where(*conditions)).scalar_one()
            rows = connection.execute(
                select(*_META).where(*conditions)
                .order_by(records.c.created_at.desc(), records.c.id.desc())
                .limit(page_size).offset((page - 1) * page_size)).mappings().all()
        return Page([Record(**row) for row in rows], total, page, page_size)

    def count(self, kind: str | None = None) -> int:
        """Every record (of ``kind``), whoever owns it: for operators and checks."""
        query = select(func.count()).select_from(records)
        if kind is not None:
            query = query.where(records.c.kind == kind)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one()

    def _one(self, query: Select) -> Record | None:
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else Record(**row)


def _owned_by(owner: str | None):
    return records.c.owner.is_(None) if owner is None else records.c.owner == owner


def _not_found(kind: str, record_id: str, owner: str | None) -> RecordNotFound:
    if owner is None:
        return RecordNotFound(f"no {kind} with id '{shown_id(record_id)}'")
    # The one surprise of keys: records made before the first key belong to no key.
    return RecordNotFound(
        f"no {kind} with id '{shown_id(record_id)}' for this API key. Each key sees only the "
        "records made with its name; records made before the first key was created belong to "
        "no key until an operator gives them to one (calculator keys claim NAME)")
