"""The 调整 rule's default becomes 5 upheld poor ratings within 6 months (was 3): rules.md gives no N or M (§2: Heze's
thresholds were not found), only "repeats" (反复被差评) leading to reassignment, the gravest of the actions. Three poor
ratings can come from one bad day or one aggrieved party, and the 约谈 rule already answers a bad stretch after two
months; five in six months is close to one a month for half a year — a pattern, not an episode. The reasoning is in
docs/guide/accountability.md. A rule already edited in the admin keeps its own numbers: only the old default moves."""
from django.db import migrations

CODE = "repeated-poor-adjust"
OLD = {"months": 6, "threshold": 3, "description": "6个月内有效差评（计入统计且无待复核申诉）达3条，提出调整岗位建议"}
NEW = {"months": 6, "threshold": 5, "description": "6个月内有效差评（计入统计且无待复核申诉）达5条，提出调整岗位建议"}


def _move(apps, before: dict, after: dict) -> None:
    rule = apps.get_model("accountability", "Rule").objects.filter(
        code=CODE, months=before["months"], threshold=before["threshold"]).first()
    if rule is None:  # edited in the admin (or removed): the deployment's own numbers stand
        return
    rule.months, rule.threshold = after["months"], after["threshold"]
    if rule.description == before["description"]:
        rule.description = after["description"]
    rule.save(update_fields=["months", "threshold", "description"])


def forwards(apps, schema_editor):
    _move(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _move(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("accountability", "0003_rule_evaluation_interval")]
    operations = [migrations.RunPython(forwards, backwards)]
