"""Default metric definitions and ranking classes (domain/rules.md §4, §8.6). A city edits them in the admin."""

from django.db import migrations

ALL_FOLLOWED = {"res_resolved": 1, "res_partly": 1, "res_unresolved": 1}
ALL_RATED = {"sat_satisfied": 1, "sat_basic": 1, "sat_unsatisfied": 1}

DEFINITIONS = [
    (
        "on_time",
        "按期办结率",
        "ratio",
        {"numerator": {"on_time": 1}, "denominator": {"due": 1}},
        "§8.6 按期办结率 = 期限内办结件 / 应办结件（已答复件 + 超期一个工作日仍未办结件）",
        10,
    ),
    (
        "response",
        "响应率",
        "ratio",
        {"numerator": {"contact_in_time": 1}, "denominator": {"contact_due": 1}},
        "§8.6 山东“2115”：2小时内联系或到场件 / 派单件",
        20,
    ),
    (
        "answer",
        "答复率",
        "ratio",
        {"numerator": {"opinion_in_time": 1}, "denominator": {"opinion_due": 1}},
        "§8.6 山东“2115”：1个工作日内提出处理意见件 / 派单件",
        30,
    ),
    (
        "resolution",
        "解决率",
        "ratio",
        {"numerator": {"res_resolved": 1, "res_partly": 0.5}, "denominator": ALL_FOLLOWED},
        "§8.6 问题解决率 = 回访已解决件 / 回访有效件；部分解决计 0.5；无法联系不计入",
        40,
    ),
    (
        "satisfaction",
        "满意率",
        "ratio",
        {"numerator": {"sat_satisfied": 1, "sat_basic": 1}, "denominator": ALL_RATED},
        "§8.6 满意率 = (满意 + 基本满意) / 有效评价",
        50,
    ),
    (
        "satisfaction_strict",
        "满意率（严格口径）",
        "ratio",
        {"numerator": {"sat_satisfied": 1}, "denominator": ALL_RATED},
        "§8.6 另一口径：只计“满意” / 有效评价",
        55,
    ),
    (
        "return_rate",
        "退单率",
        "ratio",
        {"numerator": {"returned": 1}, "denominator": {"dispatched": 1}},
        "§4 榆林月度考核：回退率 = 退单过的件 / 派单件",
        60,
    ),
    (
        "reopen_rate",
        "重办率",
        "ratio",
        {"numerator": {"reopened": 1}, "denominator": {"followed": 1}},
        "§4 榆林月度考核：重办率 = 重办过的件 / 回访件",
        70,
    ),
    (
        "poor_callback",
        "差评回访率",
        "ratio",
        {"numerator": {"rect_contacted": 1}, "denominator": {"rect_cases": 1}},
        "§8.3 实名差评回访率：已联系评价人的差评整改件 / 差评整改件",
        80,
    ),
    (
        "composite",
        "综合得分",
        "composite",
        {"weights": {"response": 30, "resolution": 35, "satisfaction": 35}, "missing": "renormalize"},
        "§4 准格尔旗：响应率30% + 解决率35% + 满意率35%（北京权重未公开）",
        90,
    ),
]

CLASSES = [
    ("county", "县区", "county", ["government", "zone"], "county", 10, 10),
    ("city_department", "市直部门", "city", ["department", "stationed"], "unit", 5, 20),
    ("county_department", "县直部门", "county", ["department"], "unit", 5, 30),
    ("township", "乡镇街道", "township", ["township"], "unit", 3, 40),
]


def load(apps, schema_editor):
    MetricDefinition = apps.get_model("dashboard", "MetricDefinition")
    RankingClass = apps.get_model("dashboard", "RankingClass")
    for code, name, kind, params, source, order in DEFINITIONS:
        MetricDefinition.objects.update_or_create(
            code=code, defaults=dict(name=name, kind=kind, params=params, source=source, order=order)
        )
    composite = MetricDefinition.objects.get(code="composite")
    for code, name, level, kinds, group_by, min_cases, order in CLASSES:
        RankingClass.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                level=level,
                kinds=kinds,
                group_by=group_by,
                metric=composite,
                min_cases=min_cases,
                window_months=3,
                list_length=3,
                order=order,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
