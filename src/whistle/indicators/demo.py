"""Demo data for `whistle seed`: the regions (16 cities, Heze's counties and 172 towns and parks), reporting and
lead units, targets, three years of figures (the economic indicators, air and water quality, 可网办率 and 一窗受理率;
the towns' air by month), the last month's figures partly waiting for review, whistle's own three rates, and the
warning sweep over it all. Figures are invented from a seasonal pattern; only the shapes are real."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from whistle.core.months import add_months, last_complete_month
from whistle.org.models import Membership, Role, Unit, UnitKind

from . import derive, warnings
from .models import Figure, FigureState, Indicator, Origin, Region, Target, Warning

TOWNS_TOTAL = 172
ECON_BASE = {  # Heze's rough annual level and growth target
    "gdp": (4800, 6.5),
    "retail": (2000, 7.0),
    "services_revenue": (700, 10.0),
    "budget_revenue": (329, 5.0),
    "tax_revenue": (230, 5.0),
    "trade": (900, 8.0),
    "fdi": (5, 10.0),
    "income": (30000, 6.5),
}
GROWTH_ONLY = {"industry_va": 8.0, "fixed_investment": 7.0}
LEADS = {
    "gdp": "fgw",
    "industry_va": "gxj",
    "fixed_investment": "fgw",
    "retail": "swj",
    "services_revenue": "fgw",
    "budget_revenue": "czj",
    "tax_revenue": "czj",
    "tax_share": "czj",
    "trade": "swj",
    "fdi": "swj",
    "income": "rsj",
}
AIR = {"pm25": (42, 20), "pm10": (78, 25), "so2": (10, 3), "no2": (30, 8), "o3": (120, -40), "co": (1.3, 0.4)}


def _unit(code, name, short, parent, county=None, kind=UnitKind.DEPARTMENT):
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        unit = Unit.objects.create(
            code=code, name=name, short_name=short, level=parent.level, kind=kind, parent=parent, county=county
        )
    return unit


def _member(username, role, unit, name):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        from whistle.org.passwords import DEMO_PASSWORD

        user = User.objects.create(username=username, password=make_password(DEMO_PASSWORD))
        Membership.objects.create(user=user, role=role, unit=unit, display_name=name)
    return user


def seed_indicators(heze, *, seed: int = 1) -> str:
    rng = random.Random(seed * 104729 + 17)
    city = heze.city
    tjj = _unit("heze-tjj", "菏泽市统计局", "市统计局", city)
    tianbao = _member("tongji-tianbao", Role.HANDLER, tjj, "高文静")
    reviewer = _member("tongji", Role.DATA_REVIEWER, tjj, "马立群")
    _member("tongji-2", Role.DATA_REVIEWER, tjj, "韩冰")
    sthj = heze.units.get("heze-sthj") or tjj
    xzsp = heze.units.get("heze-xzsp") or tjj

    inds = {i.code: i for i in Indicator.objects.all()}
    for code, ind in inds.items():
        if ind.category == "economy":
            ind.reporting_unit = tjj
            ind.lead_unit = heze.units.get(f"heze-{LEADS.get(code, 'fgw')}") or tjj
        elif ind.category == "environment":
            ind.reporting_unit = ind.lead_unit = sthj
        elif ind.category == "service":
            ind.reporting_unit = ind.lead_unit = xzsp
        else:
            ind.lead_unit = heze.units.get("heze-cso")
        ind.save()

    home = Region.objects.get(is_home=True)
    home.unit = city
    home.save()
    counties = []
    for order, county in enumerate(heze.counties, start=1):
        reporter = heze.unit_for(county, "fgw")
        region, _ = Region.objects.update_or_create(
            code=county.code,
            defaults=dict(
                name=county.short_name or county.name, peer_set="county", unit=county, reporter=reporter, order=order
            ),
        )
        counties.append(region)
    towns = []
    real = [(c, t) for c in heze.counties for t in heze.townships.get(c.pk, [])]
    for order, (county, town) in enumerate(real, start=1):
        region, _ = Region.objects.update_or_create(
            code=town.code,
            defaults=dict(
                name=town.short_name or town.name,
                peer_set="town",
                unit=town,
                parent=_region(counties, county),
                order=order,
            ),
        )
        towns.append(region)
    n = len(towns)
    i = 0
    while len(towns) < TOWNS_TOTAL:
        county = heze.counties[i % len(heze.counties)]
        i += 1
        number = sum(1 for t in towns if t.parent and t.parent.code == county.code) + 1
        name = f"{county.short_name}{'产业园区' if number % 3 == 0 else '镇'}{number:02d}"
        region, _ = Region.objects.update_or_create(
            code=f"{county.code}-t{number:02d}",
            defaults=dict(name=name, peer_set="town", unit=county, parent=_region(counties, county), order=n + i),
        )
        towns.append(region)

    last = last_complete_month(timezone.now())
    first_year = last.year - 3
    cities = list(Region.objects.filter(peer_set="province"))
    figures: list[Figure] = []
    now = timezone.now()
    moment = now - dt.timedelta(days=1)

    def add(ind, region, period, value=None, growth=None, origin=Origin.IMPORT):
        figures.append(
            Figure(
                indicator=ind,
                region=region,
                period=period,
                version=1,
                value=None if value is None else Decimal(str(round(value, 4))),
                growth=None if growth is None else Decimal(str(round(growth, 4))),
                state=FigureState.APPROVED,
                origin=origin,
                source_note="演示数据",
                reporter=ind.reporting_unit or tjj,
                entered_by=tianbao,
                entered_at=moment,
                reviewed_by=reviewer,
                reviewed_at=moment,
            )
        )

    months = []
    m = dt.date(first_year, 1, 1)
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    pending_month = last
    # Economic indicators: a level per region, a growth per region and year, a seasonal cumulative curve.
    for region in cities + counties:
        scale = (
            1.0
            if region.is_home
            else (rng.uniform(0.6, 2.6) if region.peer_set == "province" else rng.uniform(0.05, 0.18))
        )
        for code, (level, target) in ECON_BASE.items():
            ind = inds[code]
            level_y = level * scale * (0.8 if code in ("income",) and region.peer_set == "county" else 1)
            for year in range(first_year, last.year + 1):
                g = rng.gauss(target - 0.3, 1.8) if not region.is_home else rng.gauss(target + 0.2, 1.2)
                level_y = level_y * (1 + g / 100)
                for p in derive.year_periods(ind, year, last):
                    if ind.cumulative:
                        share = (p.month / 12) * (1 + 0.05 * math.sin(p.month / 12 * math.pi))
                        share = min(share, 1.0) if p.month < 12 else 1.0
                        if region.is_home and p == pending_month and code == "retail":
                            continue
                        add(ind, region, p, value=level_y * share * rng.uniform(0.995, 1.005))
        for code, target in GROWTH_ONLY.items():
            ind = inds[code]
            for p in months:
                if ind.skip_january and p.month == 1:
                    continue
                if region.is_home and p == pending_month:
                    continue
                add(ind, region, p, growth=rng.gauss(target, 2.0))
    # Air and water: monthly, seasonal (winter worse), counties and towns around their county.
    for region in cities + counties + towns:
        factor = rng.uniform(0.8, 1.25)
        history = months if region.peer_set != "town" else months[-24:]
        for p in history:
            winter = math.cos((p.month - 1) / 12 * 2 * math.pi)
            improve = 1 - 0.03 * (p.year - first_year)
            for code, (mean, swing) in AIR.items():
                v = max((mean + swing * winter) * factor * improve * rng.uniform(0.9, 1.1), 0.1)
                add(inds[code], region, p, value=v, origin=Origin.BULK)
            if region.peer_set != "town":
                add(
                    inds["good_days"], region, p, value=min(98, max(30, 75 - 20 * winter * factor + rng.uniform(-5, 5)))
                )
                add(inds["water_index"], region, p, value=rng.uniform(3.5, 6.5) * improve)
                rate = min(100, 88 + 10 * (months.index(p) / len(months)) + rng.uniform(-2, 2))
                add(inds["online_rate"], region, p, value=rate)
                add(inds["one_window_rate"], region, p, value=min(100, rate + rng.uniform(0, 3)))
    Figure.objects.bulk_create(figures, batch_size=5000)

    # Targets: growth targets for the city and the counties; level targets for the service rates.
    targets = []
    for year in range(first_year, last.year + 1):
        for region in [home, *counties]:
            for code, (_, target) in {**ECON_BASE, **{k: (0, v) for k, v in GROWTH_ONLY.items()}}.items():
                targets.append(
                    Target(indicator=inds[code], year=year, region=region, basis="growth", value=Decimal(str(target)))
                )
            targets.append(
                Target(indicator=inds["online_rate"], year=year, region=region, basis="value", value=Decimal("98"))
            )
            targets.append(
                Target(indicator=inds["one_window_rate"], year=year, region=region, basis="value", value=Decimal("100"))
            )
            targets.append(
                Target(indicator=inds["good_days"], year=year, region=region, basis="value", value=Decimal("70"))
            )
    Target.objects.bulk_create(targets, ignore_conflicts=True)

    years = list(range(first_year, last.year + 1))
    # Once, after all the figures are in: each indicator rebuilt once, the derived ones after their components.
    points = derive.recompute_all(Indicator.objects.filter(derivation__in=["reported", "share", "composite"]), years)
    points += derive.worker_job(now)["indicator_points"]

    # The last month: Heze's 社零 and 规上工业增加值 wait for review (one flagged as a jump).
    from whistle.org.scopes import Actor

    from . import services

    actor = Actor.of(tianbao)
    before = Figure.objects.filter(indicator=inds["retail"], region=home, period=add_months(pending_month, -1)).first()
    base = float(before.value) if before and pending_month.month != 1 else 150.0
    services.figure_submit(
        actor,
        indicator="retail",
        region="heze",
        period=pending_month,
        value=round(base * 1.09, 2),
        source_note="市统计局月度快报",
        now=now,
    )
    services.figure_submit(
        actor,
        indicator="industry_va",
        region="heze",
        period=pending_month,
        growth=3.1,
        source_note="省统计局反馈",
        now=now,
    )

    result = warnings.sweep(now)
    # A few letters answered, as a unit would.
    for w in list(Warning.objects.order_by("pk")[:3]):
        w.state, w.answer, w.answered_at = (
            "answered",
            "已召开专题会议分析原因，制定整改措施，明确责任人和完成时限。",
            now,
        )
        w.save()
    return (
        f"指标监测：{len(cities)}市、{len(counties)}县区、{len(towns)}个乡镇（园区），{len(figures)}条数据，{points}个发布值，"
        f"{result['indicator_warnings']}份预警函，{result['indicator_proposals']}条约谈建议；数据审核员 tongji，填报员 tongji-tianbao"
    )


def _region(counties, county):
    return next((r for r in counties if r.code == county.code), None)
