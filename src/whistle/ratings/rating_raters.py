"""`RatingRater` — each device's and phone's first counted live rating — against the ratings themselves (PostgreSQL,
where triggers keep the table, ratings 0015): `verify` recomputes it from the ratings and names the first difference;
`rebuild` rewrites it from them (after an operator touched it, or to drop the raters of detached months)."""

from __future__ import annotations

from django.db import connection, transaction

from .models import RatingRater

TABLE = RatingRater._meta.db_table
# What the table must hold: per (kind, value) the earliest counted live rating, as the triggers keep it.
FROM_RATINGS = (
    "SELECT kind, value, min(created_at) AS first FROM ("
    "SELECT 'd' AS kind, device_hash AS value, created_at FROM ratings_rating "
    "WHERE counted AND external_id = '' AND device_hash <> '' UNION ALL "
    "SELECT 'p', rater_phone_hash, created_at FROM ratings_rating "
    "WHERE counted AND external_id = '' AND rater_phone_hash <> '') s GROUP BY kind, value"
)


def verify() -> tuple[int, list[tuple]]:
    """(raters checked, differences as (kind, value, kept, from the ratings)); nothing to check on SQLite."""
    if connection.vendor != "postgresql":
        return 0, []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(k.kind, r.kind), coalesce(k.value, r.value), k.first_counted_at, r.first "
            f"FROM {TABLE} k FULL JOIN ({FROM_RATINGS}) r ON r.kind = k.kind AND r.value = k.value "
            "WHERE k.first_counted_at IS DISTINCT FROM r.first ORDER BY 1, 2 LIMIT 100"
        )
        bad = cursor.fetchall()
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return cursor.fetchone()[0], bad


def rebuild() -> int:
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(f"INSERT INTO {TABLE} (kind, value, first_counted_at) {FROM_RATINGS}")
        return cursor.rowcount
