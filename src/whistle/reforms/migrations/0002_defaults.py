"""Defaults for reforms, every one editable in the admin: the six areas of the city's plan, the statuses with their
default progresses, the light and report parameters, the accountability rule for repeated red lights, and the
metric definition of each unit's on-time task progress (inactive until a city chooses to weigh it)."""

from django.db import migrations

AREAS = [
    ("economy", "经济体制改革", 10),
    ("rule-of-law", "民主法制领域改革", 20),
    ("culture", "文化体制改革", 30),
    ("society", "社会体制改革", 40),
    ("ecology", "生态文明体制改革", 50),
    ("party", "党的建设制度改革", 60),
]
STATUSES = [
    ("not-started", "未启动", 0, 10),
    ("planning", "方案制定", 20, 20),
    ("issued", "方案出台", 40, 30),
    ("implementing", "推进实施", 60, 40),
    ("nearly-done", "基本完成", 90, 50),
    ("done", "已完成", 100, 60),
]
PARAMETERS = [
    ("reforms.yellow_within_working_days", 5, "改革任务：距节点或完成时限不足N个工作日亮黄灯", 0, 60),
    ("reforms.report_grace_working_days", 5, "改革任务：报送周期结束后N个工作日内须报送进展，逾期未报亮黄灯", 0, 30),
    ("reforms.report_every_months", 1, "改革任务：默认报送周期（月）", 1, 12),
    ("reforms.letter_repeat_working_days", 20, "改革任务：红灯持续每满N个工作日再发一次督办函", 1, 250),
]
RULE = {
    "code": "reform-repeated-red",
    "name": "改革任务多次亮红灯约谈",
    "kind": "repeated_red",
    "action": "talk",
    "subjects": ["unit"],
    "months": 3,
    "threshold": 2,
    "bottom_n": 0,
    "min_ratings": 0,
    "description": "同一改革任务或交办事项3个月内2次收到督办函（亮红灯），对牵头单位提出约谈建议（改革任务模块评估）",
}
METRIC = {
    "code": "reform_on_time",
    "name": "改革任务按时完成率",
    "kind": "ratio",
    "params": {"numerator": {"reform_on_time": 1}, "denominator": {"reform_due": 1}},
    "is_active": False,
    "source": "issue 16 item 10：完成时限在统计期内的改革任务、交办事项中，在时限内提交验收的比例",
    "caption": "完成时限在统计期内的改革任务中，按时提交验收的比例",
    "order": 90,
}


def load(apps, schema_editor):
    Area = apps.get_model("reforms", "Area")
    for code, name, order in AREAS:
        Area.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    TaskStatus = apps.get_model("reforms", "TaskStatus")
    for code, name, progress, order in STATUSES:
        TaskStatus.objects.get_or_create(code=code, defaults={"name": name, "progress": progress, "order": order})
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description, lo, hi in PARAMETERS:
        RuleParameter.objects.get_or_create(
            key=key, defaults={"value": value, "description": description, "min_value": lo, "max_value": hi}
        )
    apps.get_model("accountability", "Rule").objects.get_or_create(code=RULE["code"], defaults=RULE)
    apps.get_model("dashboard", "MetricDefinition").objects.get_or_create(code=METRIC["code"], defaults=METRIC)


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[p[0] for p in PARAMETERS]).delete()
    apps.get_model("accountability", "Rule").objects.filter(code=RULE["code"], proposals__isnull=True).delete()
    apps.get_model("dashboard", "MetricDefinition").objects.filter(code=METRIC["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0001_initial"),
        ("core", "0001_initial"),
        ("accountability", "0007_repeated_red_rule_kind"),
        ("dashboard", "0006_timely_acceptance"),
    ]
    operations = [migrations.RunPython(load, unload)]
