"""Page-shaped reads, built on the scoped case selectors: whatever a page lists went through `case_list`."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from whistle.cases.models import Case, CaseEvent, Category, EscalationLevel, ExtensionState, Resolution, Satisfaction, State
from whistle.cases.selectors import case_list
from whistle.core.figures import percent
from whistle.core.months import add_months, month_bounds
from whistle.org.models import Level, Role, Unit, UnitKind
from whistle.org.scopes import Actor


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
            "open": Q(is_open=True),
            "all": Q(),
        }[self.key]


LEDGER_VIEWS = [
    LedgerView("queue", "待派单"), LedgerView("extensions", "待审批延期"), LedgerView("overdue", "超期"),
    LedgerView("supervised", "督办中"), LedgerView("escalated", "市级协调"), LedgerView("green", "绿色通道"),
    LedgerView("open", "在办"), LedgerView("all", "全部"),
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
    qs = case_list(actor, state=filters.get("state") or None, county=county.pk if county else None,
                   unit=unit.pk if unit else None, kind=filters.get("kind") or None)
    qs = qs.filter(LEDGER_VIEW[filters.get("view") or "all"].q(now))
    if filters.get("category"):
        exact = filters.get("category_exact")
        qs = qs.filter(category_id=filters["category"].pk) if exact else qs.filter(category_id__in=category_subtree_ids(filters["category"]))
    if filters.get("basis"):
        qs = qs.filter(BASIS[filters["basis"]].q(now))
    if filters.get("fact"):
        from whistle.dashboard.rollup import FACTS

        either = Q(pk__in=[])
        for name in filters["fact"]:
            either |= FACTS[name]
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
    return qs


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def counties_for(actor: Actor) -> QuerySet[Unit]:
    """The counties an actor's filters may offer: all of them city-wide, else the one the actor sits in."""
    qs = Unit.objects.filter(level=Level.COUNTY, parent__parent__isnull=True, is_active=True).exclude(kind=UnitKind.DEPARTMENT)
    root = actor.scope_root
    if actor.role in (Role.COORDINATOR, Role.LEADER) and root is not None and not actor.is_city_wide:
        qs = qs.filter(path__startswith=root.path)
    return qs.order_by("path")


def units_for(actor: Actor) -> QuerySet[Unit]:
    """Units that handle cases (never a coordination office), inside the actor's subtree when it has one."""
    qs = handling_units()
    root = actor.scope_root
    if actor.role in (Role.COORDINATOR, Role.LEADER) and root is not None and not actor.is_city_wide:
        qs = qs.filter(path__startswith=root.path)
    return qs


def handling_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).exclude(kind=UnitKind.COORDINATION_OFFICE).order_by("path")


def suggestable_units(case: Case) -> QuerySet[Unit]:
    """Where a returned case could go instead: the units of its county and the city's own units, not every
    unit of the city (a select of a thousand options is slow to render and to use)."""
    return handling_units().filter(Q(path__startswith=case.county.path) | Q(level=Level.CITY))


def assisting(actor: Actor) -> QuerySet[Case]:
    """Open cases where the actor's unit helps another unit (协办)."""
    return (case_list(actor).filter(is_open=True, assisting_units=actor.unit)
            .select_related("lead_unit").order_by("next_due_at", "pk"))


def last_events(case_ids: list[int], action: str) -> dict[int, CaseEvent]:
    """The latest event of one kind per case, for a page of cases in one query (why it was returned, reopened …)."""
    found: dict[int, CaseEvent] = {}
    for event in CaseEvent.objects.filter(case_id__in=case_ids, action=action).order_by("case_id", "-seq"):
        found.setdefault(event.case_id, event)
    return found


def month_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# ---- the leader's cockpit (领导驾驶舱) ----------------------------------------------------------------------

# The rates, their definitions and the monthly counts come from the metrics app's rollup (whistle.dashboard:
# `metrics.rates`, `rollup.sums`, `rankings.ranking`), so the page never scans a year of cases. A rate links to
# the 台账 filtered on the fact columns of its denominator (`fact=`), the same filters the rollup counts with.
COCKPIT_CACHE_SECONDS = 120
TOPICS_INLINE = 200  # new cases whose words a cockpit request may count itself (about a second); more wait for the worker
RATE_CODES_FALLBACK = ["response", "resolution", "satisfaction"]


def _version() -> str:
    """What the cached cockpit depends on besides the clock: the newest case event (every change of a case
    appends one), the rollup's watermark and the organisation's size."""
    from whistle.dashboard.models import RollupState

    event = CaseEvent.objects.order_by("-pk").values_list("pk", "hash").first()
    units = Unit.objects.order_by("-pk").values_list("pk", flat=True).first()
    rolled = RollupState.objects.values_list("last_event_id", "refreshed_at").first()
    return hashlib.sha1(f"{event}:{units}:{rolled}".encode()).hexdigest()[:16]


def dashboard(actor: Actor, now: dt.datetime | None = None, month: dt.date | None = None) -> dict:
    """The leader's cockpit over the actor's scope for one month (default: this month), cached per scope,
    month and minute (a new case event or rollup refresh starts a new entry), so a leader's reloads and the
    leaders of one scope share one computation."""
    from django.core.cache import cache

    from whistle.dashboard.topics import scope_key

    now = now or timezone.now()
    month = month or timezone.localtime(now).date().replace(day=1)
    key = f"cockpit:v2:{scope_key(actor)}:{month:%Y%m}:{timezone.localtime(now):%Y%m%d%H%M}:{_version()}"
    data = cache.get(key)
    if data is None:
        data = _cockpit(actor, now, month)
        cache.set(key, data, COCKPIT_CACHE_SECONDS)
    return data


def _rate_cells(row: dict, shown: list, labels: dict, denominators: dict, link) -> list[dict]:
    cells = []
    for code in shown:
        figure = row.get(code) or {}
        facts = denominators.get(code)
        cells.append({"code": code, "label": labels.get(code, code), "value": figure.get("value"),
                      "numerator": figure.get("numerator"), "denominator": figure.get("denominator"),
                      "url": link(fact=facts) if facts else link()})
    return cells


def _cockpit(actor: Actor, now: dt.datetime, month: dt.date) -> dict:
    from urllib.parse import urlencode

    from django.urls import reverse

    from whistle.dashboard import metrics, rollup
    from whistle.dashboard.models import CaseMonthFact, MetricKind
    from whistle.dashboard.topics import hot_topics

    start, end = month_bounds(month)
    period = {"view": "all", "date_from": start.date().isoformat(), "date_to": (end - dt.timedelta(days=1)).date().isoformat()}

    def ledger_url(**filters) -> str:
        return reverse("web:ledger") + "?" + urlencode({k: v for k, v in filters.items() if v not in (None, "")}, doseq=True)

    def link(**filters) -> str:
        return ledger_url(**{**period, **filters})

    # Which rates, by which definitions: the composite's parts and the composite itself.
    defs = metrics.definitions()
    by_code = {d.code: d for d in defs}
    composite = next((d for d in defs if d.kind == MetricKind.COMPOSITE), None)
    shown = [c for c in (list(composite.params.get("weights", {})) if composite else RATE_CODES_FALLBACK) if c in by_code]
    shown += [composite.code] if composite else []
    labels = {d.code: d.name for d in defs}
    denominators = {d.code: sorted(f for f, w in d.params.get("denominator", {}).items() if float(w))
                    for d in defs if d.kind == MetricKind.RATIO}
    definitions = [{"code": d.code, "label": d.label, "source": d.source, "weights": d.params.get("weights")}
                   for d in defs if d.code in shown]

    facts = CaseMonthFact.objects.filter(metrics.fact_scope_q(actor))
    counts = rollup.sums(facts.filter(month=month))
    totals = {**counts, "open": counts["cases"] - counts["closed"]}
    overall = metrics.rates(actor, month, month, None)[0]
    totals["rate_cells"] = _rate_cells(overall, shown, labels, denominators, link)

    scope = case_list(actor).order_by()
    # One pass over the open cases (whatever their month; the partial open-case index), by county and state:
    # the "now" figures, each county's overdue, and the month's open cases by state (its closed ones come
    # from the rollup, so the month's state split costs no scan of the month).
    in_month_q = Q(submitted_at__gte=start, submitted_at__lt=end)
    rating_q = in_month_q & Q(channel="rating")
    open_rows = list(scope.filter(is_open=True).values("county_id", "state").annotate(
        n=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lt=now)), supervised=Count("pk", filter=Q(supervision_count__gt=0)),
        escalated=Count("pk", filter=~Q(level=EscalationLevel.COUNTY)), month=Count("pk", filter=in_month_q),
        rect=Count("pk", filter=rating_q), rect_overdue=Count("pk", filter=rating_q & Q(next_due_at__lt=now))))
    current = {"open": sum(r["n"] for r in open_rows)}
    for name in ("overdue", "supervised", "escalated"):
        current[name] = sum(r[name] for r in open_rows)
    current_links = {"overdue": ledger_url(view="overdue"), "supervised": ledger_url(view="supervised"),
                     "escalated": ledger_url(view="escalated", basis="open"), "open": ledger_url(view="open")}
    by_state = {State.CLOSED: counts["closed"]}
    for r in open_rows:
        by_state[r["state"]] = by_state.get(r["state"], 0) + r["month"]
    states = [{"code": s, "name": label, "value": by_state.get(s, 0), "url": link(state=s)} for s, label in State.choices]

    first = add_months(month, -11)
    monthly = {r["month"]: r for r in rollup.sums(facts.filter(month__gte=first, month__lte=month), "month")}
    trend = []
    for n in range(11, -1, -1):
        m = add_months(month, -n)
        s_, e_ = month_bounds(m)
        row = monthly.get(m, {})
        span = {"date_from": s_.date().isoformat(), "date_to": (e_ - dt.timedelta(days=1)).date().isoformat()}
        trend.append({"month": f"{m:%Y-%m}", "label": f"{m.month}月", "total": row.get("cases", 0), "closed": row.get("closed", 0),
                      "url": ledger_url(view="all", **span), "closed_url": ledger_url(view="all", fact="closed", **span)})

    late: dict[int, int] = {}
    for r in open_rows:
        late[r["county_id"]] = late.get(r["county_id"], 0) + r["overdue"]
    county_counts = {r["county_id"]: r for r in rollup.sums(facts.filter(month=month), "county_id")}
    county_rates = {r["code"]: r for r in metrics.rates(actor, month, month, "county")}
    by_county = []
    for county in counties_for(actor):
        c = county_counts.get(county.pk, {})
        code = county.code
        row = {"code": code, "name": county.short_name or county.name, "full_name": county.name,
               "total": c.get("cases", 0), "closed": c.get("closed", 0), "open": c.get("cases", 0) - c.get("closed", 0),
               "overdue": late.get(county.pk, 0), "url": link(county=code), "overdue_url": ledger_url(view="overdue", county=code)}
        row["rate_cells"] = _rate_cells(county_rates.get(code, {}), shown, labels, denominators,
                                        lambda code=code, **f: link(county=code, **f))
        row["rates"] = {cell["code"]: cell for cell in row["rate_cells"]}
        by_county.append(row)

    unit_counts = {r["lead_unit_id"]: r for r in rollup.sums(facts.filter(month=month, lead_unit__isnull=False), "lead_unit_id")}
    unit_rates = {r["code"]: r for r in metrics.rates(actor, month, month, "unit")}
    names = Unit.objects.in_bulk(list(unit_counts))
    by_unit = []
    for pk, c in sorted(unit_counts.items(), key=lambda kv: (-kv[1]["cases"], names[kv[0]].name))[:20]:
        unit = names[pk]
        code = unit.code
        row = {"code": code, "name": unit.name, "total": c["cases"], "closed": c["closed"], "open": c["cases"] - c["closed"],
               "url": link(unit=code), "overdue_url": ledger_url(view="overdue", unit=code)}
        row["rate_cells"] = _rate_cells(unit_rates.get(code, {}), shown, labels, denominators,
                                        lambda code=code, **f: link(unit=code, **f))
        by_unit.append(row)

    rectification = {"total": counts["rect_cases"], "contacted": counts["rect_contacted"]}
    rectification.update(open=sum(r["rect"] for r in open_rows), overdue=sum(r["rect_overdue"] for r in open_rows))
    rectification_links = {"total": link(fact="rect_cases"), "contacted": link(fact="rect_contacted"),
                           "open": link(channel="rating", basis="open"), "overdue": link(view="overdue", channel="rating")}

    return {
        "month": month, "start": start, "end": end, "now": now, "period": period,
        "totals": totals, "links": {"all": link(), "open": link(basis="open"), "closed": link(fact="closed"),
                                    "reopened": link(fact="reopened")},
        "current": current, "current_links": current_links, "states": states, "trend": trend,
        "by_county": by_county, "by_unit": by_unit, "shown": shown, "labels": labels, "definitions": definitions,
        "rankings": _rankings(actor, month, link),
        "ratings": _ratings(actor, start, end),
        "rectification": rectification, "rectification_links": rectification_links,
        "patronage": _patronage(actor, month.year),
        "topics": hot_topics(actor, month, limit=10, compute=TOPICS_INLINE, month_cases=counts["cases"]),
        "prev_month": add_months(month, -1), "next_month": add_months(month, 1) if end <= now else None,
    }


def _rankings(actor: Actor, month: dt.date, link) -> dict:
    """红榜/黑榜 of the counties (the metrics app's monthly ranking), each name linking to the county's cases."""
    from django.urls import reverse

    from whistle.dashboard.rankings import ranking

    result = ranking(actor, "county", month)
    for r in (*result["red"], *result["black"]):
        r["url"] = link(county=r["unit"])
    result["page_url"] = reverse("dashboard:rankings") + f"?class=county&month={month:%Y-%m}"
    return result


def _ratings(actor: Actor, start: dt.datetime, end: dt.datetime) -> dict:
    from whistle.ratings.selectors import ratings_by_unit, ratings_overview

    last = (end - dt.timedelta(days=1)).date()
    return {"overview": ratings_overview(actor, start.date(), last),
            "by_unit": list(ratings_by_unit(actor, start.date(), last))[:10]}


def _patronage(actor: Actor, year: int) -> dict:
    from whistle.patronage.selectors import coverage_by_county, coverage_summary

    return {"summary": coverage_summary(actor, year), "by_county": list(coverage_by_county(actor, year)), "year": year}


