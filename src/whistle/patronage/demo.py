"""Demo data for `whistle seed`: the demo's key enterprises assigned to the demo leaders, a few key projects (some
behind plan), visits through the year, and a few of the problems raised turned into cases."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from whistle.cases.models import Category
from whistle.org.models import Membership, Role
from whistle.org.scopes import Actor

from . import services
from .models import Patronage
from .selectors import planned_progress

PROBLEMS = [
    "厂区门前道路破损，雨天积水影响货车通行",
    "新建厂房施工许可办理进度慢，希望加快审批",
    "用电负荷不足，申请增容",
    "招工难，希望人社部门组织专场招聘会",
    "企业研发费用加计扣除政策不清楚，希望上门辅导",
    "天然气供应价格上调，希望协调",
    "项目用地手续尚未办结，影响开工",
    "出口退税到账慢，资金周转困难",
    "排污许可证延续需要指导",
]
DECISIONS = [
    "由牵头部门一周内上门对接",
    "转相关部门限时办理，专班跟踪",
    "当场答复政策口径，后续书面反馈",
    "纳入专班周调度",
]


def seed_patronage(heze, *, seed: int = 1) -> str:
    rng = random.Random(seed * 7919 + 5)
    today = timezone.localdate()
    system = Actor.system()
    User = get_user_model()
    leaders = {m.user.username: m.user for m in Membership.objects.filter(role=Role.LEADER).select_related("user")}
    city_leaders = [leaders[n] for n in ("shilingdao", "heze-leader-2") if n in leaders]

    def county_leader(county):
        return (
            leaders.get("xianlingdao")
            if county.code == "caoxian" and "xianlingdao" in leaders
            else leaders.get(f"{county.code}-leader")
        )

    def lead_unit(county):
        return heze.unit_for(county, "gxj")

    def task_force(county):
        unit = lead_unit(county)
        return [
            {"name": rng.choice("王李张刘陈杨赵黄") + rng.choice("建志海明丽静"), "unit": unit, "duty": duty}
            for duty in ("专班联络员", "专班成员")
        ]

    start = dt.date(today.year, 1, 6)
    patronages = []
    key = [e for e in heze.enterprises if e.is_key]
    for n, enterprise in enumerate(key):
        leader = (
            city_leaders[n % len(city_leaders)] if city_leaders and n % 4 == 0 else county_leader(enterprise.county)
        )
        if leader is None:
            continue
        patronages.append(
            services.patronage_assign(
                system,
                enterprise=enterprise,
                leader=leader,
                lead_unit=lead_unit(enterprise.county),
                started_on=start,
                reason="市县领导包联重点企业",
                task_force=task_force(enterprise.county),
            )
        )

    counties = heze.counties[:4]
    for n, county in enumerate(counties):
        for k in range(2):
            behind = (n + k) % 2 == 1
            begin = dt.date(today.year, 2 + k, 1)
            finish = dt.date(today.year + 1, 6, 30)
            expected = planned_progress(begin, finish, today)
            nodes = [
                {"name": "开工", "planned_on": begin, "done_on": begin + dt.timedelta(days=5)},
                {
                    "name": "主体完工",
                    "planned_on": today - dt.timedelta(days=20) if behind else dt.date(today.year + 1, 1, 15),
                },
                {"name": "投产", "planned_on": finish},
            ]
            builders = [e for e in heze.enterprises if e.county_id == county.pk and e.above_scale]
            project, _ = services.project_save(
                system,
                {
                    "code": f"XM-{today.year}-{county.code}-{k + 1}",
                    "name": f"{county.short_name or county.name}{['智能制造产业园', '新能源配套'][k]}项目",
                    "county": county,
                    "enterprise": builders[0] if builders else None,
                    "investment": rng.choice([18000, 35000, 52000, 120000]),
                    "planned_start": begin,
                    "planned_end": finish,
                    "progress": max(0, expected - 25) if behind else min(100, expected + 5),
                    "milestones": nodes,
                },
            )
            leader = county_leader(county) if k == 0 or not city_leaders else city_leaders[n % len(city_leaders)]
            if leader is not None:
                patronages.append(
                    services.patronage_assign(
                        system,
                        project=project,
                        leader=leader,
                        lead_unit=lead_unit(county),
                        started_on=begin,
                        reason="重点项目包保",
                        task_force=task_force(county),
                    )
                )

    categories = list(Category.objects.filter(is_active=True, is_public=True, parent__isnull=False).order_by("code"))
    visits = cases = 0
    for p in patronages:
        if rng.random() < 0.25:
            continue  # not visited yet this year: coverage below 100%
        actor = Actor.of(User.objects.select_related("membership").get(pk=p.leader_id))
        first = p.started_on
        days = sorted(
            {
                first + dt.timedelta(days=rng.randrange(max(1, (today - first).days)))
                for _ in range(rng.choice((1, 2, 3)))
            }
        )
        for day in days:
            raised = rng.sample(PROBLEMS, rng.choice((0, 1, 2)))
            visit = services.visit_log(
                actor,
                p.pk,
                visited_on=day,
                participants=f"{actor.label}、{p.lead_unit.display_name}、专班成员",
                raised="；".join(raised) or "生产经营正常，无突出问题",
                decided=rng.choice(DECISIONS),
                problems=raised,
                today=today,
            )
            visits += 1
            for problem in visit.problems.all():
                if categories and rng.random() < 0.5:
                    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(16, 0)))
                    try:
                        services.problem_to_case(actor, problem.pk, category=rng.choice(categories).code, now=moment)
                        cases += 1
                    except Exception:  # noqa: BLE001 — a demo enterprise without a phone: the problem stays to convert by hand
                        pass
    return (
        f"领导包保：{Patronage.objects.filter(ended_on__isnull=True).count()} 个包保关系（含 {2 * len(counties)} 个重点项目），"
        f"{visits} 次走访，{cases} 个走访问题转为工单"
    )
