"""Demo data for `whistle seed`: the city's reform office (login `gaige`) and 曹县's (`xiangaige`), a year's plan of
about two hundred key reform tasks over the six areas with sub-tasks and milestones, a 书记/市长 交办单 for each
county, monthly progress reports through the year (some late, some missing), acceptance and 销号 of the finished,
outcomes from 制度性创新成果 to 典型经验 pushed upward, and the light sweep run as of today."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from whistle.org.models import Membership, Role, Unit, UnitKind
from whistle.org.scopes import Actor

from . import lights, services
from .models import Area, Task, TaskStatus

TOPICS = {
    "economy": [
        ("深化“一业一证”改革", "xzsp"),
        ("推行企业开办“一日办结”", "xzsp"),
        ("工程建设项目审批制度改革", "zjj"),
        ("深化国资国企改革", "czj"),
        ("推进要素市场化配置改革", "fgw"),
        ("完善惠企政策“免申即享”机制", "gxj"),
        ("深化投融资体制改革", "fgw"),
        ("推进开发区体制机制改革", "fgw"),
        ("深化农村集体产权制度改革", "fgw"),
        ("优化电力接入“三零”服务", "power"),
    ],
    "rule-of-law": [
        ("推行包容审慎监管“不罚轻罚”清单", "sfj"),
        ("深化综合行政执法改革", "sfj"),
        ("完善行政复议体制", "sfj"),
        ("推进“双随机、一公开”全覆盖", "scjg"),
    ],
    "culture": [("深化文化市场综合执法改革", "scjg"), ("推进公共文化服务体系改革", "fgw")],
    "society": [
        ("深化人才发展体制机制改革", "rsj"),
        ("推进社会保障“一网通办”", "rsj"),
        ("完善12345热线诉求办理机制", "xzsp"),
        ("深化医保支付方式改革", "rsj"),
    ],
    "ecology": [
        ("完善生态环境损害赔偿制度", "sthj"),
        ("推进排污权交易改革", "sthj"),
        ("建立环境质量预警约谈机制", "sthj"),
        ("深化自然资源资产产权制度改革", "zrzy"),
    ],
    "party": [("完善干部担当作为激励机制", "fgw"), ("深化基层减负长效机制", "fgw")],
}
STEPS = ["制定实施方案", "开展试点", "总结评估", "全面推开"]
SHEET_ITEMS = [
    ("重点项目“拿地即开工”", "年内实现全覆盖"),
    ("企业诉求“吹哨”办结率", "不低于98%"),
    ("规上企业遍访", "领导包保企业遍访率100%"),
    ("工程建设审批提速", "审批时限压减至60个工作日以内"),
    ("乡镇空气质量排名后三位整改", "PM2.5浓度同比下降5%"),
    ("道路扬尘监测点达标", "48个监测点月均值达标"),
    ("营商环境投诉清零", "历史积案全部销号"),
]
REPORTS = [
    "已召开专题会议研究部署，明确责任分工。",
    "实施方案已起草完成，正在征求相关部门意见。",
    "试点工作有序推进，已完成阶段性目标。",
    "本月完成既定节点，形成工作台账。",
    "受外部因素影响进度略有滞后，已制定赶进度措施。",
    "配合单位已完成相关数据对接。",
]


def _office(code, name, parent, username, display, password) -> Unit:
    unit, _ = Unit.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "short_name": name.replace("中共", "").replace("委员会", ""),
            "level": parent.level,
            "kind": UnitKind.REFORM_OFFICE,
            "parent": parent,
            "county": parent.county,
        },
    )
    User = get_user_model()
    if not User.objects.filter(username=username).exists():
        user = User.objects.create(username=username, password=password)
        Membership.objects.create(user=user, role=Role.REFORM_OFFICE, unit=unit, display_name=display)
    return unit


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@transaction.atomic  # one commit for the demo, not one per service call
def seed_reforms(heze, *, seed: int = 1) -> str:
    rng = random.Random(seed * 104729 + 16)
    from whistle.org.passwords import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    city = heze.city
    city_office = _office("heze-ggb", "中共菏泽市委全面深化改革委员会办公室", city, "gaige", "韩志远", password)
    cao = next((c for c in heze.counties if c.code == "caoxian"), heze.counties[0])
    _office(f"{cao.code}-ggb", f"{cao.name.replace('人民政府', '')}委改革办", cao, "xiangaige", "马丽", password)
    office = Actor.of(Membership.objects.get(unit=city_office).user)
    today = timezone.localdate()
    year = today.year
    start = dt.date(year, 1, 6)
    areas = {a.code: a for a in Area.objects.all()}
    statuses = list(TaskStatus.objects.order_by("progress"))
    created: list[Task] = []

    def unit(function):
        return heze.units.get(f"heze-{function}") or heze.city_unit(function)

    def make(data, when):
        return services.task_create(office, data, _at(when))

    # The plan: ~200 top-level tasks, some split into sub-tasks.
    n = 0
    while n < 200:
        for area_code, topics in TOPICS.items():
            for title, function in topics:
                if n >= 200:
                    break
                n += 1
                due = dt.date(year, rng.choice([6, 9, 10, 11, 12]), rng.choice([15, 28, 30]))
                lead = unit(function)
                task = make(
                    {
                        "title": f"{title}（{n:03d}）",
                        "area": area_code if area_code in areas else None,
                        "lead_unit": lead,
                        "assisting": [unit(rng.choice(["fgw", "scjg", "czj", "xzsp"]))],
                        "starts_on": start,
                        "due_on": due,
                        "target": f"{due.month}月底前完成，形成可复制推广的制度成果",
                        "leader_name": "刘建国" if n % 2 else "孙立新",
                        "person_name": rng.choice("王李张刘陈杨赵黄") + rng.choice(["明", "静", "海", "军", "芳"]),
                        "weight": rng.choice([1, 1, 2, 3]),
                        "milestones": [
                            {"name": STEPS[0], "due_on": dt.date(year, 3, 31)},
                            {"name": STEPS[1], "due_on": min(due, dt.date(year, 6, 30))},
                        ],
                        "is_public": n % 5 == 0,
                    },
                    start,
                )
                created.append(task)
                if n % 4 == 0:
                    for step in STEPS[1:3]:
                        created.append(make({"parent": task.pk, "title": f"{step}：{title}", "lead_unit": lead}, start))

    # One sheet per county, issued by the secretary or the mayor.
    for i, county in enumerate(heze.counties):
        items = [
            {
                "title": title,
                "target": target,
                "lead_unit": county,
                "starts_on": dt.date(year, 2, 20),
                "due_on": dt.date(year, rng.choice([6, 9, 11, 12]), 30),
                "leader_name": "县委书记" if i % 2 == 0 else "县长",
                "person_name": rng.choice("王李张刘陈") + "主任",
            }
            for title, target in rng.sample(SHEET_ITEMS, 5)
        ]
        sheet = services.sheet_issue(
            office,
            {
                "title": f"{year}年{county.display_name}营商环境和生态环保交办单",
                "issuer_title": "市委书记" if i % 2 == 0 else "市长",
                "lead_unit": county,
                "starts_on": dt.date(year, 2, 20),
                "due_on": dt.date(year, 12, 31),
                "items": items,
            },
            _at(dt.date(year, 2, 20)),
        )
        created.extend(Task.objects.filter(parent=sheet))

    # Reports through the year by each lead unit (as the system on the unit's behalf is not the rule: the reporter).
    parents = set(Task.objects.filter(parent__in=[t.pk for t in created]).values_list("parent_id", flat=True))
    leaves = [t for t in created if t.pk not in parents]
    reporters: dict[int, Actor] = {}
    for m in Membership.objects.filter(role__in=[Role.HANDLER, Role.REFORM_OFFICE]).select_related("user", "unit"):
        reporters.setdefault(m.unit_id, Actor(user=m.user, membership=m))
    for county in heze.counties:
        office_member = Membership.objects.filter(role=Role.REFORM_OFFICE, unit__parent=county).first()
        if office_member:
            reporters[county.pk] = Actor.of(office_member.user)
    reports = closed = 0
    for task in leaves:
        task = Task.objects.get(pk=task.pk)
        actor = reporters.get(task.lead_unit_id)
        if actor is None:
            continue
        diligence = rng.random()
        month = task.starts_on.month + 1
        progress = 0
        pending = list(task.milestones.filter(done_on__isnull=True))  # each report marks those past due done
        while month <= today.month and dt.date(year, month, 3) < today:
            if rng.random() < diligence + 0.2:
                progress = min(100, progress + rng.choice([10, 15, 20, 25]))
                status = max((s for s in statuses if s.progress <= progress), key=lambda s: s.progress, default=None)
                services.report_add(
                    actor,
                    task.pk,
                    text_value=rng.choice(REPORTS),
                    progress=progress,
                    status=status.code if status else None,
                    milestones_done=[m.pk for m in pending if m.due_on < dt.date(year, month, 1)],
                    now=_at(dt.date(year, month, rng.randint(1, 5))),
                )
                pending = [m for m in pending if m.due_on >= dt.date(year, month, 1)]
                reports += 1
            month += 1
        task.refresh_from_db()
        if progress >= 90 and task.due_on < today + dt.timedelta(days=60) and rng.random() < 0.8:
            when = min(today, task.due_on - dt.timedelta(days=rng.randint(0, 20)))
            from django.core.files.uploadedfile import SimpleUploadedFile

            evidence = SimpleUploadedFile(
                "验收材料.pdf", b"%PDF-1.4\n% demo evidence\n", content_type="application/pdf"
            )
            services.task_submit(
                actor, task.pk, text_value="已按要求完成全部目标任务，申请验收。", files=[evidence], now=_at(when, 9)
            )
            if rng.random() < 0.85:
                services.task_accept(office, task.pk, text_value="经现场核查，目标达成", now=_at(when, 15))
                if rng.random() < 0.9:
                    services.task_close(office, task.pk, text_value="销号", now=_at(when, 16))
                    closed += 1

    # Outcomes: of the year's tasks, some results become 制度性创新成果, fewer 典型经验, pushed upward.
    top = list(Task.objects.filter(year=year, kind="task", parent__isnull=True).order_by("pk"))
    rng.shuffle(top)
    outcome_count = 0
    for i, task in enumerate(top[:60]):
        actor = reporters.get(task.lead_unit_id) or office
        o = services.outcome_propose(
            actor,
            task.pk,
            title=f"{task.title.split('（')[0]}的制度创新",
            summary="形成了可复制推广的制度性成果。",
            now=_at(dt.date(year, 9, 1)),
        )
        outcome_count += 1
        if i < 43:
            services.outcome_review(
                office, o.pk, decision="innovation", note="认定为制度性创新成果", now=_at(dt.date(year, 10, 10))
            )
            if i < 28:
                services.outcome_select(office, o.pk, now=_at(dt.date(year, 10, 20)))
                services.outcome_push(office, o.pk, level="province", pushed_on=dt.date(year, 10, 25))
                if i < 6:
                    services.outcome_push(office, o.pk, level="central", pushed_on=dt.date(year, 11, 5))
        elif i < 50:
            services.outcome_review(
                office, o.pk, decision="rejected", note="创新性不足", now=_at(dt.date(year, 10, 10))
            )

    result = lights.sweep(timezone.now())
    total = Task.objects.filter(year=year).count()
    return (
        f"改革任务：{total}项（含{len(heze.counties)}张交办单），进展报送{reports}条，销号{closed}项，"
        f"成果{outcome_count}项，督办函{result['reform_letters']}份；改革办账号 gaige（市）、xiangaige（曹县）"
    )
