"""Demo data: evaluate the rules over the demo ratings (the ratings seeder runs first), so the proposals page of
`make demo` shows what the worker would find. Should there be no ratings at all (a deployment whose ratings seeder
is absent), a few cadres of two counties' approval bureaus get two months of ratings through `rating_submit` first,
one of them rated poorly, so the page is not empty."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from whistle.org.models import Unit, UnitKind
from whistle.ratings.models import Cadre, Rating
from whistle.ratings.services import rating_submit

from .evaluation import evaluate_rules, month_start
from .models import Proposal

CADRES = [("审批科科长", "一窗受理、审批服务"), ("投资项目科科员", "投资项目备案与核准"), ("综合窗口负责人", "企业开办一窗通办")]
NAMES = ["刘洋", "陈静", "杨帆", "赵磊", "孙丽", "周涛"]
COMMENTS = {1: "材料被退回多次", 2: "等了一上午没人办理", 3: "", 4: "办得挺快", 5: "一次办好，态度很好"}


def _demo_ratings(heze, rng: random.Random) -> int:
    today = timezone.localdate()
    cadres = []
    names = iter(NAMES)
    for county in heze.counties[:2]:
        unit = heze.units.get(f"{county.code}-xzsp") or Unit.objects.filter(
            county=county, kind=UnitKind.DEPARTMENT, is_active=True).order_by("path").first()
        if unit is None:
            continue
        for post, duties in CADRES:
            name = next(names)
            cadres.append(Cadre.objects.get_or_create(name=name, unit=unit, defaults={
                "post": post, "duties": duties, "supervision_phone": "0530-5312345", "is_party_member": rng.random() < .6})[0])
    if not cadres:
        return 0
    poor = cadres[-1]  # one cadre keeps being rated poorly: bottom of the county cadres two months running
    count = 0
    for back in (2, 1):
        start = month_start(today, back)
        for i, cadre in enumerate(cadres):
            levels = [rng.choice([1, 2, 2, 3]) for _ in range(5)] if cadre is poor else [rng.choice([3, 4, 5, 5]) for _ in range(6)]
            for j, level in enumerate(levels):
                when = timezone.make_aware(dt.datetime(start.year, start.month, 3 + 3 * j, 9 + i))
                rating_submit(cadre, level=level, comment=COMMENTS[level], device=f"demo-{back}-{i}-{j}",
                              ip=f"10.{back}.{i * 10 + j}.1", now=when)
                count += 1
    return count


def seed_demo(heze, *, seed=1) -> str:
    made = "" if Rating.objects.exists() else f"（先生成演示评价 {_demo_ratings(heze, random.Random(seed * 31 + 7))} 条）"
    created = evaluate_rules(timezone.now())["accountability_proposals"]
    pending = Proposal.objects.filter(state="pending").count()
    return f"问责建议 {created} 条{made}，待确认 {pending} 条"
