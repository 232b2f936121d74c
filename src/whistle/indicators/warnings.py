"""The warning sweep (worker job): each active `WarningRule` over the latest published points → 预警函 to the
responsible units, then repeated letters → a 约谈 proposal through the accountability app.

Set-based: per rule, the latest period of every indicator comes from one GROUP BY, the points in breach from one
query over the `point_period` index (the runs, rank changes and bottom positions are columns `derive` keeps), and
the letters already written from one more. A lapse is keyed (`Warning.lapse_key`, unique per rule): a run of bad
periods is one lapse keyed by the period it began (counting "run"), or each period is its own (counting "each");
running the sweep again finds every key taken and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from whistle.core import calendar
from whistle.core.months import add_months

from . import derive, projection, selectors
from .models import Counting, Indicator, Point, Region, RuleKind, Target, Warning, WarningRule

ACCOUNTABILITY_RULE = "indicator-warnings"


def _fmt(x, places=2) -> str:
    if x is None:
        return "—"
    text = f"{float(x):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _run_start(indicator: Indicator, period: dt.date, run: int) -> dt.date:
    return add_months(period, -derive.step(indicator) * (max(run, 1) - 1))


def _breach_q(rule: WarningRule) -> Q:
    if rule.kind == RuleKind.BELOW_TARGET:
        return Q(below_target_run__gte=max(rule.periods, 1))
    if rule.kind == RuleKind.RANK_DROP:
        return Q(rank_change__lte=-max(rule.places, 1))
    if rule.kind == RuleKind.BOTTOM:
        return Q(rank__isnull=False, rank__gt=F("rank_of") - rule.bottom_n)
    if rule.kind == RuleKind.DECLINE:
        return Q(decline_run__gte=max(rule.periods, 1))
    return Q(ytd__isnull=False)  # projection: every point with a year to date is a candidate, judged below


def _fact(rule: WarningRule, ind: Indicator, p: Point, extra: dict) -> str:
    figure = f"累计增长{_fmt(p.growth)}%" if ind.rank_basis == "growth" else f"为{_fmt(p.ytd)}{ind.measure}"
    label = derive.period_label(ind, p.period)
    if rule.kind == RuleKind.BELOW_TARGET:
        return f"{label}{figure}，已连续{p.below_target_run}期低于年度目标（{_fmt(p.target)}）"
    if rule.kind == RuleKind.RANK_DROP:
        return f"{label}{figure}，居第{p.rank}位，较上期下降{-p.rank_change}位"
    if rule.kind == RuleKind.BOTTOM:
        return f"{label}{figure}，在{p.rank_of}个参评单位中居第{p.rank}位（后{rule.bottom_n}位）"
    if rule.kind == RuleKind.DECLINE:
        return f"{label}{figure}，已连续{p.decline_run}期回落"
    return (
        f"{label}{figure}，按历年进度测算全年预计{_fmt(extra.get('projection'))}{ind.measure}，"
        f"完成年度目标的可能性约{_fmt(extra.get('chance'), 0)}%"
    )


class Breach(NamedTuple):
    """A point in breach, as much of it as its lapse key needs."""

    pk: int
    indicator_id: int
    region_id: int
    period: dt.date
    below_target_run: int
    decline_run: int
    rank: int | None
    rank_of: int | None


def _lapse_key(
    rule: WarningRule, ind: Indicator, p: Breach | Point, region: Region, bottom_start: dt.date | None
) -> str:
    base = f"{ind.code}:{region.code}:"
    if rule.kind == RuleKind.PROJECTION:
        return base + f"{p.period.year}"
    if rule.counting == Counting.EACH or rule.kind == RuleKind.RANK_DROP:
        return base + p.period.strftime("%Y-%m")
    run = {RuleKind.BELOW_TARGET: p.below_target_run, RuleKind.DECLINE: p.decline_run}.get(rule.kind)
    start = bottom_start if rule.kind == RuleKind.BOTTOM else _run_start(ind, p.period, run or 1)
    return base + "run:" + start.strftime("%Y-%m")


def _bottom_starts(rule: WarningRule, hits: list[Breach], indicators: dict[int, Indicator]) -> dict[int, dt.date]:
    """For "run" counting on the bottom rule: the first period of each hit's unbroken run in the bottom."""
    if rule.kind != RuleKind.BOTTOM or rule.counting != Counting.RUN or not hits:
        return {}
    earliest = min(h.period for h in hits)
    history = defaultdict(dict)
    rows = Point.objects.filter(
        indicator_id__in={h.indicator_id for h in hits},
        region_id__in={h.region_id for h in hits},
        period__gte=add_months(earliest, -36),
    ).values_list("indicator_id", "region_id", "period", "rank", "rank_of")
    for ind_id, region_id, period, rank, rank_of in rows:
        history[(ind_id, region_id)][period] = (
            rank is not None and rank_of is not None and rank > rank_of - rule.bottom_n
        )
    starts = {}
    for h in hits:
        ind = indicators[h.indicator_id]
        start, p = h.period, derive.previous(ind, h.period)
        while history[(h.indicator_id, h.region_id)].get(p):
            start, p = p, derive.previous(ind, p)
        starts[h.pk] = start
    return starts


def _latest_periods(indicators: dict[int, Indicator]) -> dict[int, dt.date]:
    return {pk: ind.last_period for pk, ind in indicators.items() if ind.last_period is not None}


def _letter_numbers(rule: WarningRule, year: int):
    """文号 of the rule's prefix for the year, counted once per run and then in memory (the job's lease means one
    sweep at a time)."""
    prefix = f"{rule.letter_prefix}〔{year}〕"
    n = Warning.objects.filter(number__startswith=prefix).count()
    while True:
        n += 1
        yield f"{prefix}{n}号"


def evaluate_rule(rule: WarningRule, now: dt.datetime) -> int:
    indicators = {i.pk: i for i in Indicator.objects.filter(is_active=True).select_related("lead_unit")}
    if rule.indicators:
        indicators = {pk: i for pk, i in indicators.items() if i.code in rule.indicators}
    if rule.kind == RuleKind.PROJECTION:
        indicators = {pk: i for pk, i in indicators.items() if i.cumulative or i.aggregation == "sum"}
    if not indicators:
        return 0
    latest = _latest_periods(indicators)
    window = Q(pk__in=[])
    for ind_id, last in latest.items():
        ind = indicators[ind_id]
        cutoff = add_months(last, -derive.step(ind) * (max(rule.lookback, 1) - 1))
        if rule.kind == RuleKind.PROJECTION:
            cutoff = last  # only the latest figure is projected
        window |= Q(indicator_id=ind_id, period__gte=cutoff)
    found = Point.objects.filter(window, _breach_q(rule), region__peer_set=rule.peer_set)
    if rule.kind == RuleKind.PROJECTION:  # only a series with a target can miss it
        found = found.filter(region_id__in=Target.objects.filter(indicator_id__in=list(indicators)).values("region_id"))
    # The points in breach as bare rows first: a lapse's key needs only these columns, and on a rerun every key is
    # taken, so no point is built as a model instance (at 2,000 series the instances were most of a rerun's time).
    rows = [Breach(*r) for r in found.order_by("indicator_id", "region_id", "period").values_list(*Breach._fields)]
    if not rows:
        return 0
    regions = {r.pk: r for r in Region.objects.filter(pk__in={h.region_id for h in rows}).select_related("unit")}
    starts = _bottom_starts(rule, rows, indicators)
    keyed: dict[str, Breach] = {}
    for h in rows:
        key = _lapse_key(rule, indicators[h.indicator_id], h, regions[h.region_id], starts.get(h.pk))
        keyed.setdefault(key, h)  # the earliest period of a lapse in the window names it
    taken = set(Warning.objects.filter(rule=rule, lapse_key__in=list(keyed)).values_list("lapse_key", flat=True))
    untaken = {key: h.pk for key, h in keyed.items() if key not in taken}
    if not untaken:
        return 0
    points = Point.objects.in_bulk(list(untaken.values()))
    extras: dict[int, dict] = {}
    if rule.kind == RuleKind.PROJECTION:
        missed = {h.pk for h in _projection_hits(rule, list(points.values()), indicators, extras)}
        untaken = {key: pk for key, pk in untaken.items() if pk in missed}
    letters: list[Warning] = []
    due = calendar.add_working_days(now, rule.answer_days)
    numbers = None
    for key, pk in untaken.items():
        h = points[pk]
        ind, region = indicators[h.indicator_id], regions[h.region_id]
        unit = selectors.responsible_of(ind, region)
        if unit is None:
            continue
        fact = _fact(rule, ind, h, extras.get(h.pk, {}))
        evidence = {
            "indicator": ind.code,
            "indicator_name": ind.name,
            "indicator_version": ind.version,
            "region": region.code,
            "region_name": region.name,
            "period": h.period.strftime("%Y-%m"),
            "label": derive.period_label(ind, h.period),
            "value": _fmt(h.value, 4),
            "ytd": _fmt(h.ytd, 4),
            "growth": _fmt(h.growth),
            "target": _fmt(h.target),
            "gap": _fmt(h.gap),
            "rank": h.rank,
            "rank_of": h.rank_of,
            "rank_change": h.rank_change,
            **{k: round(v, 2) for k, v in extras.get(h.pk, {}).items() if isinstance(v, float)},
        }
        body = rule.letter_text.format(
            region=region.name,
            indicator=ind.name,
            fact=fact,
            due=timezone.localtime(due).strftime("%Y年%m月%d日"),
        )
        numbers = numbers or _letter_numbers(rule, timezone.localtime(now).year)
        letters.append(
            Warning(
                rule=rule,
                indicator=ind,
                region=region,
                unit=unit,
                period=h.period,
                lapse_key=key,
                number=next(numbers),
                summary=f"{region.name}{ind.name}：{fact}"[:300],
                body=body,
                evidence=evidence,
                issued_at=now,
                due_at=due,
            )
        )
    return _write_letters(letters)


def _write_letters(letters: list[Warning]) -> int:
    """The run's letters in one INSERT; if another worker wrote one of these lapses a moment ago (the unique
    lapse key refuses it), one at a time, skipping those."""
    if not letters:
        return 0
    try:
        with transaction.atomic():
            Warning.objects.bulk_create(letters)
        return len(letters)
    except IntegrityError:
        pass
    written = 0
    for letter in letters:
        letter.pk = None
        try:
            with transaction.atomic():
                letter.save(force_insert=True)
        except IntegrityError:
            continue
        written += 1
    return written


def _projection_hits(rule: WarningRule, hits: list[Point], indicators, extras: dict) -> list[Point]:
    """Points whose year-end projection meets the target with a chance below the rule's threshold."""
    years = {h.period.year for h in hits}
    targets = {
        (t.indicator_id, t.year, t.region_id): t
        for t in Target.objects.filter(indicator_id__in={h.indicator_id for h in hits}, year__in=years)
    }
    # Only a series with a target this year can miss it.
    hits = [h for h in hits if (h.indicator_id, h.period.year, h.region_id) in targets and h.period.month != 12]
    if not hits:
        return []
    months = {h.period.month for h in hits} | {12}
    history = defaultdict(lambda: defaultdict(dict))
    periods = [
        dt.date(y, m, 1) for y in range(min(years) - projection.MAX_YEARS - 1, max(years) + 1) for m in months
    ]  # exact dates, so the (indicator, period) index serves the query
    rows = (
        Point.objects.filter(
            indicator_id__in={h.indicator_id for h in hits},
            region_id__in={h.region_id for h in hits},
            period__in=periods,
            ytd__isnull=False,
        )
        .annotate(ytd_float=Cast("ytd", FloatField()))
        .values_list("indicator_id", "region_id", "period", "ytd_float")
    )
    for ind_id, region_id, period, ytd in rows:
        history[(ind_id, region_id)][period.year][period.month] = ytd
    found = []
    for h in hits:
        target = targets.get((h.indicator_id, h.period.year, h.region_id))
        if target is None or h.period.month == 12:
            continue
        got = projection.evaluate(
            indicators[h.indicator_id], h.period, float(h.ytd), history[(h.indicator_id, h.region_id)], target
        )
        if got and got.get("chance") is not None and got["chance"] < rule.chance_pct:
            extras[h.pk] = got
            found.append(h)
    return found


def escalate(rule: WarningRule, now: dt.datetime) -> int:
    """`escalate_after` letters of this rule to one unit within `escalate_months`, none cited before → one 约谈
    proposal with the letters and their figures as evidence; the letters then name it, so they are never cited
    again."""
    from whistle.accountability.services import proposal_raise

    if not rule.escalate_after:
        return 0
    since = now - dt.timedelta(days=31 * rule.escalate_months)
    pending = defaultdict(list)
    for w in (
        Warning.objects.filter(rule=rule, proposal__isnull=True, issued_at__gte=since)
        .select_related("unit", "indicator", "region")
        .order_by("issued_at", "pk")
    ):
        pending[w.unit_id].append(w)
    raised = 0
    for letters in pending.values():
        if len(letters) < rule.escalate_after:
            continue
        unit = letters[0].unit
        evidence = {
            "source": "indicators",
            "rule": rule.code,
            "letters": [
                {
                    "id": w.pk,
                    "number": w.number,
                    "issued": timezone.localtime(w.issued_at).date().isoformat(),
                    "state": w.state,
                    "summary": w.summary,
                    "figures": w.evidence,
                }
                for w in letters
            ],
        }
        proposal = proposal_raise(
            rule_code=ACCOUNTABILITY_RULE,
            unit=unit,
            summary=f"{unit.name}{rule.escalate_months}个月内收到{len(letters)}份“{rule.name}”预警函",
            evidence=evidence,
            evidence_key=f"indicators:{rule.code}:{unit.pk}:" + ",".join(str(w.pk) for w in letters),
            now=now,
        )
        if proposal is not None:
            Warning.objects.filter(pk__in=[w.pk for w in letters]).update(proposal=proposal)
            raised += 1
    return raised


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker job: every active rule, then escalation. Returns the letters and proposals written."""
    now = now or timezone.now()
    letters = proposals = 0
    for rule in WarningRule.objects.filter(is_active=True).order_by("code"):
        letters += evaluate_rule(rule, now)
        proposals += escalate(rule, now)
    return {"indicator_warnings": letters, "indicator_proposals": proposals}
