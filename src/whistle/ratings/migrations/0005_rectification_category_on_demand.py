"""The 差评整改 category is now made at the first poor rating (see services._rectification_category):
every active category is offered publicly, so an unused one should not exist."""
from django.db import migrations


def drop_unused(apps, schema_editor):
    apps.get_model("cases", "Category").objects.filter(code="rating-rectification", cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("ratings", "0004_rating_review")]
    operations = [migrations.RunPython(drop_unused, migrations.RunPython.noop)]
