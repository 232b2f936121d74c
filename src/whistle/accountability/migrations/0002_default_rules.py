"""Default accountability rules (rules.md §2 and §8.4). Heze's own thresholds are not published; these come from
the analogues there and are meant to be edited in the admin (问责规则)."""
from django.db import migrations

RULES = [
    {"code": "poor-rating-rectification", "name": "差评即整改", "kind": "poor_rating", "action": "rectification",
     "subjects": ["cadre", "window"], "months": 0, "threshold": 1, "bottom_n": 0, "min_ratings": 0,
     "description": "每条计入统计的“不满意”“非常不满意”在评价时即生成差评整改工单（好差评模块执行，此行仅作记录）"},
    {"code": "bottom-two-months", "name": "连续两个月排名末位约谈", "kind": "bottom_months", "action": "talk",
     "subjects": ["cadre", "window", "unit"], "months": 2, "threshold": 0, "bottom_n": 1, "min_ratings": 3,
     "description": "同类（同层级干部、同层级窗口、同层级同类型单位）满意率排名末位连续2个月，提出约谈建议"},
    {"code": "repeated-poor-adjust", "name": "多次差评调整", "kind": "repeated_poor", "action": "adjust",
     "subjects": ["cadre"], "months": 6, "threshold": 3, "bottom_n": 0, "min_ratings": 0,
     "description": "6个月内有效差评（计入统计且无待复核申诉）达3条，提出调整岗位建议"},
]


def load(apps, schema_editor):
    Rule = apps.get_model("accountability", "Rule")
    for row in RULES:
        Rule.objects.update_or_create(code=row["code"], defaults=row)


def unload(apps, schema_editor):
    apps.get_model("accountability", "Rule").objects.filter(code__in=[r["code"] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("accountability", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
