"""满意率's definition as data (rules.md §8.6), and the rollups of the ratings already stored."""
from django.db import migrations

PARAMETER = ("ratings.satisfied_min_level", 3,
             "满意率计入的最低评价等级：3=非常满意+满意+基本满意（默认），4=非常满意+满意")


def load(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.get_or_create(
        key=PARAMETER[0], defaults={"value": PARAMETER[1], "description": PARAMETER[2]})
    from whistle.ratings import rating_rollup

    if apps.get_model("ratings", "Rating").objects.exists():
        rating_rollup.rebuild()


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key=PARAMETER[0]).delete()


class Migration(migrations.Migration):
    dependencies = [("ratings", "0006_scale")]
    operations = [migrations.RunPython(load, unload)]
