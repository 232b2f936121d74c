"""Thin pages: the leader's cockpit (`/dashboard`), the rankings page, its .xlsx, the rates .xlsx and the printable monthly assessment report."""

from __future__ import annotations

import io

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone

from whistle.core import sheets
from whistle.core.errors import Invalid
from whistle.org.models import Role
from whistle.pagekit import month_param, page

from . import case_rollup, cockpit, exports, metrics, rankings

VIEW_ROLES = (Role.LEADER, Role.COORDINATOR, Role.AUDITOR, Role.SYSADMIN, Role.HANDLER, Role.UNIT_ADMIN)
XLSX = sheets.XLSX
COCKPIT_ROLES = (Role.LEADER, Role.COORDINATOR, Role.AUDITOR, Role.SYSADMIN)


def _rate_row(r: dict) -> dict:
    return {
        "name": r["name"],
        "code": r["code"],
        **{c["code"]: c["value"] for c in r["rate_cells"]},
        "urls": {c["code"]: c["url"] for c in r["rate_cells"]},
    }


@page(*COCKPIT_ROLES)
def cockpit_page(request):
    """The leader's cockpit (领导驾驶舱) over the actor's scope for one month: `cockpit.page` computes it from the
    rollups and keeps it per scope and month, and its worker job keeps the current month warm."""
    data = cockpit.page(request.actor, month_param(request))
    charts = {
        "state": [{"name": s["name"], "value": s["value"], "url": s["url"]} for s in data["states"] if s["value"]],
        "trend": data["trend"],
        # Both 三率 charts plot rates (per cent) with the same shape of row.
        "unit": [_rate_row(r) for r in data["by_unit"]],
        "rates": [_rate_row(r) for r in data["by_county"]],
        "parts": data["shown"][:-1],
        "labels": data["labels"],
    }
    return render(
        request,
        "dashboard/cockpit.html",
        {**data, "charts": charts, "this_month": timezone.localdate().replace(day=1)},
    )


def _month(request):
    return metrics.month_or_last_complete(request.GET.get("month"))


def _problem_page(request, problem: Invalid, template="dashboard/rankings.html"):
    return render(
        request,
        template,
        {"error": problem.detail, "classes": rankings.classes(), "month": request.GET.get("month", "")},
        status=422,
    )


@page(*VIEW_ROLES)
def rankings_page(request):
    try:
        month = _month(request)
        data = rankings.ranking(
            request.actor, request.GET.get("class") or "county", month, city=request.GET.get("city")
        )
    except Invalid as problem:
        return _problem_page(request, problem)
    defs = {d.code: d for d in metrics.definitions(active_only=False)}
    _part_values(data)
    gap = _flag_contradictory_rates(data)
    return render(
        request,
        "dashboard/rankings.html",
        {
            "data": data,
            "contradiction_gap": gap,
            "classes": rankings.classes(),
            "cities": rankings.cities_to_pick(request.actor),
            "city": request.GET.get("city", ""),
            "month": data["month"],
            "query": request.GET.urlencode(),
            "part_names": [(p, defs[p].name if p in defs else p) for p in data["parts"]],
        },
    )


def _part_values(data: dict) -> None:
    """Templates cannot index by a variable: each row gets its parts' values in the order of `parts`."""
    for r in data["rows"]:
        r["part_values"] = [r["rates"].get(p) for p in data["parts"]]


def _flag_contradictory_rates(data: dict) -> int:
    """rules.md §8.5: a unit whose 满意率 stands far above its 解决率 reports totals that contradict each other
    (satisfied with problems left unsolved). The gap in percentage points is the rule parameter
    `cases.contradictory_rates_gap_pts` (0: no flag). Marks each row `contradictory`; returns the gap."""
    from whistle.core.rules import int_param

    gap = int_param("cases.contradictory_rates_gap_pts")
    for r in data["rows"]:
        solved, satisfied = r["rates"].get("resolution"), r["rates"].get("satisfaction")
        r["contradictory"] = bool(gap) and solved is not None and satisfied is not None and satisfied - solved >= gap
    return gap


def _xlsx(name: str, book: bytes) -> FileResponse:
    return FileResponse(io.BytesIO(book), as_attachment=True, filename=name, content_type=XLSX)


@page(*VIEW_ROLES)
def rankings_xlsx(request):
    try:
        data = rankings.ranking(
            request.actor, request.GET.get("class") or "county", _month(request), city=request.GET.get("city")
        )
    except Invalid as problem:
        return _problem_page(request, problem)
    name, book = exports.rankings_workbook(data, metrics.definitions(active_only=False))
    return _xlsx(name, book)


@page(*VIEW_ROLES)
def rates_xlsx(request):
    try:
        month = _month(request)
        group_by = request.GET.get("group_by") or "county"
        rows = metrics.rates(request.actor, month, month, group_by)
    except Invalid as problem:
        return _problem_page(request, problem)
    name, book = exports.rates_workbook(rows, metrics.definitions(), group_by, month)
    return _xlsx(name, book)


@page(*VIEW_ROLES)
def report(request):
    """月度考核通报: a page a coordination office prints (or saves as PDF from the browser) and circulates."""
    try:
        month = _month(request)
        actor = request.actor
        by_county = metrics.rates(actor, month, month, "county")
        by_unit = metrics.rates(actor, month, month, "unit")
        overall = metrics.rates(actor, month, month, None)[0]
        tables = [rankings.ranking(actor, c.code, month) for c in rankings.classes()]
    except Invalid as problem:
        return _problem_page(request, problem, "dashboard/report.html")
    defs = metrics.definitions()
    names = {d.code: d.name for d in defs}
    for d in defs:  # the city's wording; codes, versions and research notes stay in the admin
        d.caption = d.display_caption(names)
    shown = [d for d in defs if d.kind == "ratio"]
    for rows in (by_county, by_unit, [overall]):
        for r in rows:
            r["cells"] = [r[d.code] for d in shown]
    for t in tables:
        _part_values(t)
        t["part_names"] = [(p, names.get(p, p)) for p in t["parts"]]
    root = actor.scope_root
    return render(
        request,
        "dashboard/report.html",
        {
            "month": month,
            "scope_name": root.name if root else "全市",
            "defs": defs,
            "shown": shown,
            "overall": overall,
            "by_county": by_county,
            "by_unit": [r for r in by_unit if r["cases"]],
            "tables": tables,
            "today": timezone.localdate(),
            "office": (actor.unit.name if actor.unit else ""),
            "as_of": case_rollup.as_of(),
        },
    )
