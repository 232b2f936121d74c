"""Default conditions (适用条件) of the 不罚/轻罚 lists and the rule parameters the module reads.

Conditions follow the wording of the lists (rules.md §7): 《行政处罚法》 art. 33 (违法行为轻微并及时改正，没有造成
危害后果的，不予行政处罚；初次违法且危害后果轻微并及时改正的，可以不予行政处罚), and the lists' typical
"自行改正或者在行政机关责令改正的期限内改正". Each is data: a city adds its own phrasing in the admin."""

from django.db import migrations

CONDITIONS = [
    # code, label, method, question, phrases, order
    ("first_offence", "首次违法", "history", "", "首次\n初次\n首违\n第一次", 1),
    ("minor", "违法行为轻微", "answer", "违法行为是否轻微？", "轻微", 2),
    ("no_harm", "没有造成危害后果", "answer", "是否没有造成危害后果（或危害后果轻微）？",
     "没有造成危害后果\n未造成危害后果\n危害后果轻微\n未造成社会危害\n没有造成社会危害", 3),
    ("corrected_promptly", "及时改正", "answer", "是否已当场或及时改正？", "及时改正\n及时纠正\n当场改正\n主动改正\n自行改正", 4),
    ("corrected_in_period", "在责令改正期限内改正", "follow_up", "", "责令改正的期限内改正\n限期内改正\n期限内改正\n限期改正\n责令改正期限内", 5),
    ("mitigated", "主动消除或者减轻危害后果", "answer", "是否主动消除或者减轻了危害后果？", "主动消除\n减轻危害后果", 6),
]
PARAMETERS = [
    ("leniency.correction_days", 10, "不罚轻罚：责令改正的默认期限（工作日，清单事项未规定时）"),
    ("leniency.first_offence_lookback_months", 24, "不罚轻罚：认定“首次违法”时回溯的月数"),
    ("leniency.repeat_departments_min", 2, "不罚轻罚：同一企业当月被几个部门检查即列为多头检查"),
    ("leniency.review_min_matches", 5, "不罚轻罚动态评估：全年被建议适用至少多少次才评估偏离率"),
    ("leniency.review_deviation_pct", 30, "不罚轻罚动态评估：偏离建议的比例达到多少（%）即标记"),
]


def load(apps, schema_editor):
    Condition = apps.get_model("leniency", "Condition")
    for code, label, method, question, phrases, order in CONDITIONS:
        Condition.objects.get_or_create(
            code=code, defaults=dict(label=label, method=method, question=question, phrases=phrases, order=order)
        )
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description in PARAMETERS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in PARAMETERS]).delete()
    apps.get_model("leniency", "Condition").objects.filter(code__in=[c[0] for c in CONDITIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("leniency", "0001_initial"), ("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
