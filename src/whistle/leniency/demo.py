"""Demo data for `whistle seed`: the Shandong list (2020 and 2021 versions, reviewed) and a Heze addition, an
inspector and a department head for the enforcing departments of the demo counties, and six months of inspections
played through the services on a simulated clock — suggestions, decisions, deviations and their approval, orders,
the enterprises' reports and the re-checks — so the figures, the report and the cockpit section have data."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from whistle.core.errors import Problem
from whistle.core.months import add_months
from whistle.org.models import Membership, Role
from whistle.org.scopes import Actor

from . import demo_lists, services
from .models import Condition, FindingState, InspectionKind, ListVersion

DEMO_COUNTIES = ("caoxian", "shanxian", "dingtao")
FUNCTIONS = {
    "scjg": "食品安全和价格检查",
    "sthj": "排污许可执行情况检查",
    "yjj": "安全生产检查",
    "jtj": "道路运输企业检查",
    "zjj": "建筑施工现场检查",
    "rsj": "劳动用工和工资支付检查",
    "tax": "纳税申报情况检查",
}
UNMATCHED = [
    "消防通道堆放杂物，灭火器过期",
    "生产车间电气线路私拉乱接",
    "无证从事危险化学品经营",
    "超标排放废水，已造成周边沟渠污染",
]
NAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "志强", "海燕", "立新", "明", "静", "晓东", "红梅", "伟", "超"]


def load_lists() -> dict[str, ListVersion]:
    system = Actor.system()
    made = {}
    specs = [
        (
            "sd-2020",
            "山东省市场监管等领域轻微违法行为不予处罚、从轻减轻处罚清单（2020年版）",
            "province",
            None,
            "山东省司法厅",
            "鲁司〔2020〕18号",
            dt.date(2020, 6, 1),
            dt.date(2021, 7, 1),
            None,
            demo_lists.SHANDONG_2020,
        ),
        (
            "sd-2021",
            "山东省轻微违法行为不予处罚、从轻减轻处罚清单（2021年版）",
            "province",
            None,
            "山东省司法厅",
            "鲁司〔2021〕35号",
            dt.date(2021, 7, 1),
            None,
            "sd-2020",
            demo_lists.SHANDONG_2021,
        ),
        (
            "heze-2022",
            "菏泽市轻微违法行为不予处罚清单（补充）",
            "city",
            "heze",
            "菏泽市司法局",
            "菏司发〔2022〕5号",
            dt.date(2022, 1, 1),
            None,
            None,
            demo_lists.HEZE_ADDITION,
        ),
    ]
    for code, name, level, region, issuer, document, start, end, replaces, fields in specs:
        version = ListVersion.objects.filter(code=code).first()
        if version is None:
            version = services.version_create(
                system,
                {
                    "code": code,
                    "name": name,
                    "level": level,
                    "region": region,
                    "issuer": issuer,
                    "document": document,
                    "effective_from": start,
                    "effective_to": end,
                    "replaces": made[replaces].pk if replaces else None,
                },
            )
            for field_name, (functions, rows) in fields.items():
                field = services.field_get_or_create(version, field_name, functions)
                for number, treatment, violation, conditions, basis, penalty, low, high, days, words in rows:
                    found = services.parse_conditions(conditions)
                    if treatment == "first_offence_waiver":
                        found += [c for c in Condition.objects.filter(code="first_offence") if c not in found]
                    services.item_save(
                        version,
                        {
                            "number": number,
                            "field": field,
                            "treatment": treatment,
                            "violation": violation,
                            "condition_text": conditions,
                            "conditions": found,
                            "legal_basis": basis,
                            "penalty_basis": penalty,
                            "fine_min": low,
                            "fine_max": high,
                            "correction_days": days,
                            "keywords": words,
                        },
                    )
            services.review_record(
                system,
                version.pk,
                {
                    "decision": "approve",
                    "reviewer_unit": issuer,
                    "reviewer_name": "法制审核处",
                    "reviewed_on": start - dt.timedelta(days=20),
                    "opinion": "经合法性审查，同意公布施行。",
                },
            )
        made[code] = version
    return made


def _people(heze, rng) -> tuple[dict, dict]:
    """An inspector (执法人员) and a head (单位管理员, the level above) for each enforcing department of the demo
    counties; the demo login `zhifa` is 曹县市场监管局's inspector when `whistle seed` made it."""
    User = get_user_model()
    password = make_password(None)
    existing = {m.user.username: m for m in Membership.objects.select_related("user", "unit")}
    inspectors, heads = {}, {}
    for county in [heze.units[c] for c in DEMO_COUNTIES if c in heze.units]:
        for function in FUNCTIONS:
            unit = heze.unit_for(county, function)
            if unit.pk in inspectors:
                continue
            for suffix, role, store in (("zf", Role.INSPECTOR, inspectors), ("fzr", Role.UNIT_ADMIN, heads)):
                name = f"{unit.code}-{suffix}"
                member = existing.get(name)
                if member is None:
                    user = User.objects.create(username=name, password=password)
                    member = Membership.objects.create(
                        user=user,
                        role=role,
                        unit=unit,
                        display_name=rng.choice(NAMES) + rng.choice(GIVEN),
                    )
                store[unit.pk] = member.user
    demo = existing.get("zhifa")
    if demo is not None and demo.role == Role.INSPECTOR:
        inspectors[demo.unit_id] = demo.user
    return inspectors, heads


def _description(item, rng) -> str:
    text = item.violation.split("，")[0]
    return rng.choice(["现场检查发现", "检查发现", "经查，", ""]) + text + rng.choice(["。", "，当场指出。", ""])


@transaction.atomic  # one commit for the demo, not one per service call
def seed_leniency(heze, *, seed: int = 1) -> str:
    rng = random.Random(seed * 104729 + 20)
    versions = load_lists()
    inspectors, heads = _people(heze, rng)
    items_by_function: dict[str, list] = {}
    for item in versions["sd-2021"].items.select_related("field"):
        for f in item.field.function_list:
            items_by_function.setdefault(f, []).append(item)
    for item in versions["heze-2022"].items.select_related("field"):
        for f in item.field.function_list:
            items_by_function.setdefault(f, []).append(item)

    today = timezone.localdate()
    first_month = add_months(today.replace(day=1), -5)
    counts = {"inspections": 0, "findings": 0}
    enterprises = {}
    for e in heze.enterprises:
        enterprises.setdefault(e.county_id, []).append(e)
    qiye = heze.enterprises[0]

    def moment(day, hour):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randrange(60))))

    plan = []
    for n in range(6):
        month = add_months(first_month, n)
        last = min(add_months(month, 1) - dt.timedelta(days=1), today)
        for unit_pk, inspector in inspectors.items():
            unit = heze.units_by_id[unit_pk]
            pool = enterprises.get(unit.county_id) or heze.enterprises
            for _ in range(rng.randint(2, 4)):
                day = month + dt.timedelta(days=rng.randrange((last - month).days + 1))
                plan.append((day, unit, inspector, rng.choice(pool)))
    # 多头检查: the demo enterprise is visited by three departments this month, one order still open.
    for function in ("scjg", "sthj", "yjj"):
        unit = heze.unit_for(qiye.county, function)
        if unit.pk in inspectors:
            day = today - dt.timedelta(days={"scjg": 2, "sthj": 6, "yjj": 9}[function])
            plan.append((max(day, today.replace(day=1)), unit, inspectors[unit.pk], qiye))
    plan.sort(key=lambda p: (p[0], p[1].pk))

    for day, unit, inspector, enterprise in plan:
        actor = Actor.of(inspector)
        function = unit.code.split("-", 1)[1]
        pool = items_by_function.get(function, [])
        texts = []
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            texts.append(_description(rng.choice(pool), rng) if pool and rng.random() < 0.85 else rng.choice(UNMATCHED))
        if enterprise is qiye and function == "scjg":
            texts = ["检查发现营业执照未置于经营场所醒目位置"]
        try:
            inspection = services.inspection_record(
                actor,
                enterprise=enterprise,
                inspected_on=day,
                subject=FUNCTIONS[function],
                kind=rng.choice(list(InspectionKind.values)),
                findings=texts,
                now=moment(day, 18),
            )
        except Problem:
            continue
        counts["inspections"] += 1
        for finding in inspection.findings.all():
            counts["findings"] += 1
            _decide(finding, actor, heads.get(unit.pk), rng, moment(day, 11), today, keep_open=enterprise is qiye)
    yearly = services_flags(today)
    return (
        f"不罚轻罚：清单{ListVersion.objects.count()}个版本，检查{counts['inspections']}户次，"
        f"检查发现{counts['findings']}项{yearly}"
    )


def services_flags(today) -> str:
    from .jobs import yearly_review

    result = yearly_review(timezone.now(), year=today.year - 1)
    return f"，上年度评估标记{result['flags']}项"


def _decide(finding, actor, head, rng, now, today, keep_open=False):
    from . import selectors

    suggestions = selectors.suggestions_for(finding, answers={})
    answers = {}
    for s in suggestions[:1]:
        for c in s["checks"]:
            if c["check"] == "answer":
                answers[c["code"]] = rng.random() < 0.9
    standard = rng.choice([1000, 2000, 3000, 5000, 10000, 20000])
    suggestions = selectors.suggestions_for(finding, answers=answers)
    best = next((s for s in suggestions if s["applicable"]), None)
    try:
        if best is not None and rng.random() < 0.1:
            finding = services.finding_decide(
                actor,
                finding.pk,
                decision="ordinary",
                answers=answers,
                fine_standard=standard,
                reason=rng.choice(
                    ["企业拒不配合检查，不宜适用不罚清单", "同一问题经多次提醒仍未改正", "涉及群众投诉，社会影响较大"]
                ),
                now=now,
            )
            if head is not None:
                finding = services.finding_approve(Actor.of(head), finding.pk, decision="approve", note="同意", now=now)
        elif best is not None:
            item = best["item"]
            light = not item.is_no_penalty
            finding = services.finding_decide(
                actor,
                finding.pk,
                decision="light_penalty" if light else "no_penalty",
                item=item.pk,
                answers=answers,
                fine_standard=max(standard, int(item.fine_max or 0) * 2),
                fine_imposed=int(item.fine_min or 0) if light else 0,
                now=now,
            )
        else:
            finding = services.finding_decide(
                actor,
                finding.pk,
                decision="ordinary",
                answers=answers,
                fine_standard=standard,
                reason="不符合不罚轻罚清单的适用条件" if suggestions else "不属于不罚轻罚清单所列情形",
                now=now,
            )
    except Problem:
        return
    if finding.state != FindingState.ORDERED:
        return
    order = finding.order
    if keep_open or order.due_on >= today:
        return
    enterprise_user = (
        Membership.objects.filter(role=Role.ENTERPRISE, enterprise_id=finding.enterprise_id)
        .select_related("user")
        .first()
    )
    roll = rng.random()
    report_day = order.ordered_on + dt.timedelta(days=rng.randint(1, 6))
    if roll < 0.85 and enterprise_user is not None and report_day <= order.due_on:
        at = timezone.make_aware(dt.datetime.combine(report_day, dt.time(15, 0)))
        services.order_report(
            Actor.of(enterprise_user.user), finding.pk, report="已按要求整改完毕，附整改照片。", now=at
        )
        services.finding_recheck(
            actor,
            finding.pk,
            corrected=True,
            rechecked_on=min(report_day + dt.timedelta(days=2), today),
            note="现场复查已改正",
            now=timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0))),
        )
    elif roll < 0.95:
        services.finding_recheck(
            actor,
            finding.pk,
            corrected=False,
            rechecked_on=order.due_on + dt.timedelta(days=1),
            note="逾期未改正",
            now=timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0))),
        )
