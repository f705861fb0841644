"""A budget's running total of posts, and PostgreSQL's one-call reservation.

Adds ``total_from``, ``window_total`` and ``last_second`` to ``budgets`` (existing budgets
start with every recorded post in their total, from second 0, which the next reservation
slides), and on PostgreSQL the function ``calculator_budget_reserve`` that grants or refuses
a reservation in one call (docs/decisions/0106-reservations-in-one-call.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# One call per reservation: lock the budget's row, slide its running total to the window
# that ends at p_t, then grant (record the posts) or refuse. Each statement of a plpgsql
# function takes a fresh snapshot under READ COMMITTED, so once the row lock is held the
# sums see every post committed by the reservations before. 'later' means posts were
# recorded after p_t (a clock behind): the caller checks the periods that reach them.
RESERVE_FUNCTION = """
CREATE OR REPLACE FUNCTION calculator_budget_reserve(
    p_id text, p_t bigint, p_posts bigint, p_from bigint, p_limit bigint)
RETURNS TABLE (outcome text, total bigint, oldest bigint)
LANGUAGE plpgsql AS $$
DECLARE
    b record;
    moved bigint;
BEGIN
    SELECT budgets.total_from, budgets.window_total, budgets.last_second INTO b
        FROM budgets WHERE budgets.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::text, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;
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
    IF (b.last_second IS NOT NULL AND b.last_second > p_t)
            OR (p_limit IS NOT NULL AND moved + p_posts > p_limit) THEN
        UPDATE budgets SET total_from = p_from, window_total = moved WHERE budgets.id = p_id;
        RETURN QUERY SELECT CASE WHEN b.last_second > p_t THEN 'later' ELSE 'refused' END,
            moved, (SELECT min(u.second) FROM budget_usage u
                    WHERE u.budget_id = p_id AND u.second >= p_from);
        RETURN;
    END IF;
    INSERT INTO budget_usage (budget_id, second, posts) VALUES (p_id, p_t, p_posts)
        ON CONFLICT (budget_id, second)
        DO UPDATE SET posts = budget_usage.posts + EXCLUDED.posts;
    UPDATE budgets SET total_from = p_from, window_total = moved + p_posts, last_second = p_t
        WHERE budgets.id = p_id;
    RETURN QUERY SELECT 'granted'::text, moved + p_posts,
        (SELECT min(u.second) FROM budget_usage u
         WHERE u.budget_id = p_id AND u.second >= p_from);
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("budgets") as batch:
        batch.add_column(sa.Column("total_from", sa.BigInteger(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("window_total", sa.BigInteger(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("last_second", sa.BigInteger(), nullable=True))
    op.execute("UPDATE budgets SET "
               "window_total = (SELECT coalesce(sum(posts), 0) FROM budget_usage "
               "WHERE budget_usage.budget_id = budgets.id), "
               "last_second = (SELECT max(second) FROM budget_usage "
               "WHERE budget_usage.budget_id = budgets.id)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RESERVE_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS calculator_budget_reserve(text, bigint, bigint, "
                   "bigint, bigint)")
    with op.batch_alter_table("budgets") as batch:
        batch.drop_column("last_second")
        batch.drop_column("window_total")
        batch.drop_column("total_from")
