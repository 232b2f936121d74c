"""The worker's jobs for 不罚/轻罚, set-based and idempotent (running one twice changes nothing).

- `correction_sweep`: an order to correct whose deadline has passed without a report is marked overdue; an order
  reported or overdue gets its re-check reminder mark (the inspector's page lists them). Then the people who must
  act are told, through the notices app (templates and channels as data, `notices.expand.to_people`): the
  enterprise `leniency.remind_before_working_days` working days before its deadline, the inspector when the re-check
  falls due (the day the enterprise reported, or the first working day after an unreported deadline), the
  department's head (its 单位管理员; without one, the county's 吹哨办 coordinators) when the re-check is still not
  recorded `leniency.recheck_within_working_days` working days later. One `OrderNotice` per order and kind (unique),
  selected in SQL among the orders without one, and written with their deliveries in bulk in one transaction.
- `yearly_review`: 动态评估调整 from the data — for each completed year, the items matched often and deviated from
  often, and the items of a list in force all year that were never applied, become `ItemFlag`s for the list's next
  review. `evaluate_items(year)` computes the same for any year without writing (the evaluation page).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from whistle.core import calendar
from whistle.core.links import public_url
from whistle.core.rules import int_param
from whistle.notices.expand import to_people
from whistle.notices.models import Delivery, NoticeProfile, NoticeTemplate
from whistle.org.models import Role, Unit, UnitKind

from .models import (
    CorrectionOrder,
    Finding,
    FlagKind,
    ItemFlag,
    ListItem,
    ListVersion,
    OrderNotice,
    OrderNoticeKind,
    OrderState,
)

REMIND_BEFORE = "leniency.remind_before_working_days"
RECHECK_WITHIN = "leniency.recheck_within_working_days"
TEMPLATES = {
    OrderNoticeKind.CORRECTION_DUE: "leniency_correction_due",
    OrderNoticeKind.RECHECK_DUE: "leniency_recheck_due",
    OrderNoticeKind.RECHECK_OVERDUE: "leniency_recheck_overdue",
}


def correction_sweep(now: dt.datetime) -> dict:
    today = timezone.localtime(now).date()
    with transaction.atomic():
        overdue = CorrectionOrder.objects.filter(
            state=OrderState.OPEN, due_on__lt=today, overdue_at__isnull=True
        ).update(overdue_at=now)
        reminded = CorrectionOrder.objects.filter(
            Q(state=OrderState.REPORTED) | Q(state=OrderState.OPEN, overdue_at__isnull=False),
            reminded_at__isnull=True,
        ).update(reminded_at=now)
        told = order_notices(now)
    return {"overdue": overdue, "recheck_reminders": reminded} | told


class OrderRow(NamedTuple):
    """An order as the sweep reads it: bare columns, no model instances (a backlog is thousands of orders)."""

    pk: int
    due_on: dt.date
    reported_at: dt.datetime | None
    state: str
    ordered_on: dt.date
    finding_id: int
    description: str
    inspection_id: int
    inspector_id: int
    department_id: int
    department: str
    county_id: int | None  # the department's parent: its government, whose 吹哨办 stands in for a missing head
    enterprise_id: int
    enterprise: str


_ROW = (
    "pk",
    "due_on",
    "reported_at",
    "state",
    "ordered_on",
    "finding_id",
    "finding__description",
    "finding__inspection_id",
    "finding__inspection__inspector_id",
    "finding__department_id",
    "finding__department__name",
    "finding__department__parent_id",
    "finding__enterprise_id",
    "finding__enterprise__name",
)


class _Days:
    """The working-day dates the sweep needs, each computed once per distinct date (`core.calendar`)."""

    def __init__(self):
        self.memo: dict = {}

    def __call__(self, fn, day: dt.date, *n: int) -> dt.date:
        key = (fn.__name__, day, *n)
        if key not in self.memo:
            self.memo[key] = fn(day, *n)
        return self.memo[key]


def recheck_due_on(order, days=None) -> dt.date:
    """The day the re-check falls due: the day the enterprise reported, or the first day its deadline is overdue,
    whichever came first (`order`: a `CorrectionOrder` or an `OrderRow`)."""
    days = days or _Days()
    overdue = days(calendar.overdue_from, order.due_on)
    if order.reported_at is not None:
        return min(timezone.localtime(order.reported_at).date(), overdue)
    return overdue


def recheck_overdue_on(order, within: int, days=None) -> dt.date:
    """The first day the re-check is overdue: after `within` working days from the day it fell due."""
    days = days or _Days()
    return days(calendar.overdue_from, days(calendar.working_days_after, recheck_due_on(order, days), within))


def _untold(kind: str):
    """The orders not yet told of `kind`, in SQL (NOT EXISTS on the unique (order, kind))."""
    return CorrectionOrder.objects.exclude(Exists(OrderNotice.objects.filter(order=OuterRef("pk"), kind=kind)))


def _rows(qs) -> list[OrderRow]:
    return [OrderRow(*r) for r in qs.order_by("pk").values_list(*_ROW)]


def owed_order_notices(today: dt.date, days: _Days | None = None) -> list[tuple[OrderRow, str, dt.date]]:
    """(order, kind, lapse day) for every lapse come by `today` and not yet told. Each query reads only the orders
    a kind can concern — open ones near their deadline, and for the re-checks those waiting long enough — as bare
    rows; the working-day dates are checked in Python, once per distinct date."""
    before, within = int_param(REMIND_BEFORE), int_param(RECHECK_WITHIN)
    days = days or _Days()
    owed = []
    # A reminder is owed from `before` working days ahead until the deadline itself; the calendar bound keeps the
    # query to the orders due within a few weeks (working days are never fewer than a third of calendar days).
    horizon = today + dt.timedelta(days=3 * before + 14)
    for order in _rows(
        _untold(OrderNoticeKind.CORRECTION_DUE).filter(state=OrderState.OPEN, due_on__gte=today, due_on__lte=horizon)
    ):
        if days(calendar.working_days_before, order.due_on, before) <= today:
            owed.append((order, OrderNoticeKind.CORRECTION_DUE, order.due_on))
    waiting = Q(state=OrderState.REPORTED) | Q(state=OrderState.OPEN, due_on__lt=today)
    for order in _rows(_untold(OrderNoticeKind.RECHECK_DUE).filter(waiting)):
        due = recheck_due_on(order, days)
        if due <= today:
            owed.append((order, OrderNoticeKind.RECHECK_DUE, due))
    # Overdue comes `within` working days (so at least `within` calendar days) after the re-check fell due: the
    # orders that fell due more recently are left in SQL.
    settled = today - dt.timedelta(days=within)
    waited = Q(state=OrderState.REPORTED, reported_at__date__lte=settled) | Q(
        state__in=[OrderState.OPEN, OrderState.REPORTED], due_on__lt=settled
    )
    for order in _rows(_untold(OrderNoticeKind.RECHECK_OVERDUE).filter(waited)):
        late = recheck_overdue_on(order, within, days)
        if late <= today:
            owed.append((order, OrderNoticeKind.RECHECK_OVERDUE, late))
    return owed


def _recipients(owed: list[tuple[OrderRow, str, dt.date]]) -> dict[tuple[int, str], list]:
    """Who is told, per (order, kind), read in one query per audience: the enterprise's users; the inspector who
    recorded the inspection; the department's 单位管理员, or without one the 吹哨办 coordinators of its county."""
    User = get_user_model()
    active = User.objects.filter(is_active=True).select_related("membership").order_by("pk")
    enterprises = {o.enterprise_id for o, k, _ in owed if k == OrderNoticeKind.CORRECTION_DUE}
    inspectors = {o.inspector_id for o, k, _ in owed if k == OrderNoticeKind.RECHECK_DUE}
    departments = {o.department_id for o, k, _ in owed if k == OrderNoticeKind.RECHECK_OVERDUE}
    by_enterprise: dict[int, list] = {}
    for user in active.filter(membership__role=Role.ENTERPRISE, membership__enterprise_id__in=enterprises):
        by_enterprise.setdefault(user.membership.enterprise_id, []).append(user)
    by_pk = active.in_bulk(list(inspectors))
    heads: dict[int, list] = {}
    for user in active.filter(membership__role=Role.UNIT_ADMIN, membership__unit_id__in=departments):
        heads.setdefault(user.membership.unit_id, []).append(user)
    offices: dict[int | None, list] = {}
    counties = {
        o.county_id for o, k, _ in owed if k == OrderNoticeKind.RECHECK_OVERDUE and o.department_id not in heads
    }
    if counties:
        office_of = dict(
            Unit.objects.filter(kind=UnitKind.COORDINATION_OFFICE, is_active=True, parent_id__in=counties).values_list(
                "pk", "parent_id"
            )
        )
        for user in active.filter(membership__role=Role.COORDINATOR, membership__unit_id__in=list(office_of)):
            offices.setdefault(office_of[user.membership.unit_id], []).append(user)
    out = {}
    for order, kind, _ in owed:
        if kind == OrderNoticeKind.CORRECTION_DUE:
            out[(order.pk, kind)] = by_enterprise.get(order.enterprise_id, [])
        elif kind == OrderNoticeKind.RECHECK_DUE:
            out[(order.pk, kind)] = [by_pk[order.inspector_id]] if order.inspector_id in by_pk else []
        else:
            out[(order.pk, kind)] = heads.get(order.department_id) or offices.get(order.county_id, [])
    return out


def _inspector_names(owed) -> dict[int, str]:
    ids = {o.inspector_id for o, k, _ in owed if k == OrderNoticeKind.RECHECK_OVERDUE}
    users = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username", "membership__display_name")
    return {pk: name or username for pk, username, name in users}


def _context(order: OrderRow, kind: str, lapse: dt.date, within: int, days: _Days, names: dict) -> dict:
    if kind == OrderNoticeKind.CORRECTION_DUE:
        deadline, step = order.due_on, "改正期限临近"
    elif kind == OrderNoticeKind.RECHECK_DUE:
        deadline = days(calendar.working_days_after, lapse, within)
        step = "企业已报告改正" if order.state == OrderState.REPORTED else "改正期限已届满"
    else:
        deadline, step = days(calendar.working_days_after, recheck_due_on(order, days), within), "复查逾期"
    return {
        "number": f"检查{order.inspection_id}",
        "title": order.description[:40],
        "step": step,
        "unit": order.department,
        "enterprise": order.enterprise,
        "inspector": names.get(order.inspector_id, ""),
        "ordered": f"{order.ordered_on:%Y年%-m月%-d日}",
        "deadline": f"{deadline:%Y年%-m月%-d日}",
    }


def order_notices(now: dt.datetime) -> dict:
    """Tell the lapses come by today, each once: `OrderNotice` rows and their deliveries in one transaction, each
    written with one bulk INSERT (per 1,000 rows)."""
    today = timezone.localtime(now).date()
    days = _Days()
    owed = owed_order_notices(today, days)
    counts = {f"told_{k.value}": 0 for k in OrderNoticeKind}
    if not owed:
        return counts
    within = int_param(RECHECK_WITHIN)
    templates = NoticeTemplate.objects.in_bulk(list(TEMPLATES.values()), field_name="code")
    people = _recipients(owed)
    profiles = NoticeProfile.objects.in_bulk(
        list({u.pk for users in people.values() for u in users}), field_name="user_id"
    )
    names = _inspector_names(owed)
    rows, deliveries = [], []
    for order, kind, lapse in owed:
        users = people[(order.pk, kind)]
        template = templates.get(TEMPLATES[kind])
        if template is not None and users:
            link = public_url(reverse("leniency:finding", args=[order.finding_id]))
            context = _context(order, kind, lapse, within, days, names)
            deliveries += to_people(template, users, context, link, now, profiles=profiles)
        rows.append(OrderNotice(order_id=order.pk, kind=kind, lapse_on=lapse, recipients=len(users), issued_at=now))
        counts[f"told_{kind}"] += 1
    with transaction.atomic():
        OrderNotice.objects.bulk_create(rows, batch_size=1000)
        Delivery.objects.bulk_create(deliveries, batch_size=1000)
    return counts


def _versions_all_year(year: int):
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    versions = (
        ListVersion.objects.filter(effective_from__lte=start)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=end))
        .prefetch_related("reviews")
    )
    return [v for v in versions if v.approved]


def evaluate_items(year: int) -> list[dict]:
    """The items to flag for `year`: {item, kind, matched, applied, deviated, reasons}."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    findings = Finding.objects.filter(inspected_on__gte=start, inspected_on__lt=end).exclude(decision="")
    matched = {
        r["suggested_item"]: r
        for r in findings.filter(suggested_item__isnull=False)
        .values("suggested_item")
        .annotate(matched=Count("pk"), deviated=Count("pk", filter=Q(deviation=True)))
    }
    applied = dict(findings.filter(item__isnull=False).values("item").annotate(n=Count("pk")).values_list("item", "n"))
    least = int_param("leniency.review_min_matches")
    share = int_param("leniency.review_deviation_pct")
    out = []
    often = [pk for pk, r in matched.items() if r["matched"] >= least and r["deviated"] * 100 >= share * r["matched"]]
    reasons: dict[int, list[str]] = {}
    for pk, reason in (
        findings.filter(suggested_item__in=often, deviation=True)
        .order_by("-inspected_on")
        .values_list("suggested_item", "reason")
    ):
        if reason and len(reasons.setdefault(pk, [])) < 5 and reason not in reasons[pk]:
            reasons[pk].append(reason)
    items = ListItem.objects.select_related("version", "field").in_bulk(often)
    for pk in often:
        r = matched[pk]
        out.append(
            {
                "item": items[pk],
                "kind": FlagKind.OFTEN_DEVIATED,
                "matched": r["matched"],
                "applied": applied.get(pk, 0),
                "deviated": r["deviated"],
                "reasons": reasons.get(pk, []),
            }
        )
    unused = (
        ListItem.objects.filter(version__in=_versions_all_year(year))
        .exclude(pk__in=list(applied))
        .select_related("version", "field")
        .order_by("version_id", "pk")
    )
    for item in unused:
        m = matched.get(item.pk, {})
        out.append(
            {
                "item": item,
                "kind": FlagKind.UNUSED,
                "matched": m.get("matched", 0),
                "applied": 0,
                "deviated": m.get("deviated", 0),
                "reasons": [],
            }
        )
    return out


def yearly_review(now: dt.datetime, year: int | None = None) -> dict:
    """Flags for the last completed year (or `year`), written once: the unique (item, year, kind) keeps a second
    run from adding anything."""
    year = year or timezone.localtime(now).year - 1
    if ItemFlag.objects.filter(year=year).exists():
        return {"flags": 0}
    rows = evaluate_items(year)
    with transaction.atomic():
        created = ItemFlag.objects.bulk_create(
            [
                ItemFlag(
                    item=r["item"],
                    year=year,
                    kind=r["kind"],
                    matched=r["matched"],
                    applied=r["applied"],
                    deviated=r["deviated"],
                    reasons=r["reasons"],
                )
                for r in rows
            ],
            ignore_conflicts=True,
        )
    return {"flags": len(created)}
