"""Demo data for `whistle seed`, kept small so the demo loads in seconds: the 生物医药 chain's office (login
`lianban`, 市工信局) named on 生物医药 and 高端化工, a chief per chain, a map of each of the two with local firms at
some nodes, a year's lists, a dozen investment projects along the stages (one red), leaders' trips, and the light
sweep run as of today."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from whistle.org.models import Membership, Role, Unit, UnitKind
from whistle.org.scopes import Actor

from . import lights, services
from .models import Chain, Chief, Officer, Park, Project

MAPS = {
    "biomedicine": [
        ("up", "原料药", ["医药中间体", "化学原料药"]),
        ("up", "药用辅料", []),
        ("mid", "化学制剂", ["仿制药", "高端制剂"]),
        ("mid", "生物药", ["疫苗", "抗体药物"]),
        ("mid", "医疗器械", []),
        ("down", "医药流通", []),
        ("down", "医疗服务", []),
    ],
    "chemicals": [
        ("up", "煤化工", ["甲醇"]),
        ("mid", "精细化工", ["农药中间体", "染料"]),
        ("down", "化工新材料", []),
    ],
}
PROJECTS = [  # (name, target firm, stage, amount 万元 or None, days ago it entered the stage)
    ("高端制剂产业化项目", "苏州某药业", "target", None, 5),
    ("抗体药物研发生产基地", "上海某生物", "contact", None, 60),
    ("疫苗灌装线项目", "北京某生物制品", "negotiation", None, 20),
    ("医疗器械产业园", "深圳某医疗", "signed", 120000, 30),
    ("化学原料药扩产项目", "石家庄某制药", "registered", 58000, 40),
    ("药用辅料项目", "杭州某辅料", "started", 16000, 90),
    ("医药物流中心", "济南某物流", "in_production", 9000, 120),
]


def _office(cao: Unit, password) -> Actor:
    User = get_user_model()
    unit = Unit.objects.filter(code="heze-gxj").first() or Unit.objects.filter(kind=UnitKind.DEPARTMENT).first()
    user = User.objects.filter(username="lianban").first()
    if user is None:
        user = User.objects.create(username="lianban", password=password)
        Membership.objects.create(user=user, role=Role.CHAIN_OFFICE, unit=unit, display_name="周海涛")
    for code in MAPS:
        Officer.objects.get_or_create(chain=Chain.objects.get(code=code), user=user)
    return Actor.of(user)


def seed_chains(heze, *, seed: int = 1) -> str:
    from whistle.org.passwords import DEMO_PASSWORD

    cao = next((c for c in heze.counties if c.code == "caoxian"), heze.counties[0])
    office = _office(cao, make_password(DEMO_PASSWORD))
    lead = office.unit
    Chain.objects.filter(code__in=list(MAPS)).update(lead_unit=lead)
    for n, chain in enumerate(Chain.objects.all()):
        Chief.objects.get_or_create(chain=chain, kind="chief", defaults={"name": f"链长{n + 1}", "title": "副市长"})
    bio = Chain.objects.get(code="biomedicine")
    for name in ("菏泽国际陆港", "曹县生物医药产业园", "定陶医药园", "鄄城医药园", "单县医药园"):
        Park.objects.get_or_create(chain=bio, name=name)
    firms = iter(heze.enterprises)
    today = timezone.localdate()
    for code, segments in MAPS.items():
        chain = Chain.objects.get(code=code)
        if chain.nodes.exists():
            continue
        for i, (segment, name, children) in enumerate(segments):
            top = services.node_add(office, chain, name=name, segment=segment)
            for j, child in enumerate(children):
                node = services.node_add(office, chain, name=child, parent=top.pk)
                if (i + j) % 2 == 0:
                    firm = next(firms, None)
                    if firm is not None:
                        services.firm_add(office, chain, node.pk, uscc=firm.uscc)
            if i % 3 == 1:
                services.firm_add(office, chain, top.pk, name=f"某{name}企业", place="上海")
        for list_type, entry in (
            ("gaps", "高端制剂"),
            ("targets", "抗体药物龙头企业"),
            ("policies", "生物医药十条"),
            ("above-scale-in", "新入规企业甲"),
            ("above-scale-in", "新入规企业乙"),
            ("platforms", "市级工程技术研究中心"),
        ):
            services.entry_add(office, chain, list_type=list_type, year=today.year, name=entry)
        services.kpi_record(office, chain, kpi="revenue", year=today.year, value="128.6", note="示例数据")
    if not Project.objects.filter(chain=bio).exists():
        gaps = {n.name: n.pk for n in bio.nodes.all()}
        county = cao.code
        for name, target, stage, amount, days in PROJECTS:
            since = today - dt.timedelta(days=days)
            created = timezone.make_aware(dt.datetime.combine(since - dt.timedelta(days=10), dt.time(10)))
            project = services.project_create(
                office,
                bio,
                {
                    "name": name,
                    "target_firm": target,
                    "county": county,
                    "responsible_unit": lead.code,
                    "node": gaps.get("高端制剂") if "制剂" in name else None,
                },
                now=created,
            )
            if stage != "target":
                services.project_advance(
                    office, project.pk, stage=stage, on=since, amount=amount, now=created + dt.timedelta(days=days + 9)
                )
        for days, city in ((40, "北京"), (25, "上海"), (8, "深圳")):
            services.trip_record(
                office,
                bio,
                {
                    "went_on": today - dt.timedelta(days=days),
                    "city": city,
                    "who": "分管副市长带队",
                    "met": "目标企业负责人",
                },
            )
    lights.sweep()
    return f"产业链：{Chain.objects.count()}条，链办账号 lianban"
