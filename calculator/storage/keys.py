"""API keys: created once and shown once, kept only as their sha256, revoked for good.

A key is ``calc_`` and 43 URL-safe characters (256 random bits), so a digest lookup
is as good as a constant-time comparison: nobody can steer a guess towards a stored
digest. The digest found is still compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from calculator.errors import Conflict, FieldProblem, InvalidArgument, NotFound, shown_id
from calculator.storage.schema import api_keys, records

PREFIX = "calc_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
KEY_PATTERN = re.compile(r"^calc_[A-Za-z0-9_-]{43}$")
KEY_NOT_VALID = "the API key is not valid: it is unknown or was revoked"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    name: str
    created_at: datetime
    revoked_at: datetime | None
    records: int = 0  # records stored under this name (all its keys, past and present)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class KeyRing:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._seen_one = False  # keys are never deleted: once one exists, one always will

    def any(self) -> bool:
        """Whether a key was ever created: from then on every call needs one."""
        if not self._seen_one:
            with self.engine.connect() as connection:
                self._seen_one = connection.execute(
                    select(api_keys.c.id).limit(1)).first() is not None
        return self._seen_one

    def create(self, name: str) -> tuple[KeyInfo, str]:
        """A new key for ``name``; the key itself is returned here and never again."""
        if not NAME.match(name or ""):
            raise InvalidArgument(
                f"'{shown_id(name)}' is not a key name: 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
                problems=[FieldProblem("invalid name", field="name")])
        key = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as connection:
                connection.execute(api_keys.insert().values(
                    name=name, key_hash=digest(key), created_at=now, revoked_at=None))
        except IntegrityError:
            raise Conflict(f"a key named '{name}' is active; revoke it first to replace "
                           "it") from None
        self._seen_one = True
        return KeyInfo(name, now, None), key

    def list(self) -> list[KeyInfo]:
        counts = (select(records.c.owner, func.count().label("n"))
                  .group_by(records.c.owner).subquery())
        query = (select(api_keys.c.name, api_keys.c.created_at, api_keys.c.revoked_at,
                        func.coalesce(counts.c.n, 0))
                 .outerjoin(counts, counts.c.owner == api_keys.c.name)
                 .order_by(api_keys.c.name, api_keys.c.created_at))
        with self.engine.connect() as connection:
            return [KeyInfo(*row) for row in connection.execute(query)]

    def revoke(self, name: str) -> KeyInfo:
        """Revoke the active key of ``name``; its records stay, for a new key of that name."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            row = connection.execute(
                select(api_keys.c.id, api_keys.c.created_at)
                .where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))).first()
            if row is None:
                raise NotFound(f"no active key named '{shown_id(name)}'")
            connection.execute(api_keys.update().where(api_keys.c.id == row.id)
                               .values(revoked_at=now))
        return KeyInfo(name, row.created_at, now)

    def verify(self, presented: str) -> str | None:
        """The name of the active key ``presented`` is, or None."""
        if not KEY_PATTERN.match(presented):
            return None
        wanted = digest(presented)
        # One read on every protected call: in autocommit, so that it costs one round trip
        # to PostgreSQL, not BEGIN, SELECT and ROLLBACK.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            row = connection.execute(
                select(api_keys.c.name, api_keys.c.key_hash)
                .where(api_keys.c.key_hash == wanted, api_keys.c.revoked_at.is_(None))).first()
        if row is None or not hmac.compare_digest(row.key_hash, wanted):
            return None
        return row.name
