"""The monthly rollup of case facts (`CaseMonthFact`): what each definition counts, kept per
(month of submission, county, lead unit, state) so rates, rankings and the cockpit never scan the case table.

A case belongs to the Beijing calendar month it was submitted in, and its facts are read from its row as it
stands (deadlines, when it was contacted, how the last follow-up went) at a measuring moment `now`. Every change
to a case appends a `CaseEvent`, so what a refresh recomputes is the groups — (month, county, lead unit) — of the
cases with events past the watermark: the group each such case is in now, and every group it can have left since
(the case's county and month never change; its lead unit is set only by a dispatch, whose event names the unit, and
cleared by a return, so the candidates are "no lead unit" and the units its events name). A few facts change with
the clock alone: a case not yet contacted (answered) is pending until its deadline and late after it, an open case
becomes overdue when its current deadline passes. Each rollup row keeps the earliest such moment of its cases
(`stale_at`), and a refresh also recomputes the groups where it has passed.

A refresh compares what it computed with the rows it replaces and writes only the groups that differ; the county
and the lead unit of each changed group get a stamp (`UnitRollupStamp`), so the cockpit re-renders only the scopes
(unit subtrees) that contain a changed group. Event ids are handed out before commit (PostgreSQL): ids between the
watermark and the newest id that were not visible yet (`RollupState.holes`) are looked for again by the next
refreshes, until they show up or are an hour old (a rolled-back insert never shows up).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from whistle.cases.models import Card, Case, CaseEvent, Channel, EscalationLevel, Resolution, Satisfaction
from whistle.core.months import add_months, month_bounds, month_of
from whistle.org.models import Unit
from whistle.ratings.models import CallBack

from .models import CaseMonthFact, RollupState, UnitRollupStamp


def _step(done: str, due: str, now: dt.datetime) -> dict[str, Q]:
    """A step with a deadline (contact, opinion) at the measuring moment `now` (rules.md §4, §8.6): a case whose
    deadline has passed, or that took the step (in time or late), is due; one that has not taken the step and
    whose deadline is still ahead is pending — neither in time nor late, so it is left out of the rate."""
    has_due = Q(**{f"{due}__isnull": False})
    return {
        "due": has_due & (Q(**{f"{done}__isnull": False}) | Q(**{f"{due}__lt": now})),
        "in_time": has_due & Q(**{f"{done}__lte": F(due)}),
        "pending": Q(**{f"{done}__isnull": True, f"{due}__gte": now}),
    }


def facts(now: dt.datetime) -> dict[str, Q]:
    """Fact column → which cases it counts at the measuring moment `now`. Shared by the rollup, the raw
    computation `verify` compares with and the 台账's `fact=` filter (the list behind a rate)."""
    contact, opinion = _step("contacted_at", "contact_due_at", now), _step("opinion_at", "opinion_due_at", now)
    # 及时签收 (rules.md §4, §8.6): a unit signs for a dispatched case (or returns it) within the return window.
    accept = _step("accepted_at", "return_due_at", now)
    return {
        "cases": Q(),
        "dispatched": Q(dispatched_at__isnull=False),
        # 应办结件: replied (on time or not), or still open a working day past the solve deadline (red card).
        "due": Q(replied_at__isnull=False) | Q(is_open=True, card=Card.RED),
        "on_time": Q(replied_at__isnull=False)
        & (Q(resolve_due_at__isnull=True) | Q(replied_at__lte=F("resolve_due_at"))),
        "accept_due": accept["due"],
        "accept_in_time": accept["in_time"],
        "accept_pending": accept["pending"],
        "contact_due": contact["due"],
        "contact_in_time": contact["in_time"],
        "contact_pending": contact["pending"],
        "opinion_due": opinion["due"],
        "opinion_in_time": opinion["in_time"],
        "opinion_pending": opinion["pending"],
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
        # 办结 is closed with a reply; a case withdrawn by its requester (or a rectification ended by a voided rating)
        # closes without one and is counted apart, never among the closed.
        "closed": Q(is_open=False, replied_at__isnull=False),
        "withdrawn": Q(is_open=False, replied_at__isnull=True),
        # The cockpit's "now" figures (all months of submission summed): open cases past their current step's
        # deadline, under supervision, coordinated above the county.
        "overdue": Q(is_open=True, next_due_at__lt=now),
        "supervised": Q(is_open=True, supervision_count__gt=0),
        "escalated": Q(is_open=True, level__in=[EscalationLevel.CITY, EscalationLevel.GREEN_CHANNEL]),
        # 差评整改 cases and whether the unit called the rater back (a call-back outcome recorded, ratings.CallBack —
        # not the case's contact step); a rating voided on appeal no longer counts (as in
        # `ratings.selectors.ratings_overview`'s 回访率).
        "rect_cases": Q(channel=Channel.RATING) & ~Q(rating__counted=False),
        "rect_contacted": Q(channel=Channel.RATING)
        & Q(Exists(CallBack.objects.filter(rating__rectification=OuterRef("pk"))))
        & ~Q(rating__counted=False),
        "rect_open": Q(channel=Channel.RATING, is_open=True),
        "rect_overdue": Q(channel=Channel.RATING, is_open=True, next_due_at__lt=now),
    }


FACT_LABELS = {
    "cases": "受理件",
    "dispatched": "派单件",
    "due": "应办结件",
    "on_time": "按期办结件",
    "accept_due": "应签收件（已签收或已过签收时限）",
    "accept_in_time": "及时签收件",
    "accept_pending": "待签收未到期件",
    "contact_due": "应联系件（已联系或已过联系时限）",
    "contact_in_time": "按时联系件",
    "contact_pending": "待联系未到期件",
    "opinion_due": "应答复件（已答复或已过答复时限）",
    "opinion_in_time": "按时答复件",
    "opinion_pending": "待答复未到期件",
    "followed": "回访件",
    "res_resolved": "回访已解决",
    "res_partly": "回访部分解决",
    "res_unresolved": "回访未解决",
    "res_unreachable": "回访无法联系",
    "sat_satisfied": "满意",
    "sat_basic": "基本满意",
    "sat_unsatisfied": "不满意",
    "returned": "退单件",
    "reopened": "重办件",
    "closed": "已办结件",
    "withdrawn": "已撤回（终止）件",
    "overdue": "超期在办件",
    "supervised": "督办中件",
    "escalated": "提级协调中件",
    "rect_cases": "差评整改件",
    "rect_contacted": "差评已回访件",
    "rect_open": "整改中件",
    "rect_overdue": "整改超期件",
}
FACT_NAMES: list[str] = list(FACT_LABELS)  # the summable columns of `CaseMonthFact`, in `facts()`'s order


def as_of() -> dt.datetime | None:
    """The measuring moment of the rollup: every row equals the raw rows as they stood then (None: never built)."""
    return RollupState.objects.values_list("checked_at", flat=True).first()


def aggregates(now: dt.datetime) -> dict:
    return {name: Count("pk", filter=q) if q else Count("pk") for name, q in facts(now).items()}


def _stale_at(now: dt.datetime) -> dict:
    """When a group's clock-driven facts next change: the earliest pending contact or opinion deadline, the
    earliest current deadline of an open case not yet overdue."""
    f = facts(now)
    return {
        "_accept": Min("return_due_at", filter=f["accept_pending"]),
        "_contact": Min("contact_due_at", filter=f["contact_pending"]),
        "_opinion": Min("opinion_due_at", filter=f["opinion_pending"]),
        "_next_due": Min("next_due_at", filter=Q(is_open=True, next_due_at__gte=now)),
    }


GRAIN = ("county_id", "lead_unit_id", "state")
Group = tuple[dt.date, int, int | None]  # (month, county id, lead unit id): what a refresh recomputes

# Ids per IN list (SQLite allows 32,766 parameters), and how many groups of one month are recomputed as a list of
# (county, lead unit) pairs before the whole month is cheaper to read.
IDS_PER_QUERY = 5000
WHOLE_MONTH_ABOVE = 2000
# How long an event id below the watermark that was not visible yet is looked for again (a transaction in flight
# then; a rolled-back one never shows).
HOLE_SECONDS = 3600
# More new events than this (a first refresh, a bulk import): recompute their whole months, read in the database,
# rather than list every event here.
BACKLOG_EVENTS = 100_000
UNIT_KEYS = ("unit", "previous_unit", "returned_by")
LIST_BELOW_ONE_IN = 30  # groups asked for × this > the month's rows (≈ 3 states a group): read the whole month  # where an event names a lead unit the case had or has


def raw_facts(month: dt.date, now: dt.datetime, where: Q | None = None):
    """The facts of one month at the measuring moment `now`, straight from the case rows, grouped like the rollup
    (`where`: only some (county, lead unit) groups, see `_groups_q`)."""
    start, end = month_bounds(month)
    qs = Case.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    if where is not None:
        qs = qs.filter(where)
    return qs.order_by().values(*GRAIN).annotate(**aggregates(now))


def _fresh_rows(month: dt.date, now: dt.datetime, where: Q | None = None) -> list[CaseMonthFact]:
    rows = []
    for row in raw_facts(month, now, where).annotate(**_stale_at(now)):
        moments = [
            t
            for t in (row.pop("_accept"), row.pop("_contact"), row.pop("_opinion"), row.pop("_next_due"))
            if t is not None
        ]
        rows.append(CaseMonthFact(month=month, stale_at=min(moments) if moments else None, **row))
    return rows


@transaction.atomic
def recompute_month(month: dt.date, now: dt.datetime) -> int:
    """Replace one month's rollup rows by a fresh aggregate at `now`; returns the number of rows written."""
    CaseMonthFact.objects.filter(month=month).delete()
    rows = _fresh_rows(month, now)
    CaseMonthFact.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _groups_q(pairs: set[tuple[int, int | None]]) -> Q:
    """Rows (of `Case` or `CaseMonthFact`: the columns are named alike) in the given (county, lead unit) groups: one
    term per county, with its lead units as one IN list."""
    by_county: dict[int, set] = {}
    for county, lead in pairs:
        by_county.setdefault(county, set()).add(lead)
    q = Q(pk__in=[])
    for county, leads in sorted(by_county.items()):
        named = sorted(u for u in leads if u is not None)
        lead_q = Q(lead_unit_id__in=named) if named else Q(pk__in=[])
        if None in leads:
            lead_q |= Q(lead_unit__isnull=True)
        q |= Q(county_id=county) & lead_q
    return q


def _values(row: CaseMonthFact) -> tuple:
    return tuple(getattr(row, name) for name in FACT_NAMES)


def recompute_groups(
    groups: set[Group],
    now: dt.datetime,
    whole_months: set[dt.date] = frozenset(),  # type: ignore[assignment]
) -> tuple[int, set[Group]]:
    """Bring the rollup rows of these (month, county, lead unit) groups to the raw rows at `now`, one grouped query
    per month (the whole month when more than WHOLE_MONTH_ABOVE or about a tenth of the month's groups are asked
    for), and write only what differs.
    Returns (rows written, the groups whose counts changed); a group whose counts are the same only gets its
    `stale_at` moved."""
    by_month: dict[dt.date, set[tuple[int, int | None]]] = {month: set() for month in whole_months}
    for month, county, lead in groups:
        by_month.setdefault(month, set()).add((county, lead))
    written, changed = 0, set()
    for month, pairs in sorted(by_month.items()):
        # More than about a tenth of the month's groups (its rows / 3 states): one scan of the month is cheaper than
        # the list of (county, lead unit) terms (measured at 1,000,000 cases: 0.34 s for the month against 0.59 s for a
        # third of its groups, docs/benchmarks.md "Province: worker").
        share = len(pairs) * LIST_BELOW_ONE_IN > CaseMonthFact.objects.filter(month=month).count()
        where = None if month in whole_months or len(pairs) > WHOLE_MONTH_ABOVE or share else _groups_q(pairs)
        fresh = {(r.county_id, r.lead_unit_id, r.state): r for r in _fresh_rows(month, now, where)}
        current = CaseMonthFact.objects.filter(month=month)
        if where is not None:
            current = current.filter(where)
        gone, moved = [], []
        for row in current:
            key = (row.county_id, row.lead_unit_id, row.state)
            new = fresh.get(key)
            if new is not None and _values(new) == _values(row):
                fresh.pop(key)
                if new.stale_at != row.stale_at:
                    row.stale_at = new.stale_at
                    moved.append(row)
                continue
            gone.append(row.pk)
            changed.add((month, row.county_id, row.lead_unit_id))
        for start in range(0, len(gone), IDS_PER_QUERY):
            CaseMonthFact.objects.filter(pk__in=gone[start : start + IDS_PER_QUERY]).delete()
        CaseMonthFact.objects.bulk_create(fresh.values(), batch_size=1000)
        CaseMonthFact.objects.bulk_update(moved, ["stale_at"], batch_size=1000)
        changed |= {(month, county, lead) for county, lead, _ in fresh}
        written += len(fresh)
    return written, changed


def _state() -> RollupState:
    state = RollupState.objects.select_for_update().first()
    return state or RollupState.objects.create()


def _chunks(ids):
    ids = sorted(ids)
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


def _events_past(state: RollupState, top: int, now: dt.datetime) -> tuple[set[int], list]:
    """(ids of the cases with events past the watermark or in an earlier hole, the holes still open): an id in
    (watermark, top] not visible now is a hole, looked for again until it shows or is HOLE_SECONDS old."""
    holes = [h for h in state.holes if dt.datetime.fromisoformat(h[2]) > now - dt.timedelta(seconds=HOLE_SECONDS)]
    where = Q(pk__gt=state.last_event_id, pk__lte=top)
    for low, high, _ in holes:
        where |= Q(pk__gte=low, pk__lte=high)
    seen, cases = set(), set()
    for pk, case_id in CaseEvent.objects.filter(where).order_by().values_list("pk", "case_id"):
        seen.add(pk)
        cases.add(case_id)
    still = []
    for low, high, since in holes:
        still += _runs([pk for pk in range(low, high + 1) if pk not in seen], since)
    fresh_ids = (pk for pk in range(state.last_event_id + 1, top + 1) if pk not in seen)
    still += _runs(list(fresh_ids), now.isoformat()) if top - state.last_event_id > len(seen) else []
    return cases, still


def _runs(ids: list[int], since: str) -> list:
    """Ascending ids as [first, last, since] runs."""
    runs: list = []
    for pk in ids:
        if runs and runs[-1][1] == pk - 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk, since])
    return runs


def touched_groups(case_ids: set[int]) -> set[Group]:
    """Every group the cases are in now or can have been counted in before (see the module docstring)."""
    groups: set[Group] = set()
    for chunk in _chunks(case_ids):
        named: dict[int, set[str]] = {}
        naming = CaseEvent.objects.filter(case_id__in=chunk, payload__has_any_keys=list(UNIT_KEYS))
        for case_id, payload in naming.values_list("case_id", "payload"):
            if isinstance(payload, dict):
                named.setdefault(case_id, set()).update(
                    payload[k] for k in UNIT_KEYS if isinstance(payload.get(k), str) and payload[k]
                )
        codes = set().union(*named.values()) if named else set()
        unit_ids = dict(Unit.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
        rows = Case.objects.filter(pk__in=chunk).values_list("pk", "submitted_at", "county_id", "lead_unit_id")
        for pk, submitted, county, lead in rows:
            month = month_of(submitted)
            leads = {lead, None} | {unit_ids[c] for c in named.get(pk, ()) if c in unit_ids}
            groups |= {(month, county, u) for u in leads}
    return groups


def touched_months(after_event_id: int) -> list[dt.date]:
    """The months of the cases with events past `after_event_id` (what a refresh recomputed before issue 21)."""
    case_ids = CaseEvent.objects.filter(pk__gt=after_event_id).values("case_id")
    moments = (
        Case.objects.filter(pk__in=case_ids)
        .order_by()
        .annotate(m=TruncMonth("submitted_at"))
        .values_list("m", flat=True)
        .distinct()
    )
    return sorted({month_of(m) for m in moments})


def groups_gone_stale(now: dt.datetime) -> set[Group]:
    """Groups with a clock-driven fact that has changed since they were computed (see `_stale_at`)."""
    return set(
        CaseMonthFact.objects.filter(stale_at__lt=now).values_list("month", "county_id", "lead_unit_id").distinct()
    )


def callback_recorded(sender, rating, now, **kwargs) -> None:
    """A call-back outcome changes 差评回访率 of the rectification case's group without a case event: mark the
    group's rows stale so the next refresh recomputes it (ratings.callbacks.callback_recorded)."""
    if rating.rectification_id is None:
        return
    case = Case.objects.filter(pk=rating.rectification_id).values("submitted_at", "county_id", "lead_unit_id").first()
    if case is not None:
        CaseMonthFact.objects.filter(
            month=month_of(case["submitted_at"]), county_id=case["county_id"], lead_unit_id=case["lead_unit_id"]
        ).update(stale_at=now)


def stamp_units(unit_ids: set[int], now: dt.datetime) -> None:
    """Record that rollup rows of these units (as county or lead unit) changed at `now` (see cockpit.scope_stamp)."""
    for chunk in _chunks(unit_ids):
        UnitRollupStamp.objects.bulk_create(
            [UnitRollupStamp(unit_id=pk, changed_at=now) for pk in chunk],
            update_conflicts=True,
            unique_fields=["unit"],
            update_fields=["changed_at"],
        )


@transaction.atomic
def refresh(now: dt.datetime | None = None) -> dict:
    """Bring the rollup to the measuring moment `now`: recompute the groups touched since the watermark and those
    gone stale by the clock (a pending deadline or an open case's deadline has passed), write the ones that changed
    and stamp their units. When nothing moved, nothing is read but the newest event id and the rollup's own
    `stale_at`, and only the measuring moment (`checked_at`) is written."""
    now = now or timezone.now()
    state = _state()
    top = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    groups, whole = groups_gone_stale(now), set()
    if top - state.last_event_id > BACKLOG_EVENTS:
        whole, state.holes = set(touched_months(state.last_event_id)), []
    elif top != state.last_event_id or state.holes:
        cases, state.holes = _events_past(state, top, now)
        groups |= touched_groups(cases)
    state.last_event_id = top
    rows, changed = recompute_groups(groups, now, whole)
    if changed:
        state.refreshed_at = now
        stamp_units({g[1] for g in changed} | {g[2] for g in changed if g[2] is not None}, now)
    state.checked_at = now
    state.save()
    return {
        "metrics_groups_recomputed": len(groups),
        "metrics_months_whole": len(whole),
        "metrics_groups_changed": len(changed),
        "metrics_rollup_rows": rows,
    }


def worker_job(now: dt.datetime) -> dict:
    return refresh(now)


@transaction.atomic
def rebuild(now: dt.datetime | None = None) -> dict:
    """Drop the rollup and compute every month that has cases, at the measuring moment `now`; every unit's stamp
    moves (every page is recomputed)."""
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
            rows += recompute_month(month, now)
            months += 1
            month = add_months(month, 1)
    UnitRollupStamp.objects.update(changed_at=now)
    units = set(CaseMonthFact.objects.values_list("county_id", flat=True).distinct())
    units |= set(
        CaseMonthFact.objects.filter(lead_unit__isnull=False).values_list("lead_unit_id", flat=True).distinct()
    )
    stamp_units(units, now)
    state.last_event_id, state.refreshed_at, state.checked_at, state.holes = top, now, now, []
    state.save()
    return {"months": months, "rows": rows}


def verify(now: dt.datetime | None = None) -> list[str]:
    """Differences between the rollup and the raw rows at the rollup's measuring moment (or `now`), one line
    each; empty when they agree."""
    now = now or as_of() or timezone.now()
    problems = []
    first = Case.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    last = Case.objects.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    months = set(CaseMonthFact.objects.values_list("month", flat=True).distinct())
    if first is not None:
        month, stop = month_of(first), month_of(last)
        while month <= stop:
            months.add(month)
            month = add_months(month, 1)
    for month in sorted(months):
        raw = {tuple(r[k] for k in GRAIN): r for r in raw_facts(month, now)}
        rolled = {
            tuple(r[k] for k in GRAIN): r for r in CaseMonthFact.objects.filter(month=month).values(*GRAIN, *FACT_NAMES)
        }
        for key in sorted(set(raw) | set(rolled), key=lambda k: (k[0], k[1] or 0, k[2])):
            a, b = raw.get(key), rolled.get(key)
            for name in FACT_NAMES:
                want, got = (a or {}).get(name, 0), (b or {}).get(name, 0)
                if want != got:
                    problems.append(
                        f"{month:%Y-%m} county={key[0]} unit={key[1]} state={key[2]} {name}: rollup {got}, raw {want}"
                    )
    return problems


def raw_sums(q, first: dt.date, last: dt.date, group: str | None = None, now: dt.datetime | None = None):
    """The same sums as `sums` over the rollup, straight from the case rows of months [first, last] at the
    measuring moment `now` (default: the rollup's, so the two agree when no case changed since): the plain
    aggregate the rollup is checked and benchmarked against. `q` filters cases (scope, units)."""
    now = now or as_of() or timezone.now()
    start, end = month_bounds(first)[0], month_bounds(last)[1]
    qs = Case.objects.filter(q, submitted_at__gte=start, submitted_at__lt=end).order_by()
    if group is None:
        return qs.aggregate(**aggregates(now))
    return list(qs.values(group).annotate(**aggregates(now)))


def sums(qs, group: str | None = None, names=FACT_NAMES):
    """Sum the fact columns (`names`, default all) of a rollup queryset, per `group` column or in total."""
    totals = {name: Sum(name) for name in names}
    if group is None:
        row = qs.order_by().aggregate(**totals)
        return {k: v or 0 for k, v in row.items()}
    return [
        {k: (v or 0) if k in totals else v for k, v in row.items()}
        for row in qs.order_by().values(group).annotate(**totals)
    ]


def demo_seed(heze, *, seed=None) -> str:
    """After the demo year is played: build the rollup so the rankings show at once (the worker keeps it fresh)."""
    result = rebuild()
    return f"指标月度汇总：{result['months']} 个月，{result['rows']} 行"
