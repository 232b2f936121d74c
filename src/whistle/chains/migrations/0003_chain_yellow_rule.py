"""The chains' own warning rule: a project's yellow light comes `chains.yellow_within_working_days` working days before
its stage's deadline. Until now the chains read the reform tasks' rule (`reforms.yellow_within_working_days`); the new
parameter starts at that rule's value in this database (5 if it is missing), so no light changes when it arrives, and
from then on the city sets the two apart."""

from django.db import migrations

KEY = "chains.yellow_within_working_days"
REFORMS_KEY = "reforms.yellow_within_working_days"
DEFAULT = 5


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    reforms = RuleParameter.objects.filter(key=REFORMS_KEY).first()
    RuleParameter.objects.get_or_create(
        key=KEY,
        defaults={
            "value": reforms.value if reforms else DEFAULT,
            "description": "招商与技改项目：距本阶段时限不足N个工作日亮黄灯并发提醒",
            "min_value": 0,
            "max_value": 60,
        },
    )


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [("chains", "0002_defaults"), ("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
