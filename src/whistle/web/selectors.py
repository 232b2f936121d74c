"""Page-shaped reads, built on the scoped case selectors: whatever a page lists went through `case_list`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from whistle.cases.models import Card, Case, CaseEvent, Category, Channel, EscalationLevel, ExtensionState, State
from whistle.cases.selectors import case_list, urgency_rank
from whistle.org.models import Level, Unit
from whistle.org.scopes import Actor, subtree_q
from whistle.org.selectors import handling_units


@dataclass(frozen=True)
class LedgerView:
    """A preset of the 台账: the lists a coordination office works from."""

    key: str
    label: str

    def q(self, now: dt.datetime) -> Q:
        return {
            "queue": Q(state__in=[State.SUBMITTED, State.RETURNED]),
            "extensions": Q(is_open=True, extension_state=ExtensionState.REQUESTED),
            "overdue": Q(is_open=True, next_due_at__lt=now),
            "supervised": Q(is_open=True, supervision_count__gt=0),
            "escalated": Q(level__in=[EscalationLevel.CITY, EscalationLevel.GREEN_CHANNEL]),
            "green": Q(level=EscalationLevel.GREEN_CHANNEL),
            "contradictory": Q(answers_contradict=True),
            "open": Q(is_open=True),
            "all": Q(),
        }[self.key]


LEDGER_VIEWS = [
    LedgerView("queue", "待派单"),
    LedgerView("extensions", "待审批延期"),
    LedgerView("overdue", "超期"),
    LedgerView("supervised", "督办中"),
    LedgerView("escalated", "市级协调"),
    LedgerView("green", "绿色通道"),
    LedgerView("contradictory", "答复矛盾"),
    LedgerView("open", "在办"),
    LedgerView("all", "全部"),
]
LEDGER_VIEW = {v.key: v for v in LEDGER_VIEWS}


@dataclass(frozen=True)
class Basis:
    """A 台账 filter for a figure of the cockpit that no ledger view gives (e.g. escalated *and* still open)."""

    key: str
    label: str

    def q(self, now: dt.datetime) -> Q:
        return {"open": Q(is_open=True)}[self.key]


BASES = [Basis("open", "在办")]
BASIS = {b.key: b for b in BASES}


def category_subtree_ids(category: Category) -> list[int]:
    """A category and everything under it (the catalogue is small: three levels, a few hundred rows)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = [], [category.pk]
    while todo:
        pk = todo.pop()
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def ledger(actor: Actor, filters: dict, now: dt.datetime | None = None) -> QuerySet[Case]:
    """The cases behind every list and export of the office pages; `filters` is a cleaned LedgerFilterForm."""
    now = now or timezone.now()
    county, unit = filters.get("county"), filters.get("unit")
    qs = case_list(
        actor,
        state=filters.get("state") or None,
        county=county.pk if county else None,
        unit=unit.pk if unit else None,
        kind=filters.get("kind") or None,
    )
    qs = qs.filter(LEDGER_VIEW[filters.get("view") or "all"].q(now))
    if filters.get("category"):
        exact = filters.get("category_exact")
        qs = (
            qs.filter(category_id=filters["category"].pk)
            if exact
            else qs.filter(category_id__in=category_subtree_ids(filters["category"]))
        )
    if filters.get("basis"):
        qs = qs.filter(BASIS[filters["basis"]].q(now))
    if filters.get("fact"):
        from whistle.dashboard.case_rollup import facts

        counted = facts(now)
        either = Q(pk__in=[])
        for name in filters["fact"]:
            either |= counted[name]
        qs = qs.filter(either)
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("q"):
        qs = qs.filter(Q(title__contains=filters["q"]) | Q(description__contains=filters["q"]))
    if filters.get("level"):
        qs = qs.filter(level=filters["level"])
    if filters.get("resolution"):
        qs = qs.filter(resolution=filters["resolution"])
    if filters.get("satisfaction"):
        qs = qs.filter(satisfaction=filters["satisfaction"])
    if filters.get("date_from"):
        qs = qs.filter(submitted_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(submitted_at__lt=_day_start(filters["date_to"] + dt.timedelta(days=1)))
    if filters.get("view") == "overdue":
        # The latest first: the case whose deadline passed longest ago heads the list.
        qs = qs.order_by("next_due_at", "pk")
    elif filters.get("view") == "queue":
        # 紧急 and 加急 first, then the nearest dispatch deadline.
        qs = qs.order_by(urgency_rank(), F("next_due_at").asc(nulls_last=True), "pk")
    return qs


def ledger_caption(filters: dict) -> str:
    """Which figure a list explains, in words (the cockpit's and the reports' links open the 台账 with filters):
    「2026年3月受理 · 曹县人民政府 · 已办结件」. Empty when nothing narrows the list."""
    from whistle.dashboard.case_rollup import FACT_LABELS

    parts = []
    start, end = filters.get("date_from"), filters.get("date_to")
    if (
        start
        and end
        and start.day == 1
        and end == (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    ):
        parts.append(f"{start.year}年{start.month}月受理")
    elif start or end:
        parts.append(f"{_day(start) if start else '…'}至{_day(end) if end else '今'}受理")
    for name in ("county", "unit", "category"):
        if filters.get(name):
            parts.append(filters[name].name)
    if filters.get("view") and filters["view"] != "all":
        parts.append(LEDGER_VIEW[filters["view"]].label)
    if filters.get("basis"):
        parts.append(BASIS[filters["basis"]].label)
    if filters.get("fact"):
        parts.append("或".join(FACT_LABELS.get(f, f) for f in filters["fact"]))
    for name, choices in (("state", State), ("channel", Channel), ("level", EscalationLevel)):
        if filters.get(name):
            parts.append(dict(choices.choices).get(filters[name], filters[name]))
    if filters.get("q"):
        parts.append(f"含“{filters['q']}”")
    return " · ".join(parts)


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def suggestable_units(case: Case) -> QuerySet[Unit]:
    """Where a returned case could go instead: the units of its county and its city's own units, not every
    unit of the city (a select of a thousand options is slow to render and to use)."""
    return handling_units().filter(subtree_q(case.county) | Q(level=Level.CITY, city_id=case.city_id))


def assisting(actor: Actor) -> QuerySet[Case]:
    """Open cases where the actor's unit helps another unit (协办)."""
    return (
        case_list(actor)
        .filter(is_open=True, assisting_units=actor.unit)
        .select_related("lead_unit")
        .order_by("next_due_at", "pk")
    )


def desk_summary(inbox: QuerySet[Case], now: dt.datetime) -> dict[str, int]:
    """The handler's desk in figures, one statement over their inbox (`cases.selectors.inbox`): all, yellow and red
    cards, overdue, waiting to be signed."""
    return inbox.order_by().aggregate(
        total=Count("pk"),
        yellow=Count("pk", filter=Q(card=Card.YELLOW)),
        red=Count("pk", filter=Q(card=Card.RED)),
        overdue=Count("pk", filter=Q(next_due_at__lt=now)),
        to_accept=Count("pk", filter=Q(state=State.DISPATCHED)),
    )


def ledger_counts(actor: Actor, views, now: dt.datetime) -> dict[str, int]:
    """Each ledger tab's count of the actor's open cases (not "all", which the list itself counts), one statement."""
    open_scope = case_list(actor).order_by().filter(is_open=True)
    return open_scope.aggregate(**{v.key: Count("pk", filter=v.q(now)) for v in views if v.key != "all"})


def last_events(case_ids: list[int], action: str) -> dict[int, CaseEvent]:
    """The latest event of one kind per case, for a page of cases in one query (why it was returned, reopened …)."""
    found: dict[int, CaseEvent] = {}
    for event in CaseEvent.objects.filter(case_id__in=case_ids, action=action).order_by("case_id", "-seq"):
        found.setdefault(event.case_id, event)
    return found
