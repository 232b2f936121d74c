"""Rectification cases opened before ratings stopped putting the rater's masked phone in the case's contact name
(`评价人139****0001`) get the neutral name every new one has (`评价人`). The contact name is not part of any case
event, so the audit chain is untouched; the masked phone stays on the rating, read only through rater_contact."""
from django.db import migrations

NEUTRAL = "评价人"


def neutral_contact_names(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(channel="rating", contact_name__startswith=NEUTRAL).exclude(contact_name=NEUTRAL).update(
        contact_name=NEUTRAL)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0007_drop_redundant_indexes"),
        ("ratings", "0009_import_shape"),
    ]

    operations = [migrations.RunPython(neutral_contact_names, migrations.RunPython.noop)]
