"""A public rating on PostgreSQL in one statement: the limits' counts, the burst count, the insert and the rollup's
upsert (`services.rating_submit` decides what to answer from what the statement returns).

The same rules as the statement-by-statement path (`services._limited_insert`, SQLite): each count over the live
ratings (`external_id = ''`) in its window; the rating is inserted only when every count is below its limit; it is
flagged, not counted, when the card's ratings in the burst window reach the threshold and the device or phone has no
counted rating older than the window (read from `RatingRater`, the raters' first counted moments kept by triggers on
the ratings: what the ratings say, in a primary-key probe instead of a look-up through every month); a rating that
hits a unique rule (一事一评: the card's case number, or a rectification already re-rated) is not inserted and counts
nowhere — the ratings' key table (`RatingKey`, kept by a trigger in this statement: the table is partitioned by month)
refuses it and the statement fails (`Taken`), so the caller's transaction rolls back; a counted one is added to its
rollup. Each count is its own scalar subquery, so each keeps its own index, as the separate statements did. The
statement also returns the card's figures with this rating (`rating.card_levels`), so the answer reads nothing after
the write."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import IntegrityError, connection

from whistle.core.months import month_of

from .models import Cadre, Rating, RatingRater, RatingStatus, RollupKind
from .rating_rollup import ADD_ON_CONFLICT, INSERT, RATINGS
from .rating_rollup import TABLE as ROLLUPS

RATERS = RatingRater._meta.db_table


class Taken(Exception):
    """A unique value of the rating (its case number, its re-rated rating) is another rating's: the ratings' key table
    (`RatingKey`, kept by a trigger in the same statement) refused it and the statement failed — the caller's
    transaction must roll back (the rating's rules answer as `ON CONFLICT DO NOTHING` did: nothing stored)."""


COUNTS = ("device", "network", "network_card", "phone", "phone_card")
_WRITTEN = [f for f in Rating._meta.concrete_fields if not f.primary_key and f.name not in ("counted", "status")]


def limited_insert(
    target, values: dict, now: dt.datetime, *, limits: dict[str, int], burst_threshold: int, burst_window: dt.timedelta
) -> tuple[dict[str, int], Rating]:
    """(the limits' counts, the rating): saved when every count was below its limit and no unique constraint held it
    back; otherwise unsaved (`pk` None), and nothing was written. `rating.card_levels`: the card's counted ratings by
    level with this one (the figures the answer page shows, `selectors.rating_summary(levels=…)`)."""
    own = "cadre_id" if isinstance(target, Cadre) else "window_id"
    phone = values["rater_phone_hash"]
    rating = Rating(**values)
    params = {
        "now": now,
        "day": now - dt.timedelta(days=1),
        "hour": now - dt.timedelta(hours=1),
        "since": now - burst_window,
        "device": values["device_hash"],
        "network": values["network_hash"],
        "phone": phone,
        "target": target.pk,
        "burst": burst_threshold,  # the comparison's; its count's cap is written into the statement
        "kind_device": RatingRater.KINDS["device_hash"],
        "kind_phone": RatingRater.KINDS["rater_phone_hash"],
        "flagged": RatingStatus.FLAGGED,
        "counted": RatingStatus.COUNTED,
        "rollup_kind": (RollupKind.CADRE if own == "cadre_id" else RollupKind.WINDOW).value,
        "unit": values["unit"].pk,
        "month": month_of(now),
        **{f"limit_{name}": limits[name] for name in COUNTS},
        **{f"v_{f.column}": f.get_db_prep_save(f.pre_save(rating, True), connection) for f in _WRITTEN},
    }
    with connection.cursor() as cursor:
        try:
            caps = (*(int(limits[name]) for name in COUNTS), int(burst_threshold))
            cursor.execute(_statement(own, bool(phone), caps), params)
        except IntegrityError as taken:
            raise Taken from taken
        row = cursor.fetchone()
    found, (burst, pk), levels = row[: len(COUNTS)], row[len(COUNTS) : len(COUNTS) + 2], row[len(COUNTS) + 2 :]
    rating.card_levels = {n: int(count) for n, count in enumerate(levels, start=1)}
    rating.counted = not burst
    rating.status = RatingStatus.FLAGGED if burst else RatingStatus.COUNTED
    if pk is not None:
        rating.pk = pk
        rating._state.adding, rating._state.db = False, connection.alias
    return dict(zip(COUNTS, found)), rating


@functools.lru_cache(maxsize=64)
def _statement(own: str, with_phone: bool, caps: tuple[int, ...]) -> str:
    """The one statement for a card column (`cadre_id`, `window_id`), whether a phone was given and the counts' caps
    (each limit of COUNTS, then the burst threshold), its values named (`%(now)s` …): each value is sent once however
    often the statement uses it, so the statement stays within what psycopg keeps converted (at most 50 values), and
    its text is built once per shape.

    The caps are written in as numbers, not sent as values: the statement is prepared on the server, and a generic plan
    with `LIMIT $n` does not know how few rows are wanted, so it took a scan of the month's ratings by time, filtered
    by card, for the card's counts (11 ms of PostgreSQL's CPU a rating instead of 4). They are a city's rule values:
    a new value makes a new statement."""
    cap = dict(zip((*COUNTS, "burst"), caps))
    # Bounded above too (nothing is rated in the future): on PostgreSQL the ratings are partitioned by month, and both
    # bounds let the planner keep only the months the window touches (not the months made ahead, nor the default).
    live = f"SELECT 1 FROM {RATINGS} WHERE external_id = '' AND created_at <= %(now)s"

    def capped(where: str, name: str) -> str:
        # Only whether a count reached its limit matters: counting stops there, so a busy network (a carrier's NAT, a
        # government office) costs at most the limit's index entries however many ratings it sent in the window.
        return f"SELECT count(*) FROM ({live} AND {where} LIMIT {int(cap[name])}) AS counted"

    counts = [
        capped("device_hash = %(device)s AND created_at > %(day)s", "device"),
        capped("network_hash = %(network)s AND created_at > %(hour)s", "network"),
        capped(f"{own} = %(target)s AND network_hash = %(network)s AND created_at > %(hour)s", "network_card"),
        capped("rater_phone_hash = %(phone)s AND created_at > %(day)s", "phone") if with_phone else "0",
        capped(f"{own} = %(target)s AND rater_phone_hash = %(phone)s AND created_at > %(day)s", "phone_card")
        if with_phone
        else "0",
    ]
    recent = capped(f"{own} = %(target)s AND created_at > %(since)s", "burst")
    # "Seen before": the device's or phone's first counted rating (RatingRater, one primary-key probe each) — a look-up
    # in the ratings themselves has no lower time bound and would probe every month's partition.
    regular_who = "(kind = %(kind_device)s AND value = %(device)s)" + (
        " OR (kind = %(kind_phone)s AND value = %(phone)s)" if with_phone else ""
    )
    seen = (
        "SELECT "
        + ", ".join(f"({sql}) AS {name}" for sql, name in zip(counts, COUNTS))
        + f", ({recent}) AS recent"
        + f", EXISTS (SELECT 1 FROM {RATERS} WHERE ({regular_who}) AND first_counted_at <= %(since)s) AS regular"
    )
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _WRITTEN)
    placeholders = ", ".join(f"%(v_{f.column})s" for f in _WRITTEN)
    within = " AND ".join(f"{name} < %(limit_{name})s" for name in COUNTS)
    return (
        # MATERIALIZED: inlined, each count would be planned twice (once for `*`, once in `burst`).
        f"WITH seen AS MATERIALIZED ({seen}), "
        f"decided AS (SELECT *, recent >= %(burst)s AND NOT regular AS burst FROM seen), "
        f"inserted AS (INSERT INTO {RATINGS} ({columns}, counted, status) "
        f"SELECT {placeholders}, NOT burst, CASE WHEN burst THEN %(flagged)s ELSE %(counted)s END FROM decided "
        f"WHERE {within} ON CONFLICT DO NOTHING RETURNING id, counted, level), "
        f"rolled AS ({INSERT} SELECT %(rollup_kind)s, %(target)s, %(unit)s, %(month)s, "
        + ", ".join(f"CASE WHEN level = {n} THEN 1 ELSE 0 END" for n in range(1, 6))
        + f" FROM inserted WHERE counted {ADD_ON_CONFLICT}) "
        f"SELECT {', '.join(COUNTS)}, burst, inserted.id, "
        # The card's figures as the answer page shows them (`selectors.rating_summary`): its rollups as the statement
        # found them, plus this rating when it counts — no statement of its own after the write.
        + ", ".join(
            f"f.n{n} + CASE WHEN inserted.counted AND inserted.level = {n} THEN 1 ELSE 0 END" for n in range(1, 6)
        )
        + " FROM decided LEFT JOIN inserted ON true CROSS JOIN (SELECT "
        + ", ".join(f"coalesce(sum(n{n}), 0) AS n{n}" for n in range(1, 6))
        + f" FROM {ROLLUPS} WHERE kind = %(rollup_kind)s AND target_id = %(target)s) AS f"
    )
