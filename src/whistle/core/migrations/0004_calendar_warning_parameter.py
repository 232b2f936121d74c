"""Rule parameters get a valid range (issue 14, item 20: the admin accepted -3), and a new one says from which
month the admin and the coordinators' pages warn that next year's holidays are not entered (item 10)."""
from django.db import migrations, models

KEY = "calendar.warn_next_year_from_month"
# key: (minimum, maximum); None = unbounded. Counts that must happen at least once start at 1.
RANGES = {
    "auth.lockout_threshold": (1, 100),
    "auth.lockout_minutes": (1, 10080),
    "auth.token_days": (0, 3650),
    "escalation.returns_to_city": (1, 20),
    "escalation.county_to_city_after_supervision_wd": (1, 60),
    "escalation.city_limit_wd": (1, 60),
    "escalation.green_channel_after_supervision_wd": (1, 60),
    KEY: (1, 12),
}


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    RuleParameter.objects.get_or_create(key=KEY, defaults={
        "value": 12, "description": "从每年几月起提醒录入下一年的节假日和调休（下一年尚未发布或未录入时）"})
    for key, (low, high) in RANGES.items():
        RuleParameter.objects.filter(key=key).update(min_value=low, max_value=high)


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_worker_jobs_and_heartbeats")]
    operations = [
        migrations.AddField(
            model_name="ruleparameter", name="min_value",
            field=models.DecimalField("最小值", max_digits=12, decimal_places=4, null=True, blank=True, default=0)),
        migrations.AddField(
            model_name="ruleparameter", name="max_value",
            field=models.DecimalField("最大值", max_digits=12, decimal_places=4, null=True, blank=True)),
        migrations.RunPython(load, unload),
    ]
