"""A province of sixteen cities around the Heze demo (`whistle seed --province`, issue 21).

Shandong's government above its cities; Heze, as the demo loaded it, becomes one of them, and fifteen smaller cities
join it: each with its own case-number prefix and wording, its 吹哨办, its departments, two counties, a city-wide
dispatch catalogue, its Open311 jurisdiction, logins, and cases raised through the real workflow; a few cities have
categories of their own (an industry only they have), with cases under them. The province's staff see every city and
a ranking of the cities; each city's staff see their own city only. Run again, it keeps what it finds and adds only
what is missing (the jurisdictions and city categories of a province seeded before they existed).
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
from whistle.open311.models import Jurisdiction
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
# A city's own categories (`Category.city`): a matter of an industry only that city has, under a province category and
# routed by the city's own rule to its department. City code: [(code, name, parent code, keywords, department)].
CITY_CATEGORIES = {
    "qingdao": [("qd-port", "港口物流与集装箱疏港", "transport", "港口 码头 集装箱 疏港 船舶 堆场", "jtj")],
    "zibo": [("zb-ceramics", "陶瓷琉璃产业", "policy", "陶瓷 琉璃 窑炉 博山 日用陶瓷 产区", "gxj")],
    "dongying": [
        ("dy-oilfield", "油地关系协调", "factor", "油田 油地 采油 井场 压覆 管线 矿区", "fgw"),
        ("dy-chempark", "化工园区认定与管理", "safety", "化工园区 认定 封闭化 危化品 扩区", "gxj"),
    ],
}
# An Open311 jurisdiction_id is its government's domain: <unit code>.gov.cn (jinan.gov.cn, shandong.gov.cn).
DOMAIN = "{code}.gov.cn"


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
    rng = random.Random(seed)
    if is_loaded():
        return _complete(cases_per_city, rng)
    heze = Unit.objects.get(code=ROOT)
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
    jurisdictions = _jurisdictions(province)
    own = _city_categories()
    plan = []
    for city_counties in counties.values():
        for i in range(cases_per_city):
            county = city_counties[i % len(city_counties)]
            plan.append((county, rng.choice(ROUTED), f"{county.short_name}企业反映问题{i + 1}"))
    raised = _cases(plan + _own_plan(own, cases_per_city), rng)
    case_rollup.rebuild()
    return (
        f"全省演示数据：{len(CITIES) + 1} 个市，新增账号 {len(people)} 个，新增工单 {raised} 条（各市编号前缀不同），"
        f"Open311 辖区 {jurisdictions} 个，各市自有问题分类 {len(own)} 个"
    )


def _complete(cases_per_city: int, rng: random.Random) -> str:
    """A province loaded before: what it lacks of the jurisdictions and the city categories (with their cases)."""
    jurisdictions = _jurisdictions(Unit.objects.get(code=PROVINCE))
    own = _city_categories()
    raised = _cases(_own_plan(own, cases_per_city), rng)
    if raised:
        case_rollup.rebuild()
    if not (jurisdictions or own):
        return "全省演示数据已存在，未重复加载"
    return f"全省演示数据已存在，补充 Open311 辖区 {jurisdictions} 个、各市自有问题分类 {len(own)} 个、工单 {raised} 条"


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


SAID = ("contact", "key_service")  # a jurisdiction's words that name its city


def _jurisdictions(province: Unit) -> int:
    """Each city's Open311 jurisdiction (`Jurisdiction.city`): its government's domain and the city's name, the
    endpoint's words said in that name; the endpoint's own row (no city) becomes the province's. A city that has a
    row keeps it. Returns the rows made."""
    own = Jurisdiction.objects.filter(city__isnull=True).order_by("pk").first() or Jurisdiction(name="")

    def words(unit: Unit) -> dict:
        said = {f: getattr(own, f).replace(own.name, unit.short_name) if own.name else "" for f in SAID}
        return {"code": DOMAIN.format(code=unit.code), "name": unit.short_name, **said}

    if own.pk is not None and own.code != DOMAIN.format(code=province.code):
        for field, value in words(province).items():
            setattr(own, field, value)
        own.save()  # before the cities' rows: Heze's takes the domain the demo's row had
    cities = Unit.objects.filter(parent=province, level=Level.CITY, kind=UnitKind.GOVERNMENT)
    with_row = Jurisdiction.objects.filter(city__isnull=False).values("city_id")
    made = [
        Jurisdiction.objects.create(**words(city), endpoint_type=own.endpoint_type, city=city)
        for city in cities.exclude(pk__in=with_row).order_by("path")
    ]
    return len(made)


def _city_categories() -> list[Category]:
    """The cities' own categories (`CITY_CATEGORIES`), each with its city's rule to the city's department. Returns
    those made now: one found by its code is kept as it is."""
    rows = [(city, *row) for city, city_rows in CITY_CATEGORIES.items() for row in city_rows]
    found = set(Category.objects.filter(code__in=[r[1] for r in rows]).values_list("code", flat=True))
    parents = {c.code: c for c in Category.objects.filter(code__in=[r[3] for r in rows])}
    units = {u.code: u for u in Unit.objects.filter(code__in=[c for r in rows for c in (r[0], f"{r[0]}-{r[5]}")])}
    made = []
    for city, code, name, parent, keywords, function in rows:
        if code in found:
            continue
        category = Category.objects.create(
            code=code, name=name, parent=parents[parent], keywords=keywords, city=units[city]
        )
        DispatchRule.objects.create(category=category, area=units[city], unit=units[f"{city}-{function}"])
        made.append(category)
    return made


ROUTED = [code for code, _n, _p, _k, route in data.CATEGORIES if route is not None]


def _own_plan(categories: list[Category], per_city: int) -> list[tuple[Unit, str, str]]:
    """Cases under each city category just made: as many as a city's share, at most one in each of its counties."""
    plan = []
    for category in categories:
        counties = Unit.objects.filter(parent=category.city, level=Level.COUNTY, kind=UnitKind.GOVERNMENT)
        for county in counties.order_by("path")[:per_city]:
            plan.append((county, category.code, f"{county.short_name}企业反映{category.name}问题"))
    return plan


def _cases(plan: list[tuple[Unit, str, str]], rng: random.Random) -> int:
    """Cases raised by each county's 吹哨办 through `case_submit` (the dispatch catalogue routes them): one for each
    (county, category code, title) of the plan."""
    offices = {
        m.unit.parent_id: Actor.of(m.user)
        for m in Membership.objects.filter(role=Role.COORDINATOR, unit__parent__in=[p[0] for p in plan])
        .select_related("user", "unit")
        .order_by("pk")
    }
    for county, category, title in plan:
        case_submit(
            offices[county.pk],
            kind=rng.choice([Kind.HELP, Kind.COMPLAINT, Kind.CONSULT]),
            category=category,
            title=title,
            description=f"{county.short_name}一家企业反映的问题（全省演示数据）。",
            contact_name=person_name(rng),
            contact_phone=mobile(rng),
            county=county.code,
        )
    return len(plan)
