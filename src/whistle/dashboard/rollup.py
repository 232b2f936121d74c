"""The monthly rollup of case facts (`CaseMonthFact`): what each definition counts, kept per
(month of submission, county, lead unit) so rates and rankings never scan the case table.

A case belongs to the Beijing calendar month it was submitted in, and its facts are read from its row as it
stands (deadlines, when it was contacted, how the last follow-up went). Every change to a case appends a
`CaseEvent`, so the months to recompute are those of the cases with events past the watermark.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from whistle.core.months import add_months, month_bounds, month_of  # noqa: F401 (rollup.add_months etc. are used by callers)
from whistle.cases.models import Case, CaseEvent, Card, Channel, Resolution, Satisfaction

from .models import CaseMonthFact, RollupState

# Fact column → which cases it counts. Shared by the rollup and by the raw computation `verify` compares with.
FACTS: dict[str, Q] = {
    "cases": Q(),
    "dispatched": Q(dispatched_at__isnull=False),
    # 应办结件: replied (on time or not), or still open a working day past the solve deadline (red card).
    "due": Q(replied_at__isnull=False) | Q(is_open=True, card=Card.RED),
    "on_time": Q(replied_at__isnull=False) & (Q(resolve_due_at__isnull=True) | Q(replied_at__lte=F("resolve_due_at"))),
    "contact_due": Q(contact_due_at__isnull=False),
    "contact_in_time": Q(contact_due_at__isnull=False, contacted_at__lte=F("contact_due_at")),
    "opinion_due": Q(opinion_due_at__isnull=False),
    "opinion_in_time": Q(opinion_due_at__isnull=False, opinion_at__lte=F("opinion_due_at")),
    "followed": Q(followed_up_at__isnull=False),
    "res_resolved": Q(followed_up_at__isnull=False, resolution=Resolution.RESOLVED),
    "res_partly": Q(followed_up_at__isnull=False, resolution=Resolution.PARTLY),
    "res_unresolved": Q(followed_up_at__isnull=False, resolution=Resolution.UNRESOLVED),
    "res_unreachable": Q(followed_up_at__isnull=False, resolution=Resolution.UNREACHABLE),
    "sat_satisfied": Q(followed_up_at__isnull=False, satisfaction=Satisfaction.SATISFIED),
    "sat_basic": Q(followed_up_at__isnull=False, satisfaction=Satisfaction.BASIC),
    "sat_unsatisfied": Q(followed_up_at__isnull=False, satisfaction=Satisfaction.UNSATISFIED),
    "returned": Q(returns_count__gt=0),
    "reopened": Q(reopen_count__gt=0),
    "closed": Q(is_open=False),
    # 差评整改 cases and whether the unit called the rater back (contact recorded); a rating voided on appeal no
    # longer counts (as in `ratings.selectors.ratings_overview`'s 回访率).
    "rect_cases": Q(channel=Channel.RATING) & ~Q(rating__counted=False),
    "rect_contacted": Q(channel=Channel.RATING, contacted_at__isnull=False) & ~Q(rating__counted=False),
}
FACT_LABELS = {
    "cases": "受理件", "dispatched": "派单件", "due": "应办结件", "on_time": "按期办结件", "contact_due": "应联系件",
    "contact_in_time": "按时联系件", "opinion_due": "应答复件", "opinion_in_time": "按时答复件", "followed": "回访件",
    "res_resolved": "回访已解决", "res_partly": "回访部分解决", "res_unresolved": "回访未解决", "res_unreachable": "回访无法联系",
    "sat_satisfied": "满意", "sat_basic": "基本满意", "sat_unsatisfied": "不满意", "returned": "退单件", "reopened": "重办件",
    "closed": "已办结件", "rect_cases": "差评整改件", "rect_contacted": "差评已回访件",
}


def aggregates() -> dict:
    return {name: Count("pk", filter=q) if q else Count("pk") for name, q in FACTS.items()}


def raw_facts(month: dt.date):
    """The facts of one month straight from the case rows, grouped like the rollup."""
    start, end = month_bounds(month)
    return (Case.objects.filter(submitted_at__gte=start, submitted_at__lt=end).order_by()
            .values("county_id", "lead_unit_id").annotate(**aggregates()))


@transaction.atomic
def recompute_month(month: dt.date) -> int:
    """Replace one month's rollup rows by a fresh aggregate; returns the number of rows written."""
    CaseMonthFact.objects.filter(month=month).delete()
    rows = [CaseMonthFact(month=month, **row) for row in raw_facts(month)]
    CaseMonthFact.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _state() -> RollupState:
    state = RollupState.objects.select_for_update().first()
    return state or RollupState.objects.create()


def touched_months(after_event_id: int) -> list[dt.date]:
    case_ids = CaseEvent.objects.filter(pk__gt=after_event_id).values("case_id")
    moments = (Case.objects.filter(pk__in=case_ids).order_by().annotate(m=TruncMonth("submitted_at"))
               .values_list("m", flat=True).distinct())
    return sorted({month_of(m) for m in moments})


@transaction.atomic
def refresh(now: dt.datetime | None = None) -> dict:
    """Recompute the months touched since the watermark. When anything moved, the current month is recomputed
    too: an event committed late by a concurrent transaction (an id below the watermark) is nearly always a
    current-month case, and is caught there. When nothing moved, nothing is read but the newest event id."""
    now = now or timezone.now()
    state = _state()
    top = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if top == state.last_event_id:
        return {"metrics_months_recomputed": 0, "metrics_rollup_rows": 0}
    months = set(touched_months(state.last_event_id)) | {month_of(now)}
    rows = sum(recompute_month(m) for m in sorted(months))
    state.last_event_id, state.refreshed_at = top, now
    state.save()
    return {"metrics_months_recomputed": len(months), "metrics_rollup_rows": rows}


def worker_job(now: dt.datetime) -> dict:
    return refresh(now)


@transaction.atomic
def rebuild(now: dt.datetime | None = None) -> dict:
    """Drop the rollup and compute every month that has cases."""
    now = now or timezone.now()
    state = _state()
    top = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    CaseMonthFact.objects.all().delete()
    first = Case.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    last = Case.objects.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    months, rows = 0, 0
    if first is not None:
        month, stop = month_of(first), month_of(last)
        while month <= stop:
            rows += recompute_month(month)
            months += 1
            month = add_months(month, 1)
    state.last_event_id, state.refreshed_at = top, now
    state.save()
    return {"months": months, "rows": rows}


def verify() -> list[str]:
    """Differences between the rollup and the raw rows, one line each; empty when they agree."""
    problems = []
    first = Case.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    last = Case.objects.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    months = set(CaseMonthFact.objects.values_list("month", flat=True).distinct())
    if first is not None:
        month, stop = month_of(first), month_of(last)
        while month <= stop:
            months.add(month)
            month = add_months(month, 1)
    fields = list(FACTS)
    for month in sorted(months):
        raw = {(r["county_id"], r["lead_unit_id"]): r for r in raw_facts(month)}
        rolled = {(r["county_id"], r["lead_unit_id"]): r
                  for r in CaseMonthFact.objects.filter(month=month).values("county_id", "lead_unit_id", *fields)}
        for key in sorted(set(raw) | set(rolled), key=lambda k: (k[0], k[1] or 0)):
            a, b = raw.get(key), rolled.get(key)
            for name in fields:
                want, got = (a or {}).get(name, 0), (b or {}).get(name, 0)
                if want != got:
                    problems.append(f"{month:%Y-%m} county={key[0]} unit={key[1]} {name}: rollup {got}, raw {want}")
    return problems


def raw_sums(q, first: dt.date, last: dt.date, group: str | None = None):
    """The same sums as `sums` over the rollup, straight from the case rows of months [first, last]: the plain
    aggregate the rollup is checked and benchmarked against. `q` filters cases (scope, units)."""
    start, end = month_bounds(first)[0], month_bounds(last)[1]
    qs = Case.objects.filter(q, submitted_at__gte=start, submitted_at__lt=end).order_by()
    if group is None:
        return qs.aggregate(**aggregates())
    return list(qs.values(group).annotate(**aggregates()))


def sums(qs, group: str | None = None):
    """Sum the fact columns of a rollup queryset, per `group` column or in total."""
    totals = {name: Sum(name) for name in FACTS}
    if group is None:
        row = qs.order_by().aggregate(**totals)
        return {k: v or 0 for k, v in row.items()}
    return [{k: (v or 0) if k in FACTS else v for k, v in row.items()}
            for row in qs.order_by().values(group).annotate(**totals)]


def demo_seed(heze, *, seed=None) -> str:
    """After the demo year is played: build the rollup so the rankings show at once (the worker keeps it fresh)."""
    result = rebuild()
    return f"指标月度汇总：{result['months']} 个月，{result['rows']} 行"
