from django.db import migrations

DEFAULTS = [
    ("patronage.behind_plan_tolerance_pct", 10, "项目形象进度低于计划进度多少个百分点视为滞后（节点逾期未完成也视为滞后）"),
]


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description in DEFAULTS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("patronage", "0001_initial"), ("core", "0002_default_rules")]
    operations = [migrations.RunPython(load, unload)]
