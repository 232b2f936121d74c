"""Every read of the indicators app, scoped to the actor.

Who sees what:
- Published points (the statistics themselves, ranks of the whole peer set) are for the leaders, coordinators,
  data reviewers, auditors and administrators (`VIEW_ROLES`): a rank means nothing without the peers.
- A figure before publication is seen by the unit that reports it and by a data reviewer whose subtree holds
  that unit (`Actor.scope_root`), and by auditors and administrators; nobody else learns it exists.
- A warning letter is seen by the unit it is addressed to, by the coordinators, leaders and reviewers whose
  subtree holds that unit, and by auditors and administrators.
Outside that, an object answers exactly like a missing one (404).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from whistle.core import calendar
from whistle.core.errors import NotFound
from whistle.org.models import Role, Unit
from whistle.org.scopes import READ_ALL_ROLES, UNIT_ROLES, Actor

from . import derive, projection
from .models import (
    Category,
    Figure,
    FigureState,
    Indicator,
    PeerSet,
    Point,
    Region,
    RewardScheme,
    Warning,
    WarningState,
)

VIEW_ROLES = {Role.LEADER, Role.COORDINATOR, Role.DATA_REVIEWER, *READ_ALL_ROLES}
REPORT_ROLES = {*UNIT_ROLES, Role.DATA_REVIEWER}


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _covers_unit(actor: Actor, unit_id: int | None, path: str | None = None) -> bool:
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return True
    if unit_id is None:
        return False
    if actor.role in UNIT_ROLES:
        return actor.unit is not None and actor.unit.pk == unit_id
    if actor.role in (Role.COORDINATOR, Role.LEADER, Role.DATA_REVIEWER) and actor.scope_root is not None:
        if actor.sees_all:
            return True
        return (path or Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or "").startswith(
            actor.scope_root.path
        )
    return False


def _unit_q(actor: Actor, field: str) -> Q:
    """Rows whose `field` (a unit) lies in the actor's reach, as a filter."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role in UNIT_ROLES and actor.unit is not None:
        return Q(**{f"{field}_id": actor.unit.pk})
    if actor.role in (Role.COORDINATOR, Role.LEADER, Role.DATA_REVIEWER) and actor.scope_root is not None:
        if actor.sees_all:
            return Q()
        return Q(**{f"{field}__path__startswith": actor.scope_root.path})
    return Q(pk__in=[])


def can_view(actor: Actor) -> bool:
    return actor.is_system or actor.role in VIEW_ROLES


# ---- the catalogue and who reports what ------------------------------------------------------------------


def catalogue() -> list[Indicator]:
    return list(Indicator.objects.filter(is_active=True))


def indicator_get(code) -> Indicator:
    found = Indicator.objects.filter(code=str(code or "")[:40], is_active=True).first()
    if found is None:
        raise NotFound("指标不存在", code="indicator_not_found")
    return found


def reporter_of(indicator: Indicator, region: Region) -> Unit | None:
    """Who owes the figure: the region's own reporting unit (a county reports its own figures) when it has one and
    the indicator is compared among that region's peers, else the indicator's reporting unit."""
    if region.reporter_id and region.peer_set != PeerSet.PROVINCE:
        return region.reporter
    return indicator.reporting_unit


def responsible_of(indicator: Indicator, region: Region) -> Unit | None:
    """Who answers a warning: the region's unit (a county, a town), or for the city itself the indicator's lead
    unit; other cities none."""
    if region.is_home:
        return indicator.lead_unit or region.unit
    return region.unit


def accepts(ind: Indicator, region: Region, _deps: dict | None = None) -> bool:
    """Whether the indicator is kept for the region: the region's peer set is among the indicator's, or among
    those of an indicator derived from it (the six pollutants are kept for the towns the composite ranks)."""
    if region.is_home or region.peer_set in (ind.peer_sets or []):
        return True
    if _deps is None:
        deps = derive.dependents(ind)
    else:  # read once per indicator (setdefault's argument would be read every time)
        if ind.pk not in _deps:
            _deps[ind.pk] = derive.dependents(ind)
        deps = _deps[ind.pk]
    return any(region.peer_set in (other.peer_sets or []) for other in deps)


def reportable(actor: Actor) -> list[tuple[Indicator, Region]]:
    """The series (indicator × region) the actor's unit reports, in catalogue order."""
    if actor.role not in REPORT_ROLES or actor.unit is None:
        return []
    regions = list(Region.objects.filter(is_active=True).select_related("reporter"))
    found, deps = [], {}
    for ind in Indicator.objects.filter(is_active=True, derivation="reported").select_related("reporting_unit"):
        for region in regions:
            if not accepts(ind, region, deps):
                continue
            reporter = reporter_of(ind, region)
            if reporter is not None and (
                reporter.pk == actor.unit.pk
                or (actor.role == Role.DATA_REVIEWER and _covers_unit(actor, reporter.pk, reporter.path))
            ):
                found.append((ind, region))
    return found


def series_for_report(actor: Actor, indicator_code, region_code) -> tuple[Indicator, Region]:
    """The series the actor may report a figure for; any other (or a missing one) is 404."""
    ind = Indicator.objects.filter(code=str(indicator_code or "")[:40], is_active=True).select_related("reporting_unit")
    region = Region.objects.filter(code=str(region_code or "")[:40], is_active=True).select_related("reporter")
    ind, region = ind.first(), region.first()
    if ind is None or region is None or actor.unit is None or actor.role not in REPORT_ROLES:
        raise NotFound("指标或地区不存在，或不由您的单位填报", code="series_not_found")
    reporter = reporter_of(ind, region)
    allowed = reporter is not None and (
        reporter.pk == actor.unit.pk or (actor.role == Role.DATA_REVIEWER and _covers_unit(actor, reporter.pk))
    )
    if not (allowed and accepts(ind, region)):
        raise NotFound("指标或地区不存在，或不由您的单位填报", code="series_not_found")
    return ind, region


# ---- figures before publication ------------------------------------------------------------------------------


def figures_visible(actor: Actor) -> QuerySet[Figure]:
    qs = Figure.objects.select_related("indicator", "region", "reporter", "entered_by", "reviewed_by")
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return qs
    if actor.role in UNIT_ROLES and actor.unit is not None:
        return qs.filter(reporter_id=actor.unit.pk)
    if actor.role == Role.DATA_REVIEWER:
        return qs.filter(_unit_q(actor, "reporter"))
    return qs.none()


def figure_get(actor: Actor, figure_id) -> Figure:
    pk = _id(figure_id)
    figure = figures_visible(actor).filter(pk=pk).first() if pk else None
    if figure is None:
        raise NotFound("数据不存在", code="figure_not_found")
    return figure


def review_queue(actor: Actor) -> QuerySet[Figure]:
    if actor.role != Role.DATA_REVIEWER and not actor.is_system:
        return Figure.objects.none()
    return figures_visible(actor).filter(state=FigureState.PENDING).order_by("-jump_flag", "entered_at", "pk")


def figure_for_review(actor: Actor, figure_id, *, lock: bool = False) -> Figure:
    """A figure the actor may review: a data reviewer over its reporting unit. Anyone else: 404."""
    pk = _id(figure_id)
    qs = Figure.objects.select_related("indicator", "region", "reporter")
    if lock:
        qs = qs.select_for_update(of=("self",))
    figure = qs.filter(pk=pk).first() if pk else None
    if (
        figure is None
        or actor.role != Role.DATA_REVIEWER
        or not _covers_unit(actor, figure.reporter_id, figure.reporter.path)
    ):
        raise NotFound("数据不存在", code="figure_not_found")
    return figure


def can_review(actor: Actor, figure: Figure) -> bool:
    return (
        actor.role == Role.DATA_REVIEWER
        and figure.state == FigureState.PENDING
        and (actor.user is None or figure.entered_by_id != actor.user.pk)
        and _covers_unit(actor, figure.reporter_id, figure.reporter.path)
    )


def history(figure: Figure) -> QuerySet[Figure]:
    """Every version of the figure's series and period."""
    return Figure.objects.filter(indicator=figure.indicator, region=figure.region, period=figure.period).order_by(
        "-version"
    )


# ---- warnings -------------------------------------------------------------------------------------------------


def warnings_visible(actor: Actor) -> QuerySet[Warning]:
    return (
        Warning.objects.filter(_unit_q(actor, "unit"))
        .select_related("rule", "indicator", "region", "unit", "answered_by", "proposal")
        .order_by("-issued_at", "-id")
    )


def warning_get(actor: Actor, warning_id, *, lock: bool = False) -> Warning:
    pk = _id(warning_id)
    qs = warnings_visible(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    warning = qs.filter(pk=pk).first() if pk else None
    if warning is None:
        raise NotFound("预警函不存在", code="warning_not_found")
    return warning


def can_answer(actor: Actor, warning: Warning) -> bool:
    return (
        warning.state == WarningState.ISSUED
        and actor.role in UNIT_ROLES
        and actor.unit is not None
        and actor.unit.pk == warning.unit_id
    )


def cockpit_section(actor: Actor, now: dt.datetime | None = None, limit: int = 8) -> dict:
    """For the leader's cockpit: the open warning letters in the actor's scope, the overdue ones first, and the
    counts. Small by construction (one indexed query), so it is read live on every cockpit view."""
    now = now or timezone.now()
    qs = warnings_visible(actor)
    open_qs = qs.filter(state=WarningState.ISSUED)
    rows = list(open_qs.order_by("due_at", "-id")[:limit])
    return {
        "open": open_qs.count(),
        "overdue": open_qs.filter(due_at__lt=now).count(),
        "answered": qs.filter(state=WarningState.ANSWERED).count(),
        "rows": [{"warning": w, "overdue": w.due_at < now} for w in rows],
    }


# ---- what a unit owes -------------------------------------------------------------------------------------------


def report_due(indicator: Indicator, period: dt.date) -> dt.datetime:
    """The figure of `period` is due `report_due_days` working days after the period's end."""
    end = derive.add_months(period, 1)
    start = timezone.make_aware(dt.datetime(end.year, end.month, 1, 17, 30))
    return calendar.add_working_days(start, max(indicator.report_due_days - 1, 0))


def owed(actor: Actor, now: dt.datetime | None = None) -> dict:
    """The unit's figures still to report (the latest complete period of each series it reports, not yet sent or
    returned), the figures waiting for review, those returned, and the warning letters to answer."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    series = reportable(actor)
    rows = []
    if series:
        latest = {}
        for ind, _region in series:
            p = today.replace(day=1)
            p = derive.add_months(p, -1)
            while not derive.is_period(ind, p) or (ind.skip_january and p.month == 1):
                p = derive.add_months(p, -1)
            latest[ind.pk] = p
        have = defaultdict(list)
        for f in Figure.objects.filter(
            indicator_id__in=[i.pk for i, _ in series],
            region_id__in={r.pk for _, r in series},
            period__in=set(latest.values()),
        ).order_by("version"):
            have[(f.indicator_id, f.region_id, f.period)].append(f)
        for ind, region in series:
            period = latest[ind.pk]
            versions = have.get((ind.pk, region.pk, period), [])
            last = versions[-1] if versions else None
            due = report_due(ind, period)
            rows.append(
                {
                    "indicator": ind,
                    "region": region,
                    "period": period,
                    "label": derive.period_label(ind, period),
                    "due": due,
                    "overdue": last is None and due < now,
                    "figure": last,
                    "state": "missing" if last is None else last.state,
                }
            )
    rows.sort(key=lambda r: (r["state"] != "missing", r["state"] != FigureState.REJECTED, r["due"]))
    warnings = list(warnings_visible(actor).filter(state=WarningState.ISSUED).order_by("due_at"))
    return {
        "rows": rows,
        "missing": sum(r["state"] == "missing" for r in rows),
        "returned": sum(r["state"] == FigureState.REJECTED for r in rows),
        "waiting": sum(r["state"] == FigureState.PENDING for r in rows),
        "warnings": [{"warning": w, "overdue": w.due_at < now} for w in warnings],
    }


# ---- the leader's page ---------------------------------------------------------------------------------------


def latest_period(indicator: Indicator) -> dt.date | None:
    return indicator.last_period


def _num(x, places: int = 2):
    return None if x is None else round(float(x), places)


def latest_periods(indicators, upto: dt.date | None = None) -> dict[int, dt.date]:
    """{indicator id: its latest published period (up to `upto`)}: the indicator's `last_period`, else (a month
    before it) one step down the `point_period` index per indicator."""
    found = {}
    for ind in indicators:
        if ind.last_period is None:
            continue
        if upto is None or ind.last_period <= upto:
            found[ind.pk] = ind.last_period
        else:
            period = (
                Point.objects.filter(indicator=ind, period__lte=upto)
                .order_by("-period")
                .values_list("period", flat=True)
                .first()
            )
            if period is not None:
                found[ind.pk] = period
    return found


def overview(actor: Actor, inds: list[Indicator] | None = None) -> list[dict]:
    """Every active indicator's latest published point for the city itself (the province comparison): value,
    growth, rank and its change, target and gap. Two queries whatever the size of the catalogue."""
    inds = inds if inds is not None else catalogue()
    home = Region.objects.filter(is_home=True).first()
    latest = latest_periods(inds)
    points = {}
    if home is not None and latest:
        for point in Point.objects.filter(region=home, indicator__in=inds, period__in=set(latest.values())):
            if latest.get(point.indicator_id) == point.period:
                points[point.indicator_id] = point
    rows = []
    for ind in inds:
        period = latest.get(ind.pk)
        rows.append(
            {
                "indicator": ind,
                "period": period,
                "label": derive.period_label(ind, period) if period else "",
                "point": points.get(ind.pk),
            }
        )
    return rows


def series_points(indicator: Indicator, first: dt.date, last: dt.date, regions=None) -> QuerySet[Point]:
    qs = Point.objects.filter(indicator=indicator, period__gte=first, period__lte=last)
    if regions is not None:
        qs = qs.filter(region__in=regions)
    return qs.order_by("period")


COLUMNS = (
    "region_id",
    "period",
    "value",
    "ytd",
    "growth",
    "target",
    "gap",
    "rank",
    "rank_of",
    "rank_change",
    "progress",
)
_NUMBERS = {"value", "ytd", "growth", "target", "gap", "progress"}


def point_columns() -> list:
    """`COLUMNS` for `values_list`, the decimals read as floats by the database: the page rounds them for display
    anyway, and a Decimal per value (720 points × 6 numbers on an indicator's page) is most of a page's cost."""
    return [Cast(c, FloatField()) if c in _NUMBERS else c for c in COLUMNS]


def period_table(ind: Indicator, regions: dict[int, Region], rows) -> list[dict]:
    """One period's rows (tuples in `COLUMNS` order) as a table, best rank first."""
    table = [
        {
            "region": regions[r[0]],
            "value": _num(r[2], ind.decimals),
            "ytd": _num(r[3], ind.decimals),
            "growth": _num(r[4]),
            "target": _num(r[5]),
            "gap": _num(r[6]),
            "rank": r[7],
            "rank_of": r[8],
            "rank_change": r[9],
            "progress": _num(r[10], 1),
        }
        for r in rows
        if r[0] in regions
    ]
    table.sort(key=lambda t: (t["rank"] is None, t["rank"] or 0, t["region"].order, t["region"].code))
    return table


def leader_page(actor: Actor, code: str | None, period: dt.date | None = None, years: int = 3) -> dict:
    """One indicator in full: the trend of the city (or, for a county or town indicator, of each county) against
    target, the peers' ranks over time (bump chart), the county grid and the towns' table of the period, the
    projection, and the warnings linked to their letters."""
    inds = catalogue()
    if not inds:
        return {"indicators": [], "indicator": None}
    ind = next((i for i in inds if i.code == code), None) or inds[0]
    last = latest_period(ind)
    if period is None or last is None or period > last or not derive.is_period(ind, period):
        period = last
    # The overview beside the indicator covers its category only (主要经济指标, 生态环境 …): the whole catalogue's rows on
    # every view were most of the page's rendering (docs/benchmarks.md); the other categories are one choice away.
    out = {
        "indicators": inds,
        "indicator": ind,
        "period": period,
        "overview": overview(actor, [i for i in inds if i.category == ind.category]),
    }
    if period is None:
        return out
    first = dt.date(period.year - years + 1, 1, 1)
    regions = {r.pk: r for r in Region.objects.filter(is_active=True).select_related("unit", "parent")}
    rows = list(series_points(ind, first, period).values_list(*point_columns()))
    by_region = defaultdict(list)
    for r in rows:
        by_region[r[0]].append(r)
    periods = sorted({r[1] for r in rows})
    basis_growth = ind.rank_basis == "growth"

    def figure(r):
        return _num(r[4] if basis_growth else r[3])

    sets = {}
    for peer_set in ind.peer_sets or []:
        members = [pk for pk, reg in regions.items() if reg.peer_set == peer_set and pk in by_region]
        members.sort(key=lambda pk: (regions[pk].order, regions[pk].code))
        table = period_table(ind, regions, [r for pk in members for r in by_region[pk] if r[1] == period])
        bump = []
        if peer_set != PeerSet.TOWN:
            bump = [
                {
                    "name": regions[pk].name,
                    "home": regions[pk].is_home,
                    "ranks": [next((r[7] for r in by_region[pk] if r[1] == p), None) for p in periods],
                }
                for pk in members
            ]
        sets[peer_set] = {"name": PeerSet(peer_set).label, "table": table, "bump": bump}
    home = next((pk for pk, reg in regions.items() if reg.is_home), None)
    trend_region = home if home in by_region else next(iter(by_region), None)
    trend = [
        {"period": derive.period_label(ind, r[1]), "figure": figure(r), "target": _num(r[5])}
        for r in by_region.get(trend_region, [])
    ]
    proj = None
    if trend_region is not None and (ind.cumulative or ind.aggregation == "sum"):
        point = Point.objects.filter(indicator=ind, region_id=trend_region, period=period).first()
        if point is not None:
            proj = projection.for_point(ind, point)
    towns = sets.get(PeerSet.TOWN)
    if towns:
        towns["rewards"] = rewards_for(ind, towns["table"])
    out.update(
        {
            "label": derive.period_label(ind, period),
            "periods": [derive.period_label(ind, p) for p in periods],
            "sets": sets,
            "trend": trend,
            "trend_region": regions.get(trend_region),
            "projection": proj,
            "warnings": list(warnings_visible(actor).filter(indicator=ind)[:50]),
            "figure_label": "累计增速（%）" if basis_growth else f"累计值（{ind.measure}）",
        }
    )
    return out


def rewards_for(indicator: Indicator, table: list[dict]) -> dict:
    """Rewards and penalties of the period by the active scheme on this indicator: {region code: 万元}, + paid to
    the town, − paid by it. Ranks are the table's (ties share a rank, so a tie at a boundary shares the amount)."""
    scheme = RewardScheme.objects.filter(indicator=indicator, is_active=True).first()
    if scheme is None or not table:
        return {}
    ranked = [t for t in table if t["rank"]]
    n = max((t["rank_of"] or 0 for t in ranked), default=0)
    out = {}
    for t in ranked:
        amount = 0
        for lo, hi, money in scheme.rewards:
            if lo <= t["rank"] <= hi:
                amount = money
        from_bottom = n - t["rank"] + 1
        for lo, hi, money in scheme.penalties:
            if lo <= from_bottom <= hi and not amount:
                amount = -money
        if amount:
            out[t["region"].code] = amount
    return {"scheme": scheme, "amounts": out}


# ---- the monthly 通报 -------------------------------------------------------------------------------------------


def monthly_report(actor: Actor, month: dt.date) -> dict:
    """The month's 通报: for each category, each indicator's latest figures up to the month in every peer set (rank
    and change, target and gap), the towns' ranking with rewards and penalties, and the letters issued in the
    month. Three queries for the figures, whatever the size of the catalogue."""
    inds = catalogue()
    latest = latest_periods(inds, upto=month)
    regions = {r.pk: r for r in Region.objects.filter(is_active=True)}
    found = defaultdict(list)
    for row in Point.objects.filter(indicator__in=inds, period__in=set(latest.values())).values_list(
        "indicator_id", *point_columns()
    ):
        if latest.get(row[0]) == row[2]:
            found[row[0]].append(row[1:])
    sections = []
    for category, label in Category.choices:
        items = []
        for ind in [i for i in inds if i.category == category and i.pk in latest]:
            sets = {}
            for peer_set in ind.peer_sets or []:
                rows = [r for r in found[ind.pk] if r[0] in regions and regions[r[0]].peer_set == peer_set]
                if rows:
                    table = period_table(ind, regions, rows)
                    sets[peer_set] = {"name": PeerSet(peer_set).label, "table": table}
                    if peer_set == PeerSet.TOWN:
                        sets[peer_set]["rewards"] = rewards_for(ind, table)
            items.append({"indicator": ind, "label": derive.period_label(ind, latest[ind.pk]), "sets": sets})
        if items:
            sections.append({"name": label, "items": items})
    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    end = timezone.make_aware(dt.datetime.combine(derive.add_months(month, 1), dt.time()))
    letters = list(warnings_visible(actor).filter(issued_at__gte=start, issued_at__lt=end).order_by("issued_at"))
    return {"month": month, "sections": sections, "letters": letters}
