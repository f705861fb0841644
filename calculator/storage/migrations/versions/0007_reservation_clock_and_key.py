"""A reservation reads its instant once the budget is locked, and checks its key in the call.

On PostgreSQL, the function ``calculator_budget_reservation`` does what
``calculator_budget_reserve`` (migration 0005) does, and also: checks that the API key the
caller presented is active and belongs to the budget's owner (so a service may remember
whose a key is without remembering that it is valid), and, when it is given no second,
reads the database's clock once the budget's row is locked, so that concurrent
reservations are recorded in the order they hold the lock (docs/decisions/0114). The
limit the caller passes holds from ``p_valid_from`` to ``p_valid_until``; an instant
outside answers 'stale' with the instant, and the caller asks again for that instant.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# outcome: granted, refused, later (posts recorded after the instant: the caller checks the
# periods that reach them), missing (no such budget), unauthorized (the key is not an
# active key of p_owner) or stale (the instant is outside the limit's span).
RESERVATION_FUNCTION = """
CREATE OR REPLACE FUNCTION calculator_budget_reservation(
    p_key text, p_owner text, p_id text, p_t bigint, p_posts bigint, p_window bigint,
    p_limit bigint, p_valid_from timestamptz, p_valid_until timestamptz)
RETURNS TABLE (outcome text, at timestamptz, total bigint, oldest bigint)
LANGUAGE plpgsql AS $$
DECLARE
    b record;
    moved bigint;
    read_at timestamptz;
    t bigint;
    p_from bigint;
BEGIN
    IF p_key IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM api_keys k
            WHERE k.key_hash = p_key AND k.name = p_owner AND k.revoked_at IS NULL) THEN
        RETURN QUERY SELECT 'unauthorized'::text, NULL::timestamptz, NULL::bigint,
            NULL::bigint;
        RETURN;
    END IF;
    SELECT budgets.total_from, budgets.window_total, budgets.last_second INTO b
        FROM budgets WHERE budgets.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::text, NULL::timestamptz, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;
    IF p_t IS NULL THEN
        read_at := clock_timestamp();
        IF read_at < p_valid_from OR read_at >= p_valid_until THEN
            RETURN QUERY SELECT 'stale'::text, read_at, NULL::bigint, NULL::bigint;
            RETURN;
        END IF;
        t := floor(extract(epoch FROM read_at))::bigint;
    ELSE
        t := p_t;
    END IF;
    p_from := t - p_window + 1;
    moved := b.window_total;
    IF p_from > b.total_from THEN
        moved := moved - (SELECT coalesce(sum(u.posts), 0) FROM budget_usage u
                          WHERE u.budget_id = p_id AND u.second >= b.total_from
                            AND u.second < p_from);
    ELSIF p_from < b.total_from THEN
        moved := moved + (SELECT coalesce(sum(u.posts), 0) FROM budget_usage u
                          WHERE u.budget_id = p_id AND u.second >= p_from
                            AND u.second < b.total_from);
    END IF;
    IF (b.last_second IS NOT NULL AND b.last_second > t)
            OR (p_limit IS NOT NULL AND moved + p_posts > p_limit) THEN
        UPDATE budgets SET total_from = p_from, window_total = moved WHERE budgets.id = p_id;
        RETURN QUERY SELECT CASE WHEN b.last_second > t THEN 'later' ELSE 'refused' END,
            read_at, moved, (SELECT min(u.second) FROM budget_usage u
                             WHERE u.budget_id = p_id AND u.second >= p_from);
        RETURN;
    END IF;
    INSERT INTO budget_usage (budget_id, second, posts) VALUES (p_id, t, p_posts)
        ON CONFLICT (budget_id, second)
        DO UPDATE SET posts = budget_usage.posts + EXCLUDED.posts;
    UPDATE budgets SET total_from = p_from, window_total = moved + p_posts, last_second = t
        WHERE budgets.id = p_id;
    RETURN QUERY SELECT 'granted'::text, read_at, moved + p_posts,
        (SELECT min(u.second) FROM budget_usage u
         WHERE u.budget_id = p_id AND u.second >= p_from);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RESERVATION_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS calculator_budget_reservation(text, text, text, "
                   "bigint, bigint, bigint, bigint, timestamptz, timestamptz)")
