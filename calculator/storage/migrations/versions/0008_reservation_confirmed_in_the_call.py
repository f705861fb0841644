"""A grant and its confirming commit in one call.

On PostgreSQL, the procedure ``calculator_budget_reservation_confirmed`` makes the
reservation of ``calculator_budget_reservation`` (migration 0007) and, when it grants,
commits it at once without waiting for the disk (the session's ``synchronous_commit`` is
off, so the budget's lock is not held through the flush, decision 0115), then commits a
second transaction, with a transaction id, at ``p_level``: the server's own durability
setting, which the caller read when it connected. That commit begins after the grant's
own has returned, so once it returns the log is flushed through the grant. Before, the
service sent that confirming commit as a statement of its own: one round trip more per
grant (docs/decisions/0148). ``confirmed``: the confirming transaction's id (NULL when
nothing was confirmed: a refusal, or ``p_level`` off).

A procedure may commit only when called outside a transaction block: the service calls it
on connections in autocommit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CONFIRMED_PROCEDURE = """
CREATE OR REPLACE PROCEDURE calculator_budget_reservation_confirmed(
    p_level text, p_key text, p_owner text, p_id text, p_t bigint, p_posts bigint,
    p_window bigint, p_limit bigint, p_valid_from timestamptz, p_valid_until timestamptz,
    INOUT outcome text DEFAULT NULL, INOUT at timestamptz DEFAULT NULL,
    INOUT total bigint DEFAULT NULL, INOUT oldest bigint DEFAULT NULL,
    INOUT confirmed xid8 DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.outcome, r.at, r.total, r.oldest INTO outcome, at, total, oldest
        FROM calculator_budget_reservation(p_key, p_owner, p_id, p_t, p_posts, p_window,
                                           p_limit, p_valid_from, p_valid_until) r;
    IF outcome = 'granted' AND p_level <> 'off' THEN
        COMMIT;  -- at the session's setting (off): the budget's lock is released at once
        PERFORM set_config('synchronous_commit', p_level, true);
        confirmed := pg_current_xact_id();  -- an id, so that its commit is written
    END IF;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CONFIRMED_PROCEDURE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP PROCEDURE IF EXISTS calculator_budget_reservation_confirmed(text, "
                   "text, text, text, bigint, bigint, bigint, bigint, timestamptz, "
                   "timestamptz, text, timestamptz, bigint, bigint, xid8)")
