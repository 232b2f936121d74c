"""Withdrawn cases are not closed cases (issue 14, item 4).

A case withdrawn by its requester (or a rectification ended by a voided rating) closes without a reply; the
rollup counted it among the closed (已办结) and the cockpit showed it so. `closed` now counts cases closed with a
reply and `withdrawn` the others. Existing rows were counted the old way: they are marked stale, so the worker's
next refresh recomputes every month.
"""

import datetime as dt

from django.db import migrations, models


def recount(apps, schema_editor):
    apps.get_model("dashboard", "CaseMonthFact").objects.update(
        stale_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0004_captions_and_stationed_class")]
    operations = [
        migrations.AddField(model_name="casemonthfact", name="withdrawn", field=models.IntegerField(default=0)),
        migrations.RunPython(recount, recount),
    ]
