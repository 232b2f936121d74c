"""From published figures to points: the period's own value, the year to date, 累计同比 growth, the gap to target,
progress against the year's target, the rank among the peer set and its change, and the runs the warning rules
read (periods below target, periods of falling growth). Derived indicators (a share, a composite index, whistle's
own three rates) are computed here from their components.

`recompute(indicator, years)` rebuilds an indicator's points for those years (and the next, whose growth and
runs follow from them) in one transaction; approving a figure calls it, and the worker job keeps the derived
indicators current. Everything is per indicator and year, a few thousand rows at most, computed in memory.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from whistle.core.months import add_months, last_complete_month

from .models import (
    Aggregation,
    Derivation,
    Direction,
    Figure,
    FigureState,
    Frequency,
    Indicator,
    Point,
    RankBasis,
    Region,
    Target,
)

STEP = {Frequency.MONTH: 1, Frequency.QUARTER: 3, Frequency.YEAR: 12}


# ---- periods ---------------------------------------------------------------------------------------------


def step(indicator: Indicator) -> int:
    return STEP[indicator.frequency]


def is_period(indicator: Indicator, period: dt.date) -> bool:
    return period.day == 1 and period.month % step(indicator) == 0


def previous(indicator: Indicator, period: dt.date) -> dt.date:
    return add_months(period, -step(indicator))


def year_periods(indicator: Indicator, year: int, upto: dt.date | None = None) -> list[dt.date]:
    s = step(indicator)
    found = [dt.date(year, m, 1) for m in range(s, 13, s)]
    return [p for p in found if upto is None or p <= upto]


def period_label(indicator: Indicator, period: dt.date) -> str:
    if indicator.frequency == Frequency.YEAR:
        return f"{period.year}年"
    if indicator.cumulative or indicator.aggregation == Aggregation.SUM:
        if period.month == step(indicator):
            return (
                f"{period.year}年{period.month}月"
                if indicator.frequency == Frequency.MONTH
                else f"{period.year}年一季度"
            )
        if indicator.frequency == Frequency.QUARTER:
            return f"{period.year}年1-{period.month // 3}季度"
        return f"{period.year}年1-{period.month}月"
    return f"{period.year}年{period.month}月"


# ---- the arithmetic (pure functions, tested against hand-computed fixtures) --------------------------------


def growth_pct(now: float | None, base: float | None) -> float | None:
    """同比 growth in per cent: (本期 − 上年同期) / 上年同期 × 100; none without a base or with a zero base."""
    if now is None or base is None or base == 0:
        return None
    return (now - base) / abs(base) * 100


def single_from_cumulative(cumulative: float | None, before: float | None, first_of_year: bool) -> float | None:
    """当月 from 1-N月: the cumulative figure less the previous period's cumulative (the first period is itself)."""
    if cumulative is None:
        return None
    if first_of_year:
        return cumulative
    return None if before is None else cumulative - before


def year_to_date(values: list[float], aggregation: str) -> float | None:
    """1-N月 from the periods' own figures: summed (flows), averaged (concentrations, rates) or the latest (stocks)."""
    if not values:
        return None
    if aggregation == Aggregation.SUM:
        return sum(values)
    if aggregation == Aggregation.MEAN:
        return sum(values) / len(values)
    return values[-1]


def share(numerator: float | None, denominator: float | None) -> float | None:
    """A share in per cent (e.g. 税收占比 = 税收收入 / 一般公共预算收入 × 100)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator * 100


def composite(parts: dict[str, float | None], spec: dict[str, dict]) -> float | None:
    """Σ weight × Cᵢ / Sᵢ (HJ 663-2013's 综合指数 with weights 1 and the 二级 limits as Sᵢ); none if a part is missing."""
    total = 0.0
    for code, p in spec.items():
        v = parts.get(code)
        if v is None:
            return None
        total += float(p.get("weight", 1)) * v / float(p.get("divisor", 1) or 1)
    return total


def competition_ranks(values: dict[int, float], lower_is_better: bool) -> dict[int, int]:
    """Ranks with ties shared (并列): 1, 2, 2, 4. Regions without a figure are not ranked."""
    order = sorted(values.items(), key=lambda kv: kv[1] if lower_is_better else -kv[1])
    ranks, last, last_rank = {}, None, 0
    for i, (key, v) in enumerate(order, start=1):
        rounded = round(v, 6)
        if rounded != last:
            last, last_rank = rounded, i
        ranks[key] = last_rank
    return ranks


def _f(x) -> float | None:
    return None if x is None else float(x)


# ---- inputs per indicator -----------------------------------------------------------------------------------


def _float(field: str) -> Cast:
    """A decimal column read as a float by the database (a Decimal per value would only be turned into a float)."""
    return Cast(field, FloatField())


def published(indicator: Indicator, first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], dict]:
    """The latest approved version of each (region, period) in [first, last]: {key: {value, growth, figure}}."""
    found = {}
    rows = (
        Figure.objects.filter(indicator=indicator, state=FigureState.APPROVED, period__gte=first, period__lte=last)
        .order_by("region_id", "period", "version")
        .values_list("region_id", "period", _float("value"), _float("growth"), "pk")
    )
    for region_id, period, value, growth, pk in rows:
        found[(region_id, period)] = {"value": value, "growth": growth, "figure": pk}
    return found


def _component_values(codes: list[str], first: dt.date, last: dt.date) -> dict[str, dict[tuple[int, dt.date], float]]:
    out: dict[str, dict] = defaultdict(dict)
    ids = dict(Indicator.objects.filter(code__in=codes).values_list("pk", "code"))
    rows = Point.objects.filter(
        indicator_id__in=list(ids), period__gte=first, period__lte=last, value__isnull=False
    ).values_list("indicator_id", "region_id", "period", _float("value"))
    for ind_id, region_id, period, value in rows:
        out[ids[ind_id]][(region_id, period)] = value
    return out


def derived_inputs(indicator: Indicator, first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], dict]:
    params = indicator.params or {}
    if indicator.derivation == Derivation.SHARE:
        comps = _component_values([params.get("numerator", ""), params.get("denominator", "")], first, last)
        num, den = comps.get(params.get("numerator"), {}), comps.get(params.get("denominator"), {})
        return {
            key: {"value": v, "growth": None, "figure": None}
            for key in num
            if (v := share(num[key], den.get(key))) is not None
        }
    if indicator.derivation == Derivation.COMPOSITE:
        spec = params.get("parts", {})
        comps = _component_values(list(spec), first, last)
        keys = set().union(*(set(c) for c in comps.values())) if comps else set()
        out = {}
        for key in keys:
            v = composite({code: comps.get(code, {}).get(key) for code in spec}, spec)
            if v is not None:
                out[key] = {"value": v, "growth": None, "figure": None}
        return out
    if indicator.derivation == Derivation.WHISTLE_RATE:
        return whistle_rates(indicator, first, last)
    return published(indicator, first, last)


def whistle_rates(indicator: Indicator, first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], dict]:
    """whistle's own 响应率/解决率/满意率 per county and for the city, read from the dashboard's rollups through its
    selector (`dashboard.metrics.rates`), month by month up to the last complete month."""
    from whistle.dashboard.metrics import rates
    from whistle.org.scopes import Actor

    metric = (indicator.params or {}).get("metric", "")
    regions = Region.objects.filter(unit__isnull=False, peer_set__in=indicator.peer_sets or ["county"]).select_related(
        "unit"
    )
    by_code = {r.unit.code: r for r in regions}
    home = Region.objects.filter(is_home=True).first()
    out = {}
    month = first
    stop = min(last, last_complete_month(timezone.now()))
    system = Actor.system()
    while month <= stop:
        for row in rates(system, month, month, group_by="county"):
            region = by_code.get(row["code"])
            value = (row.get(metric) or {}).get("value")
            if region is not None and value is not None:
                out[(region.pk, month)] = {"value": float(value), "growth": None, "figure": None}
        if home is not None:
            whole = rates(system, month, month)[0]
            value = (whole.get(metric) or {}).get("value")
            if value is not None:
                out[(home.pk, month)] = {"value": float(value), "growth": None, "figure": None}
        month = add_months(month, 1)
    return out


# ---- recompute ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PointRow:
    """One point as `compute_points` makes it: the numbers already rounded as they are stored (floats, so a
    rebuild constructs no model instance and no Decimal until the write)."""

    region_id: int
    period: dt.date
    figure_id: int | None
    value: float | None
    single: float | None
    ytd: float | None
    growth: float | None
    target: Decimal | None
    gap: float | None
    progress: float | None
    rank: int | None = None
    rank_of: int | None = None
    rank_change: int | None = None
    below_target_run: int = 0
    decline_run: int = 0


def _r(x: float | None, places: int = 4) -> float | None:
    """The number as stored: rounded to the column's places; none for a missing or non-finite one."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, places)


def _targets(indicator: Indicator, years) -> dict[tuple[int, int], Target]:
    return {(t.year, t.region_id): t for t in Target.objects.filter(indicator=indicator, year__in=list(years))}


def _year_to_dates(indicator: Indicator, series: dict[dt.date, dict]) -> dict[dt.date, float | None]:
    """{period: year to date} of one region's series: the cumulative figure itself, or the year's periods so far
    added up by the indicator's aggregation."""
    if indicator.cumulative:
        return {period: data["value"] for period, data in series.items()}
    out, year, values = {}, None, []
    for period in sorted(series):
        if period.year != year:
            year, values = period.year, []
        if series[period]["value"] is not None:
            values.append(series[period]["value"])
        out[period] = year_to_date(values, indicator.aggregation)
    return out


def _ranked(indicator: Indicator, point: PointRow | None) -> float | None:
    if point is None:
        return None
    if indicator.rank_basis == RankBasis.SINGLE:
        return point.single
    return point.growth if indicator.rank_basis == RankBasis.GROWTH else point.ytd


def _points_before(indicator: Indicator, period: dt.date) -> dict[int, PointRow]:
    """The stored points of the period before the first rebuilt one (for runs and rank changes)."""
    rows = Point.objects.filter(indicator=indicator, period=period).values_list(
        "region_id", _float("single"), _float("ytd"), _float("growth"), "rank", "below_target_run", "decline_run"
    )
    return {
        region_id: PointRow(
            region_id, period, None, None, single, ytd, growth, None, None, None, rank, None, None, below, decline
        )
        for region_id, single, ytd, growth, rank, below, decline in rows
    }


def compute_points(indicator: Indicator, years: list[int]) -> list[PointRow]:
    """The points of `years` (ascending) from the inputs of those years and the year before."""
    first_year, last_year = years[0], years[-1]
    inputs = derived_inputs(indicator, dt.date(first_year - 1, 1, 1), dt.date(last_year, 12, 1))
    peer_of = dict(Region.objects.filter(is_active=True).values_list("pk", "peer_set"))
    targets = {key: (float(t.value), t.basis, t.value) for key, t in _targets(indicator, years).items()}
    sign = -1 if indicator.direction == Direction.LOWER else 1
    by_cumulative = indicator.aggregation == Aggregation.SUM or indicator.cumulative
    before = _points_before(indicator, previous(indicator, dt.date(first_year, step(indicator), 1)))
    by_region: dict[int, dict[dt.date, dict]] = defaultdict(dict)
    for (region_id, period), data in inputs.items():
        if region_id in peer_of and is_period(indicator, period):
            by_region[region_id][period] = data
    ytds = {region_id: _year_to_dates(indicator, series) for region_id, series in by_region.items()}

    points: list[PointRow] = []
    for year in years:
        for period in year_periods(indicator, year):
            first_of_year = period.month == step(indicator)
            prior_period, base_period = previous(indicator, period), period.replace(year=period.year - 1)
            elapsed = period.month / 12 * 100
            made: dict[int, PointRow] = {}
            for region_id, series in by_region.items():
                data = series.get(period)
                if data is None:
                    continue
                value = data["value"]
                if indicator.cumulative:
                    prior = series.get(prior_period) if not first_of_year else None
                    single = single_from_cumulative(value, prior["value"] if prior else None, first_of_year)
                else:
                    single = value
                ytd = ytds[region_id].get(period)
                growth = data["growth"]
                if growth is None:
                    growth = growth_pct(ytd, ytds[region_id].get(base_period))
                target = targets.get((year, region_id))
                gap = progress = None
                if target is not None:
                    t, basis, _ = target
                    if basis == RankBasis.GROWTH:
                        gap = None if growth is None else sign * (growth - t)
                    elif by_cumulative:
                        progress = None if ytd is None or t == 0 else ytd / t * 100
                        gap = None if progress is None else sign * (progress - elapsed)
                    else:
                        gap = None if ytd is None else sign * (ytd - t)
                made[region_id] = PointRow(
                    region_id,
                    period,
                    data["figure"],
                    _r(value),
                    _r(single),
                    _r(ytd),
                    _r(growth),
                    target[2] if target else None,
                    _r(gap),
                    _r(progress, 2),
                )
            _rank(indicator, made, peer_of)
            for region_id, point in made.items():
                prior = before.get(region_id)
                point.below_target_run = (
                    (prior.below_target_run if prior else 0) + 1 if point.gap is not None and point.gap < 0 else 0
                )
                basis_now = _ranked(indicator, point)
                basis_before = _ranked(indicator, prior)
                falling = basis_now is not None and basis_before is not None and sign * (basis_now - basis_before) < 0
                point.decline_run = (prior.decline_run if prior else 0) + 1 if falling else 0
                if prior is not None and prior.rank and point.rank:
                    point.rank_change = prior.rank - point.rank
            points.extend(made.values())
            # Regions without a figure this period break their runs.
            before = made
    return points


def ranked_figure(indicator: Indicator, point: Point | None) -> float | None:
    """The figure a stored point is ranked by (its growth, year to date or single period's value)."""
    if point is None:
        return None
    if indicator.rank_basis == RankBasis.SINGLE:
        return _f(point.single)
    return _f(point.growth if indicator.rank_basis == RankBasis.GROWTH else point.ytd)


def _rank(indicator: Indicator, made: dict[int, PointRow], peer_of: dict[int, str]) -> None:
    lower = indicator.direction == Direction.LOWER
    ranked_sets = indicator.peer_sets or []
    sets: dict[str, dict[int, float]] = defaultdict(dict)
    for region_id, point in made.items():
        peer_set = peer_of[region_id]
        if peer_set in ranked_sets:
            v = _ranked(indicator, point)
            if v is not None:
                sets[peer_set][region_id] = v
    for values in sets.values():
        if len(values) < 2:  # one region alone is not ranked
            continue
        ranks = competition_ranks(values, lower)
        for region_id, rank in ranks.items():
            made[region_id].rank, made[region_id].rank_of = rank, len(values)


POINT_COLUMNS = (
    "indicator_id",
    "region_id",
    "period",
    "figure_id",
    "value",
    "single",
    "ytd",
    "growth",
    "target",
    "gap",
    "progress",
    "rank",
    "rank_of",
    "rank_change",
    "below_target_run",
    "decline_run",
    "derived",
)
# PostgreSQL: the columns' types for `INSERT … SELECT FROM unnest(…)` (numbers go as text, parsed exactly).
_PG_TYPES = ("bigint", "bigint", "date", "bigint", *["numeric"] * 7, "int", "int", "int", "int", "int", "boolean")


def write_points(indicator: Indicator, points: list[PointRow]) -> None:
    """Insert the points in a few statements: `INSERT … SELECT FROM unnest(…)` per 10,000 on PostgreSQL, one
    prepared `executemany` on SQLite. No model instances: a rebuild of the demo writes ~100,000 points."""
    if not points:
        return
    pg = connection.vendor == "postgresql"
    number = (lambda x: None if x is None else str(x)) if pg else (lambda x: x)
    rows = [
        (
            indicator.pk,
            p.region_id,
            p.period,
            p.figure_id,
            number(p.value),
            number(p.single),
            number(p.ytd),
            number(p.growth),
            None if p.target is None else (str(p.target) if pg else float(p.target)),
            number(p.gap),
            number(p.progress),
            p.rank,
            p.rank_of,
            p.rank_change,
            p.below_target_run,
            p.decline_run,
            indicator.is_derived,
        )
        for p in points
    ]
    table = connection.ops.quote_name(Point._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in POINT_COLUMNS)
    with connection.cursor() as cursor:
        if pg:
            arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
            for start in range(0, len(rows), 10000):
                chunk = rows[start : start + 10000]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})",
                    [list(c) for c in zip(*chunk)],
                )
        else:
            marks = ", ".join(["%s"] * len(POINT_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def dependents(indicator: Indicator) -> list[Indicator]:
    """Derived indicators that read this one (a share, a composite), to be recomputed after it."""
    found = []
    for other in Indicator.objects.filter(derivation__in=[Derivation.SHARE, Derivation.COMPOSITE], is_active=True):
        if indicator.code in _components(other):
            found.append(other)
    return found


def _components(indicator: Indicator) -> set[str]:
    params = indicator.params or {}
    return {params.get("numerator"), params.get("denominator"), *params.get("parts", {}).keys()} - {None}


def _years(years) -> list[int]:
    """The years to rebuild: each asked year and the one after (its growth and runs depend on it), not beyond
    next year, as one unbroken range."""
    wanted = sorted({y for year in years for y in (year, year + 1) if y <= timezone.localdate().year + 1})
    return list(range(wanted[0], wanted[-1] + 1)) if wanted else []


def _rebuild(indicator: Indicator, years: list[int]) -> int:
    points = compute_points(indicator, years)
    Point.objects.filter(
        indicator=indicator, period__gte=dt.date(years[0], 1, 1), period__lte=dt.date(years[-1], 12, 1)
    ).delete()
    write_points(indicator, points)
    last = Point.objects.filter(indicator=indicator).order_by("-period").values_list("period", flat=True).first()
    Indicator.objects.filter(pk=indicator.pk).update(last_period=last)
    indicator.last_period = last
    return len(points)


def recompute(indicator: Indicator, years, _seen: set | None = None) -> int:
    """Rebuild the indicator's points of `years` and of the year after each (its growth and runs depend on them),
    then those of the indicators derived from it. One transaction; returns the points written."""
    years = _years(years)
    if not years:
        return 0
    seen = _seen if _seen is not None else set()
    with transaction.atomic():
        written = _rebuild(indicator, years)
        seen.add(indicator.pk)
        for other in dependents(indicator):
            if other.pk not in seen:
                written += recompute(other, years, seen)
    return written


def recompute_all(indicators, years) -> int:
    """Rebuild many indicators at once (a bulk load, the demo): each of them and of the indicators derived from them
    exactly once, components before what is derived from them — not a derived indicator again after each of its
    components, as `recompute` one indicator at a time would. One transaction; returns the points written."""
    years = _years(years)
    if not years:
        return 0
    derived = list(Indicator.objects.filter(derivation__in=[Derivation.SHARE, Derivation.COMPOSITE], is_active=True))
    todo = {ind.code: ind for ind in indicators}
    grown = True
    while grown:  # add what is derived from anything to do, transitively
        grown = False
        for other in derived:
            if other.code not in todo and _components(other) & set(todo):
                todo[other.code], grown = other, True
    depth: dict[str, int] = {}

    def depth_of(code: str, trail: frozenset = frozenset()) -> int:
        if code not in depth:
            parts = [c for c in _components(todo[code]) if c in todo and c not in trail]
            depth[code] = 1 + max((depth_of(c, trail | {code}) for c in parts), default=-1)
        return depth[code]

    order = sorted(todo, key=lambda code: (depth_of(code), todo[code].pk))
    written = 0
    with transaction.atomic():
        for code in order:
            written += _rebuild(todo[code], years)
    return written


def worker_job(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's derivations: whistle's own three rates from the dashboard rollups for this year and last (they
    change as cases close), and any derived indicator whose components moved. Idempotent: the same inputs give the
    same points."""
    now = now or timezone.now()
    year = timezone.localtime(now).year
    written = 0
    for indicator in Indicator.objects.filter(derivation=Derivation.WHISTLE_RATE, is_active=True):
        written += recompute(indicator, [year - 1])
    return {"indicator_points": written}
