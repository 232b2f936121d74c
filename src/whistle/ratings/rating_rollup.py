"""Rollups of counted ratings per target × unit × Beijing month (`RatingRollup`).

`bump` is called inside the transaction that changes the ratings it counts (a submission, a flagged rating's review,
an appeal that voids, an import batch); `rebuild` recomputes the table from the ratings in one set-based statement;
`verify` recomputes and compares. Both vendors share one upsert (`INSERT … ON CONFLICT … DO UPDATE`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction

from whistle.core.months import month_of

from .models import Cadre, Rating, RatingRollup, RollupKind, Window

TABLE = RatingRollup._meta.db_table
RATINGS = Rating._meta.db_table
LEVELS = (1, 2, 3, 4, 5)
INSERT = f"INSERT INTO {TABLE} (kind, target_id, unit_id, month, n1, n2, n3, n4, n5)"
# What makes an insert of rollup rows an upsert that adds the counts (both vendors).
ADD_ON_CONFLICT = "ON CONFLICT (kind, target_id, unit_id, month) DO UPDATE SET " + ", ".join(
    f"n{n} = {TABLE}.n{n} + excluded.n{n}" for n in LEVELS
)
UPSERT = f"{INSERT} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) {ADD_ON_CONFLICT}"

Key = tuple  # (kind, target_id, unit_id, month)


def key_of(rating: Rating) -> Key:
    if rating.cadre_id:
        return (RollupKind.CADRE.value, rating.cadre_id, rating.unit_id, month_of(rating.created_at))
    return (RollupKind.WINDOW.value, rating.window_id, rating.unit_id, month_of(rating.created_at))


def bump(deltas: dict[Key, list[int]]) -> None:
    """Add per-level deltas ([n1..n5], may be negative) to the rollups. Call inside the writing transaction."""
    rows = [(*key, *counts) for key, counts in deltas.items() if any(counts)]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(UPSERT, rows)
        forget_card_pages({(kind, target_id) for kind, target_id, *_ in rows})


def card_page_key(code: str) -> str:
    """The cache key of a card's public page (`views.card_public`), which shows the card's figures."""
    return f"ratings:card-page:{code}"


def forget_card_pages(targets, codes=()) -> None:
    """Drop the cached public pages of cards whose figures changed: (kind, target id) pairs, or their codes."""
    codes = list(codes)
    for kind, model in ((RollupKind.CADRE, Cadre), (RollupKind.WINDOW, Window)):
        ids = [target_id for k, target_id in targets if k == kind]
        if ids:
            codes += model.objects.filter(pk__in=ids).values_list("card_code", flat=True)
    if codes:
        cache.delete_many([card_page_key(code) for code in codes])


def count(rating: Rating, sign: int = 1) -> None:
    """One rating starts (+1) or stops (−1) counting."""
    counts = [0] * 5
    counts[rating.level - 1] = sign
    bump({key_of(rating): counts})


def delta_of(rows) -> dict[Key, list[int]]:
    """Per-key level counts of (kind, target_id, unit_id, month, level) tuples."""
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0] * 5)
    for kind, target_id, unit_id, month, level in rows:
        deltas[(kind, target_id, unit_id, month)][level - 1] += 1
    return deltas


def month_sql() -> str:
    """SQL for the Beijing month of `created_at` (China keeps no daylight saving: UTC+8 all year)."""
    if connection.vendor == "postgresql":
        return "(date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'))::date"
    return "strftime('%Y-%m-01', created_at, '+8 hours')"  # run without parameters: no %-escaping


def recompute_sql(source: str = f"{RATINGS} WHERE counted") -> str:
    """The rollup rows of the ratings in `source` (a table, a CTE, with its WHERE): one GROUP BY."""
    return (
        f"SELECT CASE WHEN cadre_id IS NOT NULL THEN 'c' ELSE 'w' END AS kind, COALESCE(cadre_id, window_id) AS target_id, "
        f"unit_id, {month_sql()} AS month, "
        + ", ".join(f"SUM(CASE WHEN level = {n} THEN 1 ELSE 0 END)" for n in LEVELS)
        + f" FROM {source} GROUP BY 1, 2, 3, 4"
    )


def rebuild() -> int:
    """Throw the rollups away and recompute them from the ratings; returns the number of rollup rows."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {RATINGS} IN SHARE MODE")  # no rating changes half-way through
            cursor.execute(f"DELETE FROM {TABLE}")
            cursor.execute(f"{INSERT} {recompute_sql()}")
        return RatingRollup.objects.count()


@dataclass(frozen=True)
class Disagreement:
    key: Key
    stored: tuple[int, ...]
    recomputed: tuple[int, ...]

    def __str__(self):
        kind, target_id, unit_id, month = self.key
        return (
            f"{RollupKind(kind).label}#{target_id} 单位#{unit_id} {month:%Y-%m}：汇总表 {list(self.stored)}，"
            f"按评价重算 {list(self.recomputed)}（非常不满意…非常满意）"
        )


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def verify() -> tuple[int, list[Disagreement]]:
    """Recompute from the ratings and compare with the stored rollups (rows of all zeros count as absent).
    Returns the number of keys compared and the disagreements, in key order."""
    with connection.cursor() as cursor:
        # One statement, so one snapshot for both sides even while ratings arrive.
        cursor.execute(
            f"SELECT 'f', * FROM ({recompute_sql()}) fresh UNION ALL "
            f"SELECT 's', kind, target_id, unit_id, month, n1, n2, n3, n4, n5 FROM {TABLE}"
        )
        fresh, stored = {}, {}
        for side, k, t, u, m, *ns in cursor.fetchall():
            if side == "f":
                fresh[(k, t, u, _as_date(m))] = tuple(int(x) for x in ns)
            elif any(ns):
                stored[(k, t, u, _as_date(m))] = tuple(int(x) for x in ns)
    zero = (0,) * 5
    keys = sorted(set(fresh) | set(stored))
    bad = [
        Disagreement(k, stored.get(k, zero), fresh.get(k, zero))
        for k in keys
        if stored.get(k, zero) != fresh.get(k, zero)
    ]
    return len(keys), bad
