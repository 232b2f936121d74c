"""Page-shaped reads, built on the scoped case selectors: whatever a page lists went through `case_list`."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from whistle.cases.models import Case, CaseEvent, Category, EscalationLevel, ExtensionState, Resolution, Satisfaction, State
from whistle.cases.selectors import case_list
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
    """The cases a figure of the cockpit counts (a rate's denominator or numerator), as a 台账 filter."""

    key: str
    label: str

    def q(self, now: dt.datetime) -> Q:
        valid = [Resolution.RESOLVED, Resolution.PARTLY, Resolution.UNRESOLVED]
        return {
            # 响应率: dispatched cases whose contact was due by now or made; responded = contacted by the deadline.
            "response_due": Q(dispatched_at__isnull=False, contact_due_at__isnull=False)
                            & (Q(contacted_at__isnull=False) | Q(contact_due_at__lt=now)),
            "responded": Q(contacted_at__isnull=False, contact_due_at__isnull=False, contacted_at__lte=F("contact_due_at")),
            "not_responded": Q(dispatched_at__isnull=False, contact_due_at__lt=now)
                             & (Q(contacted_at__isnull=True) | Q(contacted_at__gt=F("contact_due_at"))),
            # 解决率: valid follow-ups (无法联系 excluded); 满意率: rated follow-ups.
            "followed": Q(resolution__in=valid),
            "rated": ~Q(satisfaction=""),
            "satisfied": Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC]),
            "open": Q(is_open=True),
            "reopened": Q(reopen_count__gt=0),
        }[self.key]


BASES = [
    Basis("response_due", "应响应（已派单且联系时限已到或已联系）"), Basis("responded", "按时响应"), Basis("not_responded", "未按时响应"),
    Basis("followed", "有效回访（不含无法联系）"), Basis("rated", "已评价"), Basis("satisfied", "满意及基本满意"),
    Basis("open", "在办"), Basis("reopened", "有重办"),
]
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

# The cockpit's own reading of rules.md §8.6 over the cases received in the period, so that every rate links to
# exactly the cases it counts. The metric definitions of the rankings (whistle.dashboard) are shown beside them.
COMPOSITE_WEIGHTS = {"response": 30, "resolution": 35, "satisfaction": 35}  # §8.6 default (准格尔旗 analogue)
PARTLY_WEIGHT = 0.5  # 部分解决 counts half in the resolution rate (§8.6 option)
RATE_LABELS = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率", "composite": "综合得分"}
COCKPIT_CACHE_SECONDS = 120


def _figures(now: dt.datetime) -> dict:
    """Conditional counts every row of the cockpit needs, in one aggregate."""
    late = Q(is_open=True, next_due_at__lt=now)
    basis = {key: b.q(now) for key, b in BASIS.items()}
    return dict(
        total=Count("pk"), open=Count("pk", filter=Q(is_open=True)), closed=Count("pk", filter=Q(is_open=False)),
        overdue=Count("pk", filter=late), escalated=Count("pk", filter=~Q(level=EscalationLevel.COUNTY)),
        reopened=Count("pk", filter=basis["reopened"]),
        response_due=Count("pk", filter=basis["response_due"]), responded=Count("pk", filter=basis["responded"]),
        followed=Count("pk", filter=basis["followed"]), resolved=Count("pk", filter=Q(resolution=Resolution.RESOLVED)),
        partly=Count("pk", filter=Q(resolution=Resolution.PARTLY)),
        rated=Count("pk", filter=basis["rated"]), satisfied=Count("pk", filter=basis["satisfied"]),
    )


def _with_rates(row: dict, link) -> dict:
    """Add the three rates and the composite to a row of `_figures` counts; `link(**filters)` makes a 台账 URL."""
    resolved = row["resolved"] + PARTLY_WEIGHT * row["partly"]
    rates = {
        "response": (row["responded"], row["response_due"], "response_due"),
        "resolution": (resolved, row["followed"], "followed"),
        "satisfaction": (row["satisfied"], row["rated"], "rated"),
    }
    row["rates"] = {code: {"value": _rate(n, d), "numerator": n, "denominator": d, "url": link(basis=basis)}
                    for code, (n, d, basis) in rates.items()}
    fractions = [rates[c][0] / rates[c][1] if rates[c][1] else None for c in COMPOSITE_WEIGHTS]
    composite = (round(100 * sum(f * w for f, w in zip(fractions, COMPOSITE_WEIGHTS.values())) / sum(COMPOSITE_WEIGHTS.values()), 1)
                 if None not in fractions else None)
    row["rates"]["composite"] = {"value": composite, "url": link()}
    row["rate_cells"] = [{"code": code, "label": RATE_LABELS[code], **row["rates"][code]} for code in RATE_LABELS]
    return row


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, timezone.make_aware(dt.datetime(nxt.year, nxt.month, 1))


def _months_back(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _optional(module: str, name: str):
    """A function another app provides, or None while it has not landed."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _version(actor: Actor) -> str:
    """What the cached cockpit depends on besides the clock: the newest case event (every change of a case
    appends one) and the organisation's size."""
    event = CaseEvent.objects.order_by("-pk").values_list("pk", "hash").first()
    units = Unit.objects.order_by("-pk").values_list("pk", flat=True).first()
    return hashlib.sha1(f"{event}:{units}".encode()).hexdigest()[:16]


def dashboard(actor: Actor, now: dt.datetime | None = None, month: dt.date | None = None) -> dict:
    """The leader's cockpit over the actor's scope for one month (default: this month), cached per scope,
    month and minute (and invalidated by any case event), so a leader's reloads and many leaders of one scope
    share one computation."""
    from django.core.cache import cache

    from whistle.dashboard.topics import scope_key

    now = now or timezone.now()
    month = month or timezone.localtime(now).date().replace(day=1)
    key = f"cockpit:v1:{scope_key(actor)}:{month:%Y%m}:{timezone.localtime(now):%Y%m%d%H%M}:{_version(actor)}"
    data = cache.get(key)
    if data is None:
        data = _cockpit(actor, now, month)
        cache.set(key, data, COCKPIT_CACHE_SECONDS)
    return data


def _cockpit(actor: Actor, now: dt.datetime, month: dt.date) -> dict:
    from django.db.models.functions import TruncMonth
    from django.urls import reverse
    from urllib.parse import urlencode

    start, end = month_bounds(month)
    period = {"view": "all", "date_from": start.date().isoformat(), "date_to": (end - dt.timedelta(days=1)).date().isoformat()}

    def ledger_url(**filters) -> str:
        return reverse("web:ledger") + "?" + urlencode({k: v for k, v in filters.items() if v not in (None, "")})

    def link(**filters) -> str:
        return ledger_url(**{**period, **filters})

    scope = case_list(actor).order_by()
    in_month = scope.filter(submitted_at__gte=start, submitted_at__lt=end)
    figures = _figures(now)
    totals = _with_rates(in_month.aggregate(**figures), link)

    # Now, over every open case of the scope whatever its month.
    current = scope.filter(is_open=True).aggregate(
        overdue=Count("pk", filter=Q(next_due_at__lt=now)), supervised=Count("pk", filter=Q(supervision_count__gt=0)),
        escalated=Count("pk", filter=~Q(level=EscalationLevel.COUNTY)), open=Count("pk"),
    )
    current_links = {"overdue": ledger_url(view="overdue"), "supervised": ledger_url(view="supervised"),
                     "escalated": ledger_url(view="escalated", basis="open"), "open": ledger_url(view="open")}

    by_state = {row["state"]: row["n"] for row in in_month.values("state").annotate(n=Count("pk"))}
    states = [{"code": s, "name": label, "value": by_state.get(s, 0), "url": link(state=s)} for s, label in State.choices]

    first = _months_back(month, 11)
    trend_rows = {timezone.localtime(r["m"]).date().replace(day=1) if isinstance(r["m"], dt.datetime) else r["m"]: r
                  for r in scope.filter(submitted_at__gte=month_bounds(first)[0], submitted_at__lt=end)
                  .annotate(m=TruncMonth("submitted_at")).values("m")
                  .annotate(total=Count("pk"), closed=Count("pk", filter=Q(is_open=False))).order_by("m")}
    trend = []
    for n in range(11, -1, -1):
        m = _months_back(month, n)
        s_, e_ = month_bounds(m)
        row = trend_rows.get(m, {})
        span = {"date_from": s_.date().isoformat(), "date_to": (e_ - dt.timedelta(days=1)).date().isoformat()}
        trend.append({"month": f"{m:%Y-%m}", "label": f"{m.month}月", "total": row.get("total", 0), "closed": row.get("closed", 0),
                      "url": ledger_url(view="all", **span), "closed_url": ledger_url(view="all", state=State.CLOSED, **span)})

    counted = {r["county_id"]: r for r in in_month.values("county_id").annotate(**figures)}
    empty = {k: 0 for k in figures}
    by_county = []
    for county in counties_for(actor):
        row = {**empty, **counted.get(county.pk, {}), "code": county.code, "name": county.short_name or county.name,
               "full_name": county.name}
        code = county.code
        by_county.append(_with_rates(row, lambda code=code, **f: link(county=code, **f)))
        row["url"], row["overdue_url"] = link(county=code), ledger_url(view="overdue", county=code)
    units = (in_month.filter(lead_unit__isnull=False).values("lead_unit_id", "lead_unit__code", "lead_unit__name")
             .annotate(**figures).order_by("-total", "lead_unit__name")[:20])
    by_unit = []
    for r in units:
        code = r["lead_unit__code"]
        row = _with_rates({**r, "code": code, "name": r["lead_unit__name"]}, lambda code=code, **f: link(unit=code, **f))
        row["url"], row["overdue_url"] = link(unit=code), ledger_url(view="overdue", unit=code)
        by_unit.append(row)

    rectification = in_month.filter(channel="rating").aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(is_open=True)), closed=Count("pk", filter=Q(is_open=False)),
        overdue=Count("pk", filter=Q(is_open=True, next_due_at__lt=now)))
    rectification_links = {"total": link(channel="rating"), "open": link(channel="rating", basis="open"),
                           "closed": link(channel="rating", state=State.CLOSED),
                           "overdue": ledger_url(view="overdue", channel="rating")}

    from whistle.dashboard.topics import hot_topics

    return {
        "month": month, "start": start, "end": end, "now": now, "period": period,
        "totals": totals, "current": current, "current_links": current_links, "states": states, "trend": trend,
        "by_county": by_county, "by_unit": by_unit,
        "weights": COMPOSITE_WEIGHTS, "partly_weight": PARTLY_WEIGHT,
        "rankings": _rankings(actor, month, by_county),
        "ratings": _ratings(actor, start, end),
        "rectification": rectification, "rectification_links": rectification_links,
        "patronage": _patronage(actor, month.year),
        "topics": hot_topics(actor, month, limit=10, compute=2000),
        "prev_month": _months_back(month, 1), "next_month": _months_back(month, -1) if end <= now else None,
    }


def _rankings(actor: Actor, month: dt.date, by_county: list[dict]) -> dict:
    """红榜/黑榜: the monthly ranking of the metrics app when it is there, else the counties by the composite."""
    ranking = _optional("whistle.dashboard.rankings", "ranking")
    if ranking is not None:
        try:
            from django.urls import NoReverseMatch, reverse

            result = ranking(actor, "county", month)
            try:
                page_url = reverse("dashboard:rankings") + f"?month={month:%Y-%m}"
            except NoReverseMatch:
                page_url = ""
            return {"source": "rankings", "page_url": page_url, **result}
        except Exception:  # a ranking that cannot be computed must not take the whole cockpit down
            import logging

            logging.getLogger(__name__).exception("ranking failed")
    scored = sorted((r for r in by_county if r["rates"]["composite"]["value"] is not None),
                    key=lambda r: (-r["rates"]["composite"]["value"], r["code"]))
    rows = [{"rank": i, "code": r["code"], "name": r["name"], "composite": r["rates"]["composite"]["value"],
             "cases": r["total"], "url": r["url"]} for i, r in enumerate(scored, start=1)]
    size = 3 if len(rows) >= 6 else len(rows) // 2
    return {"source": "cockpit", "rows": rows, "red": rows[:size], "black": rows[::-1][:size]}


def _ratings(actor: Actor, start: dt.datetime, end: dt.datetime) -> dict | None:
    overview = _optional("whistle.ratings.selectors", "ratings_overview")
    if overview is None:
        return None
    last = (end - dt.timedelta(days=1)).date()
    data = {"overview": overview(actor, start.date(), last)}
    by_unit = _optional("whistle.ratings.selectors", "ratings_by_unit")
    data["by_unit"] = list(by_unit(actor, start.date(), last))[:10] if by_unit else []
    return data


def _patronage(actor: Actor, year: int) -> dict | None:
    summary = _optional("whistle.patronage.selectors", "coverage_summary")
    if summary is None:
        return None
    by_county = _optional("whistle.patronage.selectors", "coverage_by_county")
    return {"summary": summary(actor, year), "by_county": list(by_county(actor, year)) if by_county else [], "year": year}


def _rate(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None
