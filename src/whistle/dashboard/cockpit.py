"""The leader's cockpit (领导驾驶舱, `GET /dashboard`): one screen over a leader's scope for one month.

Every figure is read from the rollups, never by scanning the case or rating rows: the month's counts, states and
rates and the "now" figures (open, overdue, supervised, escalated) from the metrics rollup (`CaseMonthFact`, as
of its measuring moment), the ratings from `RatingRollup` through the ratings selectors (which count the few
poor ratings that opened a rectification by their own index), the hot topics from their per-scope cache. So
computing the page is a few small grouped sums, whatever the number of cases and ratings.

The computed page of a scope and month is kept in Django's cache named "pages" (settings.CACHES: Redis or a
database table), shared by every web host and the worker, under a key of scope and month only: no clock in it. The entry records
the state of the rollup it was computed from (its watermark and when its rows last changed; not its measuring
moment, which every refresh moves). The worker job `warm` runs after each rollup refresh (and the hot topics'
count) and stores the current month of every active scope whose page was made from another state of the rollup or
is past half of `MAX_AGE_SECONDS`, so a leader finds it ready and a quiet night recomputes nothing. A request
computes the page itself (and stores it) only when the entry is missing, was computed from another state of the
rollup (between a refresh that changed rows and the warm job of the same worker run) or is older than
`MAX_AGE_SECONDS` (the worker is not running; ratings and hot topics carry no stamp of their own, so they are
at most that old). The page shows the rollup's latest measuring moment ("数据截至"). Each figure links to the 台账 listing its cases.

The patronage block depends on the person (a leader sees the assignments they lead themselves, wherever they
are), so it is read per request and never shared between leaders of a scope.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.cache import BaseCache, caches
from django.urls import reverse
from django.utils import timezone

from whistle.cases.models import State
from whistle.core.months import add_months, last_complete_month, month_bounds, month_of
from whistle.org.models import Unit
from whistle.org.scopes import Actor

from . import metrics, rollup
from .models import CaseMonthFact, MetricKind, RollupState
from .topics import _database_instance, active_scopes, hot_topics, scope_key

RATE_CODES_FALLBACK = ["response", "resolution", "satisfaction"]
# How old a stored page may be before a request recomputes it: the worker rewrites the current month's every run
# (`WHISTLE_WORKER_INTERVAL_SECONDS`), so this only matters when the worker is down or for another month.
MAX_AGE_SECONDS = 300
UNITS_SHOWN = 20


def store() -> BaseCache:
    """The stored pages' shared cache (settings.CACHES["pages"])."""
    return caches["pages"]


def _key(actor: Actor, month: dt.date) -> str:
    return f"cockpit:v3:{_database_instance()}:{scope_key(actor)}:{month:%Y-%m}"


def _rollup_state() -> tuple[tuple, dt.datetime] | None:
    """(stamp, measuring moment) of the rollup (None before its first refresh). The stamp — its watermark and when its
    rows last changed — says which state of the rollup a page was computed from; the measuring moment moves on every
    refresh, changed rows or not, so it is not part of the stamp: a page stays valid across refreshes that changed
    nothing, and shows the latest moment its figures were checked at."""
    row = RollupState.objects.values_list("last_event_id", "refreshed_at", "checked_at").first()
    return (row[:2], row[2]) if row else None


def _valid(entry: dict | None, stamp: tuple, now: dt.datetime, max_age: float = MAX_AGE_SECONDS) -> bool:
    return entry is not None and entry["stamp"] == stamp and entry["computed_at"] >= now - dt.timedelta(seconds=max_age)


# ---- the page ------------------------------------------------------------------------------------------------


def page(actor: Actor, month: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The cockpit for the actor's scope and `month` (default: this month): the stored computation when it was
    made from the rollup as it stands and is recent enough, else computed here and stored; plus the parts read
    per request (patronage, month navigation)."""
    now = now or timezone.now()
    month = (month or month_of(now)).replace(day=1)
    state = _rollup_state()
    stamp, as_of = state or (None, None)
    entry = store().get(_key(actor, month)) if state else None
    if not (state and _valid(entry, stamp, now)):
        entry = _computed(actor, month, now, state)
    data = dict(entry["data"])
    data.update(
        as_of=as_of,
        computed_at=entry["computed_at"],
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1) if data["end"] <= now else None,
        patronage=_patronage(actor, month.year),
        leniency=_leniency(actor, month),
    )
    return data


def _leniency(actor: Actor, month: dt.date) -> dict | None:
    """The 不罚/轻罚 section (leniency/_cockpit.html): its own selector, read per request like patronage."""
    from whistle.leniency.selectors import cockpit_summary

    return cockpit_summary(actor, month)


def _computed(actor: Actor, month: dt.date, now: dt.datetime, state: tuple | None) -> dict:
    """Compute the scope's page and store it (not before the rollup's first refresh: nothing to key it on)."""
    stamp, as_of = state or (None, None)
    entry = {"stamp": stamp, "computed_at": now, "data": compute(actor, month, as_of=as_of)}
    if state:
        store().set(_key(actor, month), entry)
    return entry


def compute(actor: Actor, month: dt.date, as_of: dt.datetime | None = None) -> dict:
    """Every figure of the cockpit that is the same for all leaders of the scope, from the rollups."""
    from whistle.web.selectors import counties_for

    start, end = month_bounds(month)
    period = {
        "view": "all",
        "date_from": start.date().isoformat(),
        "date_to": (end - dt.timedelta(days=1)).date().isoformat(),
    }

    ledger = reverse("web:ledger")  # once: the page has hundreds of links

    def ledger_url(**filters) -> str:
        return ledger + "?" + urlencode({k: v for k, v in filters.items() if v not in (None, "")}, doseq=True)

    def link(**filters) -> str:
        return ledger_url(**{**period, **filters})

    # Which rates, by which definitions: the composite's parts and the composite itself.
    defs = metrics.definitions()
    by_code = {d.code: d for d in defs}
    composite = next((d for d in defs if d.kind == MetricKind.COMPOSITE), None)
    shown = [
        c for c in (list(composite.params.get("weights", {})) if composite else RATE_CODES_FALLBACK) if c in by_code
    ]
    shown += [composite.code] if composite else []
    labels = {d.code: d.name for d in defs}
    denominators = {
        d.code: sorted(f for f, w in d.params.get("denominator", {}).items() if float(w))
        for d in defs
        if d.kind == MetricKind.RATIO
    }
    definitions = [
        {
            "code": d.code,
            "name": d.name,
            "label": d.label,
            "caption": d.display_caption(labels),
            "weights": d.params.get("weights"),
        }
        for d in defs
        if d.code in shown
    ]

    def rate_cells(row: dict, **scope) -> list[dict]:
        values = metrics.evaluate(defs, row)
        cells = []
        for code in shown:
            figure = values.get(code) or {}
            facts = denominators.get(code)
            cells.append(
                {
                    "code": code,
                    "label": labels.get(code, code),
                    "value": figure.get("value"),
                    "numerator": figure.get("numerator"),
                    "denominator": figure.get("denominator"),
                    "url": link(fact=facts, **scope) if facts else link(**scope),
                }
            )
        return cells

    facts = CaseMonthFact.objects.filter(metrics.fact_scope_q(actor))
    in_month = facts.filter(month=month)
    county_counts = {r["county_id"]: r for r in rollup.sums(in_month, "county_id")}
    counts = {name: sum(r[name] for r in county_counts.values()) for name in rollup.FACT_NAMES}
    totals = {**counts, "open": _open(counts), "rate_cells": rate_cells(counts)}

    # The "now" figures: the open cases of every month (the rollup's rows of open states), as of the rollup.
    now_names = ("cases", "overdue", "supervised", "escalated")
    open_rows = facts.exclude(state=State.CLOSED)
    now_by_county = {r["county_id"]: r for r in rollup.sums(open_rows, "county_id", now_names)}
    current = {name: sum(r[name] for r in now_by_county.values()) for name in now_names}
    current["open"] = current.pop("cases")
    current_links = {
        "overdue": ledger_url(view="overdue"),
        "supervised": ledger_url(view="supervised"),
        "escalated": ledger_url(view="escalated", basis="open"),
        "open": ledger_url(view="open"),
    }

    by_state = {r["state"]: r["cases"] for r in rollup.sums(in_month, "state", ("cases",))}
    states = [
        {"code": s, "name": label, "value": by_state.get(s, 0), "url": link(state=s)} for s, label in State.choices
    ]
    # The closed state splits into 已办结 (closed with a reply) and 已撤回 (withdrawn, no reply), as the rollup counts them.
    states[-1:] = [
        {"code": State.CLOSED, "name": State.CLOSED.label, "value": counts["closed"], "url": link(fact="closed")},
        {"code": "withdrawn", "name": "已撤回", "value": counts["withdrawn"], "url": link(fact="withdrawn")},
    ]

    first = add_months(month, -11)
    monthly = {
        r["month"]: r
        for r in rollup.sums(facts.filter(month__gte=first, month__lte=month), "month", ("cases", "closed"))
    }
    trend = []
    for n in range(11, -1, -1):
        m = add_months(month, -n)
        s_, e_ = month_bounds(m)
        row = monthly.get(m, {})
        span = {"date_from": s_.date().isoformat(), "date_to": (e_ - dt.timedelta(days=1)).date().isoformat()}
        trend.append(
            {
                "month": f"{m:%Y-%m}",
                "label": f"{m.month}月",
                "total": row.get("cases", 0),
                "closed": row.get("closed", 0),
                "url": ledger_url(view="all", **span),
                "closed_url": ledger_url(view="all", fact="closed", **span),
            }
        )

    by_county = []
    for county in counties_for(actor):
        c = county_counts.get(county.pk) or {name: 0 for name in rollup.FACT_NAMES}
        code = county.code
        row = {
            "code": code,
            "name": county.short_name or county.name,
            "full_name": county.name,
            "total": c["cases"],
            "closed": c["closed"],
            "open": _open(c),
            # The month's cases now overdue: the same period as the 受理 beside it (the all-month "now" figure
            # is the 当前超期 tile above).
            "overdue": c["overdue"],
            "url": link(county=code),
            "overdue_url": link(view="overdue", county=code),
        }
        row["rate_cells"] = rate_cells(c, county=code)
        row["rates"] = {cell["code"]: cell for cell in row["rate_cells"]}
        by_county.append(row)

    unit_counts = {r["lead_unit_id"]: r for r in rollup.sums(in_month.filter(lead_unit__isnull=False), "lead_unit_id")}
    names = Unit.objects.in_bulk(list(unit_counts))
    busiest = sorted(unit_counts, key=lambda pk: (-unit_counts[pk]["cases"], names[pk].name))[:UNITS_SHOWN]
    by_unit = []
    for pk in busiest:
        c, code = unit_counts[pk], names[pk].code
        by_unit.append(
            {
                "code": code,
                "name": names[pk].name,
                "total": c["cases"],
                "closed": c["closed"],
                "open": _open(c),
                "overdue": c["overdue"],
                "url": link(unit=code),
                "overdue_url": link(view="overdue", unit=code),
                "rate_cells": rate_cells(c, unit=code),
            }
        )

    rectification = {
        "total": counts["rect_cases"],
        "contacted": counts["rect_contacted"],
        "open": counts["rect_open"],
        "overdue": counts["rect_overdue"],
    }
    rectification_links = {
        "total": link(fact="rect_cases"),
        "contacted": link(fact="rect_contacted"),
        "open": link(channel="rating", basis="open"),
        "overdue": link(view="overdue", channel="rating"),
    }

    return {
        "month": month,
        "start": start,
        "end": end,
        "as_of": as_of,
        "period": period,
        "totals": totals,
        "links": {
            "all": link(),
            "open": link(basis="open"),
            "closed": link(fact="closed"),
            "reopened": link(fact="reopened"),
        },
        "current": current,
        "current_links": current_links,
        "states": states,
        "trend": trend,
        "by_county": by_county,
        "by_unit": by_unit,
        "shown": shown,
        "labels": labels,
        "definitions": definitions,
        "rankings": _rankings(actor, month, link),
        "ratings": _ratings(actor, start, end),
        "rectification": rectification,
        "rectification_links": rectification_links,
        # Ratings are not cases: their figures open the month's 亮评价 ranking; patronage's open the portfolio and the
        # coverage table (and its .xlsx).
        "other_links": {
            "ratings": f"{reverse('ratings:ranking')}?month={month:%Y-%m}",
            "patronage": reverse("patronage:home"),
            "coverage": reverse("patronage:coverage"),
        },
        # Read from the worker's per-scope cache only: tokenising case texts is the worker's (`refresh_topics`).
        "topics": hot_topics(actor, month, limit=10, compute=0, month_cases=counts["cases"]),
    }


def _open(c: dict) -> int:
    """Cases of the month still open: neither closed nor withdrawn."""
    return c["cases"] - c["closed"] - c["withdrawn"]


def _rankings(actor: Actor, month: dt.date, link) -> dict:
    """红榜/黑榜 of the counties (the metrics app's monthly ranking), each name linking to the county's cases."""
    from .rankings import ranking

    result = ranking(actor, "county", month)
    # The lists are the city's (a county leader sees all of them); a name links to cases the actor may open.
    visible = {r["unit"] for r in result["rows"]}
    for r in (*result["red"], *result["black"]):
        r["url"] = link(county=r["unit"]) if r["unit"] in visible else ""
    result["page_url"] = reverse("dashboard:rankings") + f"?class=county&month={month:%Y-%m}"
    return result


def _ratings(actor: Actor, start: dt.datetime, end: dt.datetime) -> dict:
    from whistle.ratings.selectors import ratings_by_unit, ratings_overview

    last = (end - dt.timedelta(days=1)).date()
    return {
        "overview": ratings_overview(actor, start.date(), last),
        "by_unit": list(ratings_by_unit(actor, start.date(), last))[:10],
    }


def _patronage(actor: Actor, year: int) -> dict:
    from whistle.patronage.selectors import coverage_by_county, coverage_summary

    return {"summary": coverage_summary(actor, year), "by_county": list(coverage_by_county(actor, year)), "year": year}


# ---- the worker job ------------------------------------------------------------------------------------------


def warm(now: dt.datetime) -> dict:
    """Worker job (after the rollup refresh): store the cockpit of every active scope for the month the page opens
    on (the last complete one) and for this month, so no leader waits for either. Counts the pages stored."""
    state = _rollup_state()
    if state is None:
        return {"cockpit_scopes_warmed": 0}
    warmed = 0
    for actor in active_scopes():
        for month in (last_complete_month(now), month_of(now)):
            # A page still made from this state of the rollup is left alone until half its life is gone.
            if not _valid(store().get(_key(actor, month)), state[0], now, MAX_AGE_SECONDS / 2):
                _computed(actor, month, now, state)
                warmed += 1
    return {"cockpit_scopes_warmed": warmed}
