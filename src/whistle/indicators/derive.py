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
from decimal import Decimal

from django.db import transaction
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


def _dec(x: float | None, places: int = 4) -> Decimal | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return Decimal(str(round(x, places)))


def _f(x) -> float | None:
    return None if x is None else float(x)


# ---- inputs per indicator -----------------------------------------------------------------------------------


def published(indicator: Indicator, first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], dict]:
    """The latest approved version of each (region, period) in [first, last]: {key: {value, growth, figure}}."""
    found = {}
    rows = (
        Figure.objects.filter(indicator=indicator, state=FigureState.APPROVED, period__gte=first, period__lte=last)
        .order_by("region_id", "period", "version")
        .values_list("region_id", "period", "value", "growth", "pk")
    )
    for region_id, period, value, growth, pk in rows:
        found[(region_id, period)] = {"value": _f(value), "growth": _f(growth), "figure": pk}
    return found


def _component_values(codes: list[str], first: dt.date, last: dt.date) -> dict[str, dict[tuple[int, dt.date], float]]:
    out: dict[str, dict] = defaultdict(dict)
    rows = Point.objects.filter(indicator__code__in=codes, period__gte=first, period__lte=last).values_list(
        "indicator__code", "region_id", "period", "value"
    )
    for code, region_id, period, value in rows:
        if value is not None:
            out[code][(region_id, period)] = float(value)
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


def _targets(indicator: Indicator, years) -> dict[tuple[int, int], Target]:
    return {(t.year, t.region_id): t for t in Target.objects.filter(indicator=indicator, year__in=list(years))}


def compute_points(indicator: Indicator, years: list[int]) -> list[Point]:
    """The points of `years` (ascending) from the inputs of those years and the year before."""
    first_year, last_year = years[0], years[-1]
    inputs = derived_inputs(indicator, dt.date(first_year - 1, 1, 1), dt.date(last_year, 12, 1))
    regions = {r.pk: r for r in Region.objects.filter(is_active=True)}
    targets = _targets(indicator, years)
    sign = -1 if indicator.direction == Direction.LOWER else 1
    # The point before the first rebuilt period, for runs and rank changes.
    before = {
        p.region_id: p
        for p in Point.objects.filter(
            indicator=indicator, period=previous(indicator, dt.date(first_year, step(indicator), 1))
        )
    }
    by_region: dict[int, dict[dt.date, dict]] = defaultdict(dict)
    for (region_id, period), data in inputs.items():
        if region_id in regions and is_period(indicator, period):
            by_region[region_id][period] = data

    def ytd_of(region_id: int, period: dt.date) -> float | None:
        series = by_region.get(region_id, {})
        if indicator.cumulative:
            d = series.get(period)
            return d["value"] if d else None
        values = [series[p]["value"] for p in year_periods(indicator, period.year, period) if p in series]
        values = [v for v in values if v is not None]
        return year_to_date(values, indicator.aggregation) if period in series else None

    points: list[Point] = []
    for year in years:
        for period in year_periods(indicator, year):
            made: dict[int, Point] = {}
            for region_id, series in by_region.items():
                data = series.get(period)
                if data is None:
                    continue
                value = data["value"]
                first_of_year = period.month == step(indicator)
                if indicator.cumulative:
                    prior = series.get(previous(indicator, period)) if not first_of_year else None
                    single = single_from_cumulative(value, prior["value"] if prior else None, first_of_year)
                else:
                    single = value
                ytd = ytd_of(region_id, period)
                growth = data["growth"]
                if growth is None:
                    growth = growth_pct(ytd, ytd_of(region_id, period.replace(year=period.year - 1)))
                target = targets.get((year, region_id))
                gap = progress = None
                if target is not None:
                    t = float(target.value)
                    if target.basis == RankBasis.GROWTH:
                        gap = None if growth is None else sign * (growth - t)
                    elif indicator.aggregation == Aggregation.SUM or indicator.cumulative:
                        progress = None if ytd is None or t == 0 else ytd / t * 100
                        elapsed = period.month / 12 * 100
                        gap = None if progress is None else sign * (progress - elapsed)
                    else:
                        gap = None if ytd is None else sign * (ytd - t)
                made[region_id] = Point(
                    indicator=indicator,
                    region_id=region_id,
                    period=period,
                    figure_id=data["figure"],
                    value=_dec(value),
                    single=_dec(single),
                    ytd=_dec(ytd),
                    growth=_dec(growth),
                    target=target.value if target else None,
                    gap=_dec(gap),
                    progress=_dec(progress, 2),
                    derived=indicator.is_derived,
                )
            _rank(indicator, made, regions)
            for region_id, point in made.items():
                prior = before.get(region_id)
                point.below_target_run = (
                    (prior.below_target_run if prior else 0) + 1 if point.gap is not None and point.gap < 0 else 0
                )
                basis_now = ranked_figure(indicator, point)
                basis_before = ranked_figure(indicator, prior) if prior else None
                falling = basis_now is not None and basis_before is not None and sign * (basis_now - basis_before) < 0
                point.decline_run = (prior.decline_run if prior else 0) + 1 if falling else 0
                if prior is not None and prior.rank and point.rank:
                    point.rank_change = prior.rank - point.rank
            points.extend(made.values())
            # Regions without a figure this period break their runs.
            before = made
    return points


def ranked_figure(indicator: Indicator, point: Point | None) -> float | None:
    if point is None:
        return None
    if indicator.rank_basis == RankBasis.SINGLE:
        return _f(point.single)
    return _f(point.growth if indicator.rank_basis == RankBasis.GROWTH else point.ytd)


def _rank(indicator: Indicator, made: dict[int, Point], regions: dict[int, Region]) -> None:
    lower = indicator.direction == Direction.LOWER
    sets: dict[str, dict[int, float]] = defaultdict(dict)
    for region_id, point in made.items():
        peer_set = regions[region_id].peer_set
        if peer_set in (indicator.peer_sets or []):
            v = ranked_figure(indicator, point)
            if v is not None:
                sets[peer_set][region_id] = v
    for values in sets.values():
        if len(values) < 2:  # one region alone is not ranked
            continue
        ranks = competition_ranks(values, lower)
        for region_id, rank in ranks.items():
            made[region_id].rank, made[region_id].rank_of = rank, len(values)


def dependents(indicator: Indicator) -> list[Indicator]:
    """Derived indicators that read this one (a share, a composite), to be recomputed after it."""
    found = []
    for other in Indicator.objects.filter(derivation__in=[Derivation.SHARE, Derivation.COMPOSITE], is_active=True):
        params = other.params or {}
        if indicator.code in (params.get("numerator"), params.get("denominator"), *params.get("parts", {}).keys()):
            found.append(other)
    return found


def recompute(indicator: Indicator, years, _seen: set | None = None) -> int:
    """Rebuild the indicator's points of `years` and of the year after each (its growth and runs depend on them),
    then those of the indicators derived from it. One transaction; returns the points written."""
    wanted = sorted({y for year in years for y in (year, year + 1) if y <= timezone.localdate().year + 1})
    if not wanted:
        return 0
    years = list(range(wanted[0], wanted[-1] + 1))
    seen = _seen if _seen is not None else set()
    with transaction.atomic():
        points = compute_points(indicator, years)
        Point.objects.filter(
            indicator=indicator, period__gte=dt.date(years[0], 1, 1), period__lte=dt.date(years[-1], 12, 1)
        ).delete()
        Point.objects.bulk_create(points, batch_size=2000)
        last = Point.objects.filter(indicator=indicator).order_by("-period").values_list("period", flat=True).first()
        Indicator.objects.filter(pk=indicator.pk).update(last_period=last)
        indicator.last_period = last
        written = len(points)
        seen.add(indicator.pk)
        for other in dependents(indicator):
            if other.pk not in seen:
                written += recompute(other, years, seen)
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
