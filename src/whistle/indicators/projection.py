"""Year-end projection for a cumulative indicator, from its own seasonal history (issue 17, item 6).

Method (a seasonal ratio, the way a statistics office reads "1-N月完成全年的几成"):
- For each past year k with both figures, the ratio rₖ = 全年累计 / 1-N月累计 of that year says how much the year
  had still to come after month N.
- The projection is this year's 1-N月累计 × the mean of the rₖ (at most the last 5 years); the projected growth is
  against last year's whole-year figure.
- The chance of meeting the target treats the year-end figure as normal around the projection, with the spread
  of the projections each single rₖ would give (their sample standard deviation); with fewer than two past years
  the spread is a floor of 3% of the projection, so one year of history never claims certainty.
  P(meet) = Φ((projection − target figure) / spread) for "higher is better", the other tail for "lower".

Why not statsmodels: a seasonal ARIMA or exponential smoothing needs a long monthly series per region, and the
figures here are 1-N月 cumulative with one point per month per year; with three to five years of history the
ratio method is as good, explainable to a leader in one sentence, and testable by hand.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics

from .models import Direction, Indicator, Point, RankBasis, Target

MAX_YEARS = 5
SPREAD_FLOOR = 0.03


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def project(ytd_now: float, history: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(projection, spread) of the year-end figure from this year's 1-N月 and past years' (1-N月, 全年) pairs."""
    ratios = [full / part for part, full in history if part and full is not None]
    if not ratios:
        return None
    ratios = ratios[-MAX_YEARS:]
    projection = ytd_now * statistics.fmean(ratios)
    singles = [ytd_now * r for r in ratios]
    spread = statistics.stdev(singles) if len(singles) >= 2 else 0.0
    return projection, max(spread, abs(projection) * SPREAD_FLOOR)


def chance(projection: float, spread: float, target_figure: float, lower_is_better: bool) -> float:
    """Probability (0–100) that the year ends at or better than the target figure."""
    if spread <= 0:
        meets = projection <= target_figure if lower_is_better else projection >= target_figure
        return 100.0 if meets else 0.0
    z = (projection - target_figure) / spread
    p = normal_cdf(-z) if lower_is_better else normal_cdf(z)
    return round(p * 100, 1)


def for_point(indicator: Indicator, point: Point, history: dict[int, dict[int, float]] | None = None) -> dict | None:
    """The projection for one published point: {projection, growth, target_figure, chance, years}. `history` is
    {year: {month: ytd}} of the region (read here when not given)."""
    if point.ytd is None or point.period.month == 12:
        return None
    target = Target.objects.filter(indicator=indicator, year=point.period.year, region_id=point.region_id).first()
    if history is None:
        history = {}
        y, m = point.period.year, point.period.month
        periods = [dt.date(year, month, 1) for year in range(y - MAX_YEARS - 1, y) for month in {m, 12}]
        for period, ytd in Point.objects.filter(
            indicator=indicator, region_id=point.region_id, period__in=periods
        ).values_list("period", "ytd"):
            if ytd is not None:
                history.setdefault(period.year, {})[period.month] = float(ytd)
    return evaluate(indicator, point.period, float(point.ytd), history, target)


def evaluate(
    indicator: Indicator, period: dt.date, ytd: float, history: dict[int, dict[int, float]], target: Target | None
) -> dict | None:
    m = period.month
    pairs = [(h[m], h[12]) for y, h in sorted(history.items()) if y < period.year and m in h and 12 in h]
    got = project(ytd, pairs)
    if got is None:
        return None
    projection, spread = got
    last_year = history.get(period.year - 1, {}).get(12)
    growth = None if not last_year else (projection - last_year) / abs(last_year) * 100
    out = {"projection": projection, "spread": spread, "growth": growth, "years": len(pairs), "chance": None}
    if target is not None:
        if target.basis == RankBasis.GROWTH:
            if not last_year:
                return out
            target_figure = last_year * (1 + float(target.value) / 100)
        else:
            target_figure = float(target.value)
        out["target_figure"] = target_figure
        out["chance"] = chance(projection, spread, target_figure, indicator.direction == Direction.LOWER)
    return out
