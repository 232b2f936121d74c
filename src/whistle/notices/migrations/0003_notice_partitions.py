"""Issue 21, item 2: outbox rows carry their case's city and submission time, and on PostgreSQL `notices_notice` is
partitioned by month on the case's submission time, as the case events are (cases 0016): the primary key becomes
(id, case_submitted_at), the unique (case, seq) gets the partition column (the same rule: a case has one submission
time), and `Delivery.notice` loses its database foreign key (none can point at a partitioned table's id alone)."""
from django.db import migrations, models

from whistle.core import partitions

TABLE, COLUMN = "notices_notice", "case_submitted_at"
FROM_CASE = "(SELECT c.{0} FROM cases_case c WHERE c.id = o.case_id)"
UNIQUE = ("notice_one_per_event",)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        for column, source in ((COLUMN, "submitted_at"), ("city_id", "city_id")):
            schema_editor.execute(f"UPDATE {TABLE} SET {column} = {FROM_CASE.format(source).replace('o.', TABLE + '.')}")
        return
    fill = {COLUMN: FROM_CASE.format("submitted_at"), "city_id": FROM_CASE.format("city_id")}
    partitions.convert(schema_editor, TABLE, COLUMN, fill=fill, extend_unique=UNIQUE)


def backwards(apps, schema_editor):
    partitions.revert(schema_editor, TABLE, COLUMN, extend_unique=UNIQUE)


class Migration(migrations.Migration):
    dependencies = [("notices", "0002_defaults"), ("cases", "0016_case_event_partitions")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="notice",
            field=models.ForeignKey(
                blank=True, null=True, db_constraint=False, on_delete=models.deletion.CASCADE,
                related_name="deliveries", to="notices.notice",
            ),
        ),
        migrations.AddField(model_name="notice", name="case_submitted_at", field=models.DateTimeField(null=True)),
        migrations.AddField(
            model_name="notice",
            name="city",
            field=models.ForeignKey(
                blank=True, null=True, db_constraint=False, db_index=False,
                on_delete=models.deletion.DO_NOTHING, related_name="+", to="org.unit",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(model_name="notice", name="case_submitted_at", field=models.DateTimeField()),
        # Backwards the table is one again before the column may be NULL (it is in the partitioned primary key).
        migrations.RunPython(migrations.RunPython.noop, backwards),
    ]
