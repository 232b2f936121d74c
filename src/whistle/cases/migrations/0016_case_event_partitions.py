"""Issue 21, item 2: case events carry their case's city and submission time, and on PostgreSQL the table is
partitioned by month on the case's submission time (docs/architecture.md, "Partitioning and distribution").

The rebuild (`core.partitions.convert`) copies the rows into the partitioned table, filling the two new columns from
the cases, swaps the names, makes the primary key (id, case_submitted_at) and the unique (case, seq) into
(case, seq, case_submitted_at) — the same rule, since a case has one submission time — and resets the id sequence.
The append-only trigger (0009) went with the old table and is put back on the new one. SQLite: the columns are
filled in place and the table stays as it is."""
from django.db import migrations, models

from whistle.core import partitions

TABLE, COLUMN = "cases_caseevent", "case_submitted_at"
FROM_CASE = "(SELECT c.{0} FROM cases_case c WHERE c.id = o.case_id)"
UNIQUE = ("case_event_seq_unique",)
TRIGGER = """CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION whistle_case_event_append_only()"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(
            f"UPDATE {TABLE} SET case_submitted_at = {FROM_CASE.format('submitted_at').replace('o.', TABLE + '.')}, "
            f"city_id = {FROM_CASE.format('city_id').replace('o.', TABLE + '.')}"
        )
        return
    fill = {COLUMN: FROM_CASE.format("submitted_at"), "city_id": FROM_CASE.format("city_id")}
    partitions.convert(schema_editor, TABLE, COLUMN, fill=fill, extend_unique=UNIQUE)
    schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        partitions.revert(schema_editor, TABLE, COLUMN, extend_unique=UNIQUE)
        schema_editor.execute(TRIGGER)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("cases", "0015_sla_profile_city"), ("org", "0009_province_and_cities")]

    operations = [
        migrations.AddField(
            model_name="caseevent", name="case_submitted_at", field=models.DateTimeField(null=True)
        ),
        migrations.AddField(
            model_name="caseevent",
            name="city",
            field=models.ForeignKey(
                blank=True, null=True, db_constraint=False, db_index=False,
                on_delete=models.deletion.PROTECT, related_name="+", to="org.unit",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(model_name="caseevent", name="case_submitted_at", field=models.DateTimeField()),
        # Backwards the table is one again before the column may be NULL (it is in the partitioned primary key).
        migrations.RunPython(migrations.RunPython.noop, backwards),
    ]
