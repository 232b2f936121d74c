"""The gap analysis' and the health view's rules: how many open 吹哨 cases of a node's local firms make the node weak
(a 补链/强链 direction), and over how many months a chain's firms' satisfaction is counted."""

from django.db import migrations

PARAMETERS = [
    ("chains.gap_open_cases", 3, "缺链分析：节点本地企业未办结诉求达到N件即列为薄弱节点", 1, 1000),
    ("chains.health_months", 12, "产业链健康度：统计企业诉求满意率的月数", 1, 60),
]


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description, lo, hi in PARAMETERS:
        RuleParameter.objects.get_or_create(
            key=key, defaults={"value": value, "description": description, "min_value": lo, "max_value": hi}
        )


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[p[0] for p in PARAMETERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("chains", "0005_kpi_defaults"), ("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
