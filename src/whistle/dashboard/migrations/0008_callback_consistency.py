"""The metric 回访一致率 (rules.md §8.5): of the sampled cases the office's own call reached, the share whose answers
agreed with the requester's. Its facts come from the cases app (`metric_facts`); off until a city switches it on and
weighs it in a composite."""

from django.db import migrations

METRIC = {
    "code": "callback_consistency",
    "name": "回访一致率",
    "kind": "ratio",
    "params": {"numerator": {"callback_consistent": 1}, "denominator": {"callback_checked": 1}},
    "is_active": False,
    "source": "rules.md §8.5 回访抽查：抽查回访接通的已办结工单中，解决、满意情况与企业回访一致的比例（按办结月份）",
    "caption": "随机抽查回访接通的已办结工单中，解决、满意情况与企业自评一致的比例",
    "order": 95,
}


def load(apps, schema_editor):
    apps.get_model("dashboard", "MetricDefinition").objects.get_or_create(code=METRIC["code"], defaults=METRIC)


def unload(apps, schema_editor):
    apps.get_model("dashboard", "MetricDefinition").objects.filter(code=METRIC["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0007_case_rollup_module")]
    operations = [migrations.RunPython(load, unload)]
