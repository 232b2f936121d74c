"""及时签收率 (issue 14 item 12; rules.md §4 榆林 及时接收率, §8.6): the facts it counts and its definition.

A case is due for signing once its unit signed for it or its return window (退单时限, the time a unit has to sign
for or return a dispatched case) has passed; it is signed in time when signed before that window closed. Existing
rollup rows lack the new columns' counts: they are marked stale so the worker's next refresh recomputes them.
"""

import datetime as dt

from django.db import migrations, models

CODE = "accept"


def load(apps, schema_editor):
    apps.get_model("dashboard", "CaseMonthFact").objects.update(
        stale_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    )
    apps.get_model("dashboard", "MetricDefinition").objects.get_or_create(
        code=CODE,
        defaults=dict(
            name="及时签收率",
            kind="ratio",
            params={"numerator": {"accept_in_time": 1}, "denominator": {"accept_due": 1}},
            source="§4 榆林月度考核“及时接收率”、§8.6：退单时限内签收件 / 应签收件（已签收或已过时限件）",
            caption="在规定时限内签收的派单件占应签收件的比例",
            order=15,
        ),
    )


def unload(apps, schema_editor):
    apps.get_model("dashboard", "MetricDefinition").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0005_withdrawn_fact")]
    operations = [
        migrations.AddField(model_name="casemonthfact", name="accept_due", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="casemonthfact", name="accept_in_time", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="casemonthfact", name="accept_pending", field=models.IntegerField(default=0)),
        migrations.RunPython(load, unload),
    ]
