"""A province of sixteen cities around the Heze demo (`whistle seed --province`, issue 21).

Shandong's government above its cities; Heze, as the demo loaded it, becomes one of them, and fifteen smaller cities
join it: each with its own case-number prefix and wording, its 吹哨办, its departments, two counties, a city-wide
dispatch catalogue, logins, and cases raised through the real workflow. The province's staff see every city and a
ranking of the cities; each city's staff see their own city only. Run again, it does nothing.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from whistle.cases.models import Category, DispatchRule, Kind
from whistle.cases.services import case_submit
from whistle.core.models import Wording
from whistle.dashboard import case_rollup
from whistle.dashboard.models import GroupBy, RankingClass
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Membership, Role, Unit, UnitKind
from whistle.org.passwords import DEMO_PASSWORD, demo_mode
from whistle.org.scopes import Actor

from . import data
from .heze import ROOT, make_unit, make_uscc, mobile, person_name

PROVINCE = "shandong"
PROVINCE_OFFICE = "shandong-cso"
HEZE_PREFIX = "HZ"

# (code, name, case-number prefix, its two counties (code, name)). Heze is the sixteenth, loaded by the demo.
CITIES = [
    ("jinan", "济南", "JN", [("licheng", "历城区"), ("zhangqiu", "章丘区")]),
    ("qingdao", "青岛", "QD", [("huangdao", "黄岛区"), ("jimo", "即墨区")]),
    ("zibo", "淄博", "ZB", [("zhangdian", "张店区"), ("linzi", "临淄区")]),
    ("zaozhuang", "枣庄", "ZZ", [("tengzhou", "滕州市"), ("xuecheng", "薛城区")]),
    ("dongying", "东营", "DY", [("dongyingqu", "东营区"), ("guangrao", "广饶县")]),
    ("yantai", "烟台", "YT", [("zhifu", "芝罘区"), ("longkou", "龙口市")]),
    ("weifang", "潍坊", "WF", [("kuiwen", "奎文区"), ("shouguang", "寿光市")]),
    ("jining", "济宁", "JNG", [("rencheng", "任城区"), ("qufu", "曲阜市")]),
    ("taian", "泰安", "TA", [("taishan", "泰山区"), ("xintai", "新泰市")]),
    ("weihai", "威海", "WH", [("huancui", "环翠区"), ("rongcheng", "荣成市")]),
    ("rizhao", "日照", "RZ", [("donggang", "东港区"), ("juxian", "莒县")]),
    ("linyi", "临沂", "LY", [("lanshan", "兰山区"), ("yishui", "沂水县")]),
    ("dezhou", "德州", "DZ", [("decheng", "德城区"), ("yucheng", "禹城市")]),
    ("liaocheng", "聊城", "LC", [("dongchangfu", "东昌府区"), ("linqing", "临清市")]),
    ("binzhou", "滨州", "BZ", [("bincheng", "滨城区"), ("zouping", "邹平市")]),
]
HEZE = "菏泽"


def is_loaded() -> bool:
    return Unit.objects.filter(code=PROVINCE).exists()


def _renamed(text: str, city: str) -> str:
    """A Heze name as another city's: 菏泽市工业和信息化局 → 济南市工业和信息化局."""
    return text.replace(HEZE, city)


@transaction.atomic
def load_province(*, cases_per_city: int = 20, firms_per_county: int = 10, seed: int = 1) -> str:
    """The province around the loaded Heze demo. Returns a line for the seed's output. Each county of the other
    cities gets `firms_per_county` enterprises with their accounts, and every unit that handles cases a handler, so
    the bulk generator (`whistle seed --cases N` after this) spreads synthetic cases over all sixteen cities."""
    if is_loaded():
        return "全省演示数据已存在，未重复加载"
    heze = Unit.objects.get(code=ROOT)
    rng = random.Random(seed)
    province = make_unit(PROVINCE, "山东省人民政府", "山东省", Level.PROVINCE, UnitKind.GOVERNMENT)
    office = make_unit(
        PROVINCE_OFFICE, "山东省企业吹哨办", "省吹哨办", Level.PROVINCE, UnitKind.COORDINATION_OFFICE, province
    )
    heze.parent, heze.case_prefix = province, HEZE_PREFIX
    heze.save()  # the whole Heze tree moves under the province (org.services.unit_save)
    password = make_password(DEMO_PASSWORD)
    people = [
        ("shengchuishao", Role.COORDINATOR, office, "省吹哨办协调员"),
        ("shenglingdao", Role.LEADER, province, "省领导"),
    ]
    counties: dict[str, list[Unit]] = {}
    for index, (code, name, prefix, county_rows) in enumerate(CITIES):
        city = _city(province, code, name, prefix, county_rows)
        counties[code] = city["counties"]
        people += _staff_and_firms(city["government"], city["counties"], firms_per_county, index, rng)
        people += [
            (f"{code}_chuishao", Role.COORDINATOR, city["office"], f"{name}市吹哨办协调员"),
            (f"{code}_lingdao", Role.LEADER, city["government"], f"{name}市领导"),
        ]
        people += [
            (f"{c.code}_chuishao", Role.COORDINATOR, o, f"{c.short_name}吹哨办协调员") for c, o in city["offices"]
        ]
        _wording(city["government"], name)
    _users(people, password, rng)
    _ranking_class()
    raised = _cases(counties, cases_per_city, rng)
    case_rollup.rebuild()
    return f"全省演示数据：{len(CITIES) + 1} 个市，新增账号 {len(people)} 个，新增工单 {raised} 条（各市编号前缀不同）"


def _city(province: Unit, code: str, name: str, prefix: str, county_rows) -> dict:
    city = make_unit(
        code, f"{name}市人民政府", f"{name}市", Level.CITY, UnitKind.GOVERNMENT, province, case_prefix=prefix
    )
    office = make_unit(f"{code}-cso", f"{name}市企业吹哨办", "市吹哨办", Level.CITY, UnitKind.COORDINATION_OFFICE, city)
    departments = {
        function: make_unit(f"{code}-{function}", _renamed(full, name), _renamed(short, name), Level.CITY, kind, city)
        for function, (full, short, kind) in data.CITY_DEPARTMENTS.items()
    }
    counties, offices = [], []
    for county_code, county_name in county_rows:
        county = make_unit(county_code, f"{county_name}人民政府", county_name, Level.COUNTY, UnitKind.GOVERNMENT, city)
        offices.append(
            (
                county,
                make_unit(
                    f"{county_code}-cso",
                    f"{county_name}企业吹哨办",
                    f"{county_name}吹哨办",
                    Level.COUNTY,
                    UnitKind.COORDINATION_OFFICE,
                    county,
                    county,
                ),
            )
        )
        for function, (tmpl, short_tmpl, kind) in data.COUNTY_DEPARTMENTS.items():
            make_unit(
                f"{county_code}-{function}",
                _renamed(tmpl.format(c=county_name), name),
                short_tmpl.format(c=county_name),
                Level.COUNTY,
                kind,
                county,
                county,
            )
        counties.append(county)
    _catalogue(city, departments, counties)
    return {"government": city, "office": office, "counties": counties, "offices": offices}


def _staff_and_firms(city: Unit, counties: list[Unit], firms: int, index: int, rng: random.Random) -> list:
    """A handler for each unit that handles cases, a leader for each county (the green channel's), the counties'
    enterprises and an account for each: the accounts as (username, role, unit or enterprise, label)."""
    people: list[tuple] = []
    for unit in Unit.objects.filter(path__startswith=city.path, kind__in=[UnitKind.DEPARTMENT, UnitKind.STATIONED]):
        people.append((unit.code, Role.HANDLER, unit, unit.short_name))
    for n, county in enumerate(counties):
        people.append((f"{county.code}-leader", Role.LEADER, county, f"{county.short_name}领导"))
        rows = []
        for i in range(firms):
            industry = rng.choice(list(data.INDUSTRIES))
            _label, stems, suffixes = data.INDUSTRIES[industry]
            rows.append(
                Enterprise(
                    uscc=make_uscc(rng, f"37{index + 20:02d}{n + 1:02d}"),
                    name=f"{county.short_name}{rng.choice(data.BRANDS)}{rng.choice(stems)}{rng.choice(suffixes)}{i + 1}",
                    county=county,
                    industry=data.INDUSTRIES[industry][0],
                    above_scale=rng.random() < 0.35,
                    address=f"{city.short_name}{county.short_name}{rng.choice(data.ROADS)}{rng.randint(1, 999)}号",
                    contact_name=person_name(rng),
                    contact_phone=mobile(rng),
                )
            )
        Enterprise.objects.bulk_create(rows, batch_size=500)
        people += [(f"qy-{county.code}-{i + 1:04d}", Role.ENTERPRISE, e, e.contact_name) for i, e in enumerate(rows)]
    return people


def _catalogue(city: Unit, departments: dict[str, Unit], counties: list[Unit]) -> None:
    """The city's own dispatch rules: a Heze rule for the whole city becomes this city's (area: its government), a
    county rule goes to the county's own department of that line of work, else the city's."""
    categories = {c.code: c for c in Category.objects.all()}
    units = {u.code: u for u in Unit.objects.filter(county__in=counties)}
    rules = []
    for code, _name, _parent, _keywords, route in data.CATEGORIES:
        if route is None or code not in categories:
            continue
        if route.startswith("city:"):
            unit = departments.get(route[5:]) or departments["fgw"]
            rules.append(DispatchRule(category=categories[code], area=city, unit=unit))
            continue
        for county in counties:
            unit = units.get(f"{county.code}-{route}") or departments.get(route) or departments["fgw"]
            rules.append(DispatchRule(category=categories[code], area=county, unit=unit))
    DispatchRule.objects.bulk_create(rules)


def _wording(city: Unit, name: str) -> None:
    """The city's own phrases: Heze's, in this city's name (a city edits them in the admin)."""
    Wording.objects.bulk_create(
        Wording(key=w.key, text=_renamed(w.text, name), description=w.description, city=city)
        for w in Wording.objects.filter(city__isnull=True)
        if HEZE in w.text
    )


def _users(people, password: str, rng: random.Random) -> None:
    User = get_user_model()
    User.objects.bulk_create((User(username=username, password=password) for username, *_ in people), batch_size=500)
    users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])}
    Membership.objects.bulk_create(
        (
            Membership(
                user=users[username],
                role=role,
                **({"enterprise": scope} if role == Role.ENTERPRISE else {"unit": scope}),
                display_name=label if role == Role.ENTERPRISE else f"{label}{person_name(rng)}",
                phone=mobile(rng),
                must_change_password=not demo_mode(),
            )
            for username, role, scope, label in people
        ),
        batch_size=500,
    )
    # The green channel hands a county's case to the county's head.
    counties = [
        (scope, users[username])
        for username, role, scope, _ in people
        if role == Role.LEADER and username == f"{scope.code}-leader"
    ]
    for county, leader in counties:
        county.leader = leader
    Unit.objects.bulk_update([c for c, _ in counties], ["leader"])


def _ranking_class() -> None:
    """The cities ranked against each other on the county class's metric (each city's counties summed)."""
    county = RankingClass.objects.filter(code="county").first()
    if county is None or RankingClass.objects.filter(code="city").exists():
        return
    RankingClass.objects.create(
        code="city",
        name="设区市",
        level=Level.CITY,
        kinds=[UnitKind.GOVERNMENT],
        group_by=GroupBy.CITY,
        metric=county.metric,
        min_cases=county.min_cases,
        window_months=county.window_months,
        list_length=3,
        order=1,
    )


def _cases(counties: dict[str, list[Unit]], per_city: int, rng: random.Random) -> int:
    """Cases raised by each county's 吹哨办 through `case_submit` (the dispatch catalogue routes them)."""
    routed = [code for code, _n, _p, _k, route in data.CATEGORIES if route is not None]
    offices = {
        m.unit.parent_id: Actor.of(m.user)
        for m in Membership.objects.filter(role=Role.COORDINATOR, unit__parent__in=sum(counties.values(), []))
        .select_related("user", "unit")
        .order_by("pk")
    }
    raised = 0
    for city_counties in counties.values():
        for i in range(per_city):
            county = city_counties[i % len(city_counties)]
            case_submit(
                offices[county.pk],
                kind=rng.choice([Kind.HELP, Kind.COMPLAINT, Kind.CONSULT]),
                category=rng.choice(routed),
                title=f"{county.short_name}企业反映问题{i + 1}",
                description=f"{county.short_name}一家企业反映的问题（全省演示数据）。",
                contact_name=person_name(rng),
                contact_phone=mobile(rng),
                county=county.code,
            )
            raised += 1
    return raised
