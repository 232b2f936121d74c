"""On PostgreSQL, case events are append-only in the database too: a trigger refuses UPDATE and DELETE on
cases_caseevent (docs/operations.md, "工单记录只增不改"). TRUNCATE is not refused (it fires no row trigger): tests
empty tables with it, and an operator who truncates the table has the backups to answer for it.

SQLite has no such trigger here: a pilot on SQLite relies on `whistle audit verify` alone."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION whistle_case_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case events are append-only: % on cases_caseevent refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'see docs/operations.md, 工单记录只增不改';
END
$$;
CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION whistle_case_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS case_event_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS whistle_case_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_keyed_chain_and_checkpoints")]

    operations = [migrations.RunPython(forwards, backwards)]
