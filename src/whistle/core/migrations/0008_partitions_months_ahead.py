"""Issue 21, item 2: how many months ahead the worker keeps partitions of the tables that grow (PostgreSQL)."""
from django.db import migrations

KEY = "core.partitions_months_ahead"


def load(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.get_or_create(key=KEY, defaults={
        "value": 3, "min_value": 1, "max_value": 24,
        "description": "分区表（工单记录、评价、待发通知）提前建好未来几个月的分区"})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0007_rule_overrides")]
    operations = [migrations.RunPython(load, unload)]
