"""The Heze demo organisation: units, enterprises, the problem and dispatch catalogues, and users.

Everything is built from `data.py` with one `random.Random(seed)`, so the same seed gives the same rows.
`Heze` is the loaded organisation as lookups, for the history and bulk generators.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from stdnum.cn import uscc as uscc_std

from whistle.cases.models import Category, DispatchRule
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Membership, Role, Unit, UnitKind
from whistle.org.passwords import DEMO_PASSWORD, demo_mode
from whistle.org.scopes import Actor

from . import data

ROOT = "heze"
CITY_OFFICE = "heze-cso"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    label: str
    display_name: str
    unit: str | None  # unit code; None for the enterprise and the read-all roles
    try_first: str


# The logins `whistle demo_logins` prints: one per role, all scoped to 曹县 where a county is needed.
DEMO_LOGINS = [
    DemoLogin("qiye", Role.ENTERPRISE, "企业用户", "孟凡军", None, "提交一条诉求，查看办理进度，办结后回访评价"),
    DemoLogin("banli", Role.HANDLER, "承办人员", "李建华", "caoxian-zjj", "签收待办工单，联系企业，答复意见并办结回复"),
    DemoLogin("danwei", Role.UNIT_ADMIN, "单位管理员", "周志强", "caoxian-zjj", "查看本单位全部工单和黄牌、红牌预警"),
    DemoLogin(
        "xianchuishao",
        Role.COORDINATOR,
        "县吹哨办协调员",
        "王丽娟",
        "caoxian-cso",
        "给待派单、被退回的工单派单，审批延期申请",
    ),
    DemoLogin(
        "shichuishao",
        Role.COORDINATOR,
        "市吹哨办协调员",
        "张海燕",
        CITY_OFFICE,
        "跨县区工单派单，市级督办，转入绿色通道",
    ),
    DemoLogin("shilingdao", Role.LEADER, "市级领导", "刘建国", ROOT, "查看全市工单统计和绿色通道分签事项"),
    DemoLogin("xianlingdao", Role.LEADER, "县区领导", "陈志刚", "caoxian", "查看曹县工单统计和分签给本人的事项"),
    DemoLogin(
        "zhifa", Role.INSPECTOR, "执法人员", "韩立伟", "caoxian-scjg", "登记一次检查，采纳建议的不罚事项，复查改正情况"
    ),
    DemoLogin("shenji", Role.AUDITOR, "审计员", "赵敏", None, "查看工单记录，运行 whistle audit verify 校验哈希链"),
    DemoLogin("admin", Role.SYSADMIN, "系统管理员", "系统管理员", None, "登录 /admin/ 维护单位、派单目录和时限方案"),
]
DEMO_HANDLER_UNITS = {d.unit: d.username for d in DEMO_LOGINS if d.role == Role.HANDLER}
DEMO_COORDINATOR_UNITS = {d.unit: d.username for d in DEMO_LOGINS if d.role == Role.COORDINATOR}
DEMO_LEADER_UNITS = {d.unit: d.username for d in DEMO_LOGINS if d.role == Role.LEADER}
# The second city leader in charge (分管) of land, building, environment, transport, water, safety and labour.
CITY_LEADER_FIELDS = {
    "shilingdao": ["fgw", "gxj", "swj", "kjj", "jrj", "czj", "xzsp", "scjg", "tax", "power", "customs"],
    "heze-leader-2": ["zrzy", "sthj", "zjj", "jtj", "swu", "yjj", "rsj", "sfj"],
}

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class Heze:
    """The loaded organisation, as the lookups the generators need."""

    units: dict[str, Unit]
    counties: list[Unit]
    townships: dict[int, list[Unit]]  # county id → townships
    enterprises: list[Enterprise]
    categories: dict[str, Category]
    handlers: dict[int, object] = field(default_factory=dict)  # unit id → user who acts for it
    coordinators: dict[int, object] = field(default_factory=dict)  # county id (None: city) → coordinator user
    enterprise_users: dict[int, object] = field(default_factory=dict)  # enterprise id → user
    actors: dict[int, Actor] = field(default_factory=dict)  # user id → Actor, as Actor.of(user) builds it

    @property
    def city(self) -> Unit:
        return self.units[ROOT]

    @cached_property
    def units_by_id(self) -> dict[int, Unit]:
        return {u.pk: u for u in self.units.values()}

    @cached_property
    def categories_by_id(self) -> dict[int, Category]:
        return {c.pk: c for c in self.categories.values()}

    def unit_for(self, county: Unit, function: str) -> Unit:
        """The unit of `function` serving `county`: its own department, its zone bureau, else its city's (in a
        province, the county's own city: `seed.province`)."""
        own = self.units.get(f"{county.code}-{function}")
        if own is not None:
            return own
        for suffix, (*_, functions) in data.ZONE_DEPARTMENTS.items():
            if function in functions and f"{county.code}-{suffix}" in self.units:
                return self.units[f"{county.code}-{suffix}"]
        city = self.units_by_id[county.city_id].code if county.city_id in self.units_by_id else ROOT
        return self.units.get(f"{city}-{function}") or self.units[f"{city}-fgw"]

    def city_unit(self, function: str) -> Unit:
        return self.units.get(f"{ROOT}-{function}") or self.units[f"{ROOT}-fgw"]

    @classmethod
    def from_db(cls) -> Heze:
        units = {u.code: u for u in Unit.objects.select_related("county", "parent")}
        cities = {u.pk for u in units.values() if u.is_city_government}  # Heze, and a province's others
        counties = [
            u
            for u in units.values()
            if u.level == Level.COUNTY and u.parent_id in cities and u.kind in (UnitKind.GOVERNMENT, UnitKind.ZONE)
        ]
        townships: dict[int, list[Unit]] = {}
        for unit in units.values():
            if unit.kind == UnitKind.TOWNSHIP:
                townships.setdefault(unit.county_id, []).append(unit)
        heze = cls(
            units=units,
            counties=sorted(counties, key=lambda u: u.path),
            townships=townships,
            enterprises=list(Enterprise.objects.select_related("county", "township").order_by("pk")),
            categories={c.code: c for c in Category.objects.all()},
        )
        for m in Membership.objects.select_related("user", "unit__parent", "enterprise").order_by("user_id"):
            heze.actors[m.user_id] = Actor(user=m.user, membership=m)
            if m.role == Role.HANDLER:
                heze.handlers.setdefault(m.unit_id, m.user)
            elif m.role == Role.COORDINATOR:
                heze.coordinators.setdefault(m.unit.county_id, m.user)
            elif m.role == Role.ENTERPRISE:
                heze.enterprise_users.setdefault(m.enterprise_id, m.user)
        return heze


def is_loaded() -> bool:
    return Unit.objects.filter(code=ROOT).exists()


@transaction.atomic
def load_heze(*, enterprises: int = 300, seed: int = 1) -> Heze:
    """Units, enterprises, catalogues and users (no cases)."""
    rng = random.Random(seed)
    _load_units()
    heze = Heze.from_db()
    _load_enterprises(heze, rng, enterprises)
    _load_catalogue(heze)
    _load_users(heze, rng)
    return Heze.from_db()


# ---- units ---------------------------------------------------------------------------------------------


def make_unit(code, name, short, level, kind, parent=None, county=None, **fields) -> Unit:
    """A unit of the demo's tree (Heze's, and the province's others: `seed.province`)."""
    unit = Unit.objects.create(
        code=code, name=name, short_name=short, level=level, kind=kind, parent=parent, county=county, **fields
    )
    if county is None and level == Level.COUNTY:
        unit.county = unit  # a county government belongs to itself
        unit.save(update_fields=["county"])
    return unit


def _load_units() -> None:
    city = make_unit(ROOT, "菏泽市人民政府", "菏泽市", Level.CITY, UnitKind.GOVERNMENT)
    make_unit(CITY_OFFICE, "菏泽市企业吹哨办", "市吹哨办", Level.CITY, UnitKind.COORDINATION_OFFICE, city)
    for function, (name, short, kind) in data.CITY_DEPARTMENTS.items():
        make_unit(f"{ROOT}-{function}", name, short, Level.CITY, kind, city)
    for code, name, short, kind, _region, towns in data.COUNTIES:
        county = make_unit(code, name, short, Level.COUNTY, kind, city)
        make_unit(
            f"{code}-cso",
            f"{short}企业吹哨办",
            f"{short}吹哨办",
            Level.COUNTY,
            UnitKind.COORDINATION_OFFICE,
            county,
            county,
        )
        if kind == UnitKind.ZONE:
            zone = data.ZONE_NAMES[code]
            for suffix, (tmpl, short_tmpl, dept_kind, _functions) in data.ZONE_DEPARTMENTS.items():
                make_unit(
                    f"{code}-{suffix}",
                    tmpl.format(z=zone, c=short),
                    short_tmpl.format(c=short),
                    Level.COUNTY,
                    dept_kind,
                    county,
                    county,
                )
        else:
            for function, (tmpl, short_tmpl, dept_kind) in data.COUNTY_DEPARTMENTS.items():
                full = tmpl.format(c=short)
                if function == "power" and code in data.DISTRICTS:
                    full = f"国网菏泽市{short}供电公司"
                make_unit(
                    f"{code}-{function}", full, short_tmpl.format(c=short), Level.COUNTY, dept_kind, county, county
                )
        for town, town_code in zip(towns, data.TOWNSHIP_CODES[code]):
            make_unit(f"{code}-{town_code}", town, f"{short}{town}", Level.TOWNSHIP, UnitKind.TOWNSHIP, county, county)


# ---- enterprises ---------------------------------------------------------------------------------------


def _org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its own check character: the middle of a USCC."""
    if rng.random() < 0.35:  # registered before 2015: a numeric code
        body = "".join(rng.choice("0123456789") for _ in range(8))
    else:
        body = "MA" + "".join(rng.choice(_USCC_CHARS) for _ in range(6))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_CODE_WEIGHTS))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(rng: random.Random, region: str, entity_type: str = "1") -> str:
    """A valid 统一社会信用代码: 9 (market regulator), entity type, region, organisation code, check character."""
    body = "9" + entity_type + region + _org_code(rng)
    return body + uscc_std.calc_check_digit(body)


def person_name(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + "".join(rng.choice(data.GIVEN) for _ in range(rng.choice((1, 2, 2))))


def mobile(rng: random.Random) -> str:
    return rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def pick(rng: random.Random, weights: dict):
    """One key of `weights`, drawn in proportion to its value."""
    return rng.choices(list(weights), list(weights.values()))[0]


def _load_enterprises(heze: Heze, rng: random.Random, count: int) -> None:
    regions = {code: region for code, _n, _s, _k, region, _t in data.COUNTIES}
    by_code = {c.code: c for c in heze.counties}
    names, codes, rows = set(), set(), []

    def add(name, county, industry, township):
        uscc = make_uscc(rng, regions[county.code])
        while uscc in codes:
            uscc = make_uscc(rng, regions[county.code])
        codes.add(uscc)
        names.add(name)
        above = rng.random() < 0.35
        size = pick(rng, {"large": 15, "medium": 45, "small": 40} if above else {"small": 40, "micro": 60})
        rows.append(
            Enterprise(
                uscc=uscc,
                name=name,
                county=county,
                township=township,
                industry=data.INDUSTRIES[industry][0],
                size=size,
                above_scale=above,
                is_key=above and rng.random() < 0.3,
                address=f"菏泽市{county.short_name}{township.name}{rng.choice(data.ROADS)}{rng.randint(1, 999)}号",
                contact_name=person_name(rng),
                contact_phone=mobile(rng),
            )
        )

    name, county_code, industry, town = data.DEMO_ENTERPRISE
    demo_county = by_code[county_code]
    add(name, demo_county, industry, next(t for t in heze.townships[demo_county.pk] if t.name == town))
    rows[0].above_scale, rows[0].is_key, rows[0].size = True, True, "medium"
    while len(rows) < count:
        county = by_code[pick(rng, data.COUNTY_WEIGHTS)]
        industry = pick(rng, data.COUNTY_INDUSTRIES[county.code])
        _label, stems, suffixes = data.INDUSTRIES[industry]
        prefix = rng.choice(data.NAME_PREFIXES).format(c=county.short_name)
        name = f"{prefix}{rng.choice(data.BRANDS)}{rng.choice(stems)}{rng.choice(suffixes)}"
        if name not in names:
            add(name, county, industry, rng.choice(heze.townships[county.pk]))
    Enterprise.objects.bulk_create(rows, batch_size=500)
    heze.enterprises = list(Enterprise.objects.select_related("county", "township").order_by("pk"))


# ---- catalogues ----------------------------------------------------------------------------------------


def _load_catalogue(heze: Heze) -> None:
    created: dict[str, Category] = {}
    for code, name, parent, keywords, _route in data.CATEGORIES:
        created[code] = Category.objects.create(code=code, name=name, parent=created.get(parent), keywords=keywords)
    rules = []
    for code, _name, _parent, _keywords, route in data.CATEGORIES:
        if route is None:
            continue
        if route.startswith("city:"):
            rules.append(DispatchRule(category=created[code], area=None, unit=heze.units[f"{ROOT}-{route[5:]}"]))
        else:
            rules.extend(
                DispatchRule(category=created[code], area=c, unit=heze.unit_for(c, route)) for c in heze.counties
            )
    DispatchRule.objects.bulk_create(rules)
    heze.categories = created


# ---- users ---------------------------------------------------------------------------------------------


def _load_users(heze: Heze, rng: random.Random) -> None:
    """Demo logins, one acting user per unit that handles or coordinates cases, one per enterprise.

    One password hash serves every account: hashing it anew per user would cost a second each, and a demo's
    accounts share one published password anyway.
    """
    password = make_password(DEMO_PASSWORD)
    User = get_user_model()
    people: list[tuple[str, dict]] = []  # (username, membership fields)

    for login in DEMO_LOGINS:
        scope = {}
        if login.role == Role.ENTERPRISE:
            scope["enterprise"] = heze.enterprises[0]
        elif login.unit:
            scope["unit"] = heze.units[login.unit]
        people.append((login.username, dict(role=login.role, display_name=login.display_name, **scope)))
    people.append(("heze-leader-2", dict(role=Role.LEADER, unit=heze.city, display_name="孙立新")))

    taken = {d.unit for d in DEMO_LOGINS if d.role in (Role.HANDLER, Role.COORDINATOR, Role.LEADER)}
    for unit in heze.units.values():
        if unit.code in taken:
            continue
        if unit.kind in (UnitKind.DEPARTMENT, UnitKind.STATIONED, UnitKind.TOWNSHIP):
            people.append((unit.code, dict(role=Role.HANDLER, unit=unit, display_name=person_name(rng))))
        elif unit.kind == UnitKind.COORDINATION_OFFICE:
            people.append((unit.code, dict(role=Role.COORDINATOR, unit=unit, display_name=person_name(rng))))
        elif unit.level == Level.COUNTY:
            people.append((f"{unit.code}-leader", dict(role=Role.LEADER, unit=unit, display_name=person_name(rng))))
    for n, enterprise in enumerate(heze.enterprises[1:], start=1):
        people.append(
            (f"qy{n:04d}", dict(role=Role.ENTERPRISE, enterprise=enterprise, display_name=enterprise.contact_name))
        )

    User.objects.bulk_create(
        [
            User(username=username, password=password, is_staff=username == "admin", is_superuser=username == "admin")
            for username, _ in people
        ],
        batch_size=500,
    )
    users = {u.username: u for u in User.objects.filter(username__in=[p for p, _ in people])}
    Membership.objects.bulk_create(
        [
            # Outside demo mode everyone shares the published password: each changes it on first sign-in.
            Membership(user=users[username], phone=mobile(rng), must_change_password=not demo_mode(), **fields)
            for username, fields in people
        ],
        batch_size=500,
    )

    # The green channel hands a case to the lead unit's leader in charge, else the county head, else the mayor.
    leaders = {heze.units[code]: users[name] for code, name in DEMO_LEADER_UNITS.items()}
    leaders.update({county: users[f"{county.code}-leader"] for county in heze.counties if county not in leaders})
    for username, functions in CITY_LEADER_FIELDS.items():
        leaders.update({heze.units[f"{ROOT}-{function}"]: users[username] for function in functions})
    for unit, leader in leaders.items():
        unit.leader = leader
    Unit.objects.bulk_update(list(leaders), ["leader"])
