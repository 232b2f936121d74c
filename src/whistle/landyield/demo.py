"""The demo's 亩产效益: 曹县's rounds for 2023 and 2024 (signed off) and 2025 (on 公示), about 300 规上 firms with
figures, so consecutive D years, class history, price lists and objections all show in `make demo`.

A firm's figures follow a lasting "strength" plus yearly noise, so classes move believably from year to year. The
extra 规上 firms are demo register entries (the base register has about a hundred 规上 firms across the city)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum.cn import uscc as uscc_std

from whistle.enterprises.models import Enterprise
from whistle.org.scopes import Actor

from . import services
from .models import Figure, FigureKind, Participant, Scheme, SchemeItem, Surcharge, UtilityAccount

COUNTY = "caoxian"
EXTRA_FIRMS = 240
BRANDS = ["鑫", "华", "鸿", "盛", "恒", "泰", "嘉", "润", "博", "瑞", "金", "源"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙"
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng, region: str) -> str:
    """A valid 统一社会信用代码 (its organisation code with its GB 11714 check character, then GB 32100's)."""
    org = "MA" + "".join(rng.choice(CODE_CHARS) for _ in range(6))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    body = "91" + region + org + {10: "X", 11: "0"}.get(check, str(check))
    return body + uscc_std.calc_check_digit(body)


def person_name(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice("建国志强丽娟海燕立新明华")


def mobile(rng) -> str:
    return "139" + "".join(rng.choice("0123456789") for _ in range(8))


INDUSTRIES = ["木材加工", "食品加工", "纺织服装", "机械制造", "生物医药", "新材料", "化工"]


def _register(heze, rng) -> None:
    county = heze.units[COUNTY]
    towns = heze.townships[county.pk]
    taken = set(Enterprise.objects.values_list("uscc", flat=True))
    rows = []
    while len(rows) < EXTRA_FIRMS:
        uscc = make_uscc(rng, "371721")
        if uscc in taken:
            continue
        taken.add(uscc)
        industry = rng.choice(INDUSTRIES)
        rows.append(
            Enterprise(
                uscc=uscc,
                name=f"曹县{rng.choice(BRANDS)}{industry[:2]}{len(rows) + 1:03d}有限公司",
                county=county,
                township=rng.choice(towns),
                industry=industry,
                size=rng.choice(["large", "medium", "small"]),
                above_scale=True,
                contact_name=person_name(rng),
                contact_phone=mobile(rng),
            )
        )
    Enterprise.objects.bulk_create(rows, batch_size=500)


def _figures(rnd, strength: dict[int, float], rng, year_shift: float) -> None:
    kinds = {k.code: k for k in FigureKind.objects.all()}
    now = timezone.now()
    rows = []
    for p in Participant.objects.filter(round=rnd).only("pk", "enterprise_id"):
        s = strength.setdefault(p.enterprise_id, rng.lognormvariate(0, 0.6))
        s *= rng.lognormvariate(year_shift, 0.15)
        land = round(rng.uniform(20, 300), 1)
        values = {
            "land_area": land,
            "tax": round(land * 8 * s, 1),
            "value_added": round(land * 40 * s * rng.uniform(0.8, 1.2), 1),
            "sales": round(land * 150 * s * rng.uniform(0.8, 1.2), 1),
            "energy": round(land * 12 * rng.uniform(0.6, 1.4), 1),
            "electricity": round(land * 25 * rng.uniform(0.6, 1.4), 1),
            "emissions": round(land * 0.2 * rng.uniform(0.5, 1.5), 2) if rng.random() > 0.08 else None,
            "employees": int(land * rng.uniform(1, 3)),
            "rd_spending": round(land * 150 * s * rng.uniform(0.005, 0.04), 1),
        }
        for code, value in values.items():
            if value is not None:
                rows.append(
                    Figure(
                        round=rnd,
                        participant_id=p.pk,
                        kind=kinds[code],
                        value=Decimal(str(value)),
                        state="confirmed",
                        updated_at=now,
                    )
                )
    Figure.objects.bulk_create(rows, batch_size=2000)


def seed_demo(heze, *, seed=1) -> str:
    rng = random.Random(seed * 18)
    county = heze.units[COUNTY]
    User = get_user_model()
    office = Actor.of(User.objects.get(username="xianchuishao"))
    _register(heze, rng)
    base = Scheme.objects.get(year=2025, county__isnull=True)
    SchemeItem.objects.get_or_create(
        scheme=base, code="hightech", defaults={"kind": "bonus", "name": "高新技术企业", "points": 2}
    )
    for year in (2023, 2024):
        services.scheme_copy(Scheme.objects.get(pk=base.pk), year)
    for utility, unit, amounts in (
        ("water", "元/吨", ("0.50", "1.00", "1.50")),
        ("gas", "元/立方米", ("0.10", "0.20", "0.30")),
    ):
        for years, amount in zip((1, 2, 3), amounts):
            Surcharge.objects.get_or_create(
                utility=utility,
                klass="D",
                min_years=years,
                county=county,
                defaults={"amount": Decimal(amount), "unit": unit, "basis": "演示数据：县发改局定价"},
            )
    strength: dict[int, float] = {}
    today = timezone.localdate()
    rounds = []
    for year, shift in ((2023, 0.0), (2024, 0.03), (2025, 0.05)):
        rnd = services.round_open(office, county=county, year=year)
        _figures(rnd, strength, rng, shift)
        for p in Participant.objects.filter(round=rnd, status="evaluated").order_by("?")[:6]:
            services.participant_items(
                office, p.pk, [rng.choice(["new_firm", "hightech", "safety_accident"])], reason="演示数据"
            )
        services.round_score(office, rnd.pk)
        if year < 2025:
            start = dt.date(year + 1, 7, 1)
            services.round_publish(office, rnd.pk, starts_on=start)
            services.round_sign_off(office, rnd.pk, today=start + dt.timedelta(days=14))
        else:
            services.round_publish(office, rnd.pk, starts_on=today)
        rounds.append(rnd)
    last = rounds[-1]
    d_firms = Participant.objects.filter(round__in=rounds, klass="D").values_list("enterprise_id", flat=True).distinct()
    UtilityAccount.objects.bulk_create(
        [
            UtilityAccount(enterprise_id=e, utility=u, customer_number=f"{prefix}{e:08d}")
            for e in d_firms
            for u, prefix in (("power", "37"), ("water", "SW"), ("gas", "RQ"))
        ],
        ignore_conflicts=True,
    )
    demo = Participant.objects.filter(round=last, enterprise=heze.enterprises[0]).first()
    if demo is not None:
        ent = Actor.of(User.objects.get(username="qiye"))
        services.objection_file(ent, demo.pk, text="用地面积含代征道路约5亩，应予扣除。", kind_code="land_area")
    repeat = Participant.objects.filter(round=rounds[1], klass="D", consecutive_d__gte=2).count()
    return f"亩产效益：曹县2023—2025年度评价，参评 {Participant.objects.filter(round=last).count()} 家，2024年连续两年D类 {repeat} 家"
