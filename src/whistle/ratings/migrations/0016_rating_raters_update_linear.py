"""The raters' update trigger (0015) asked `EXISTS (old_rows JOIN new_rows … WHERE a rater column changed)`. Asked for
one row, the planner joins the two transition tables by a nested loop, expecting a changed row at once; an UPDATE that
changes no rater column (the usual one: a phone erased, a rectification linked) has none, so the loop compared every
old row with every new one: the worker's phone erasure over 65,233 expired ratings took 657 s in the trigger
(docs/benchmarks.md, "Again with the worker's changes in"). Counting the changed rows plans the join whole (a hash
join): linear in the rows updated, and as cheap for the public form's one row. The rest of the function is 0015's,
built from 0015's own parts (a migration's text is history: importing it ties this one to nothing that changes)."""
import importlib

from django.db import migrations

_0015 = importlib.import_module("whistle.ratings.migrations.0015_rating_raters")
_JOINED = f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {_0015.MOVED}"


def _update_function(check: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION whistle_rating_raters_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {check} THEN
        RETURN NULL;  -- the usual update (a rectification linked, a phone erased): no rater moves
    END IF;
    {_0015.RECOMPUTE.format(_0015._raters_of("o", _0015.CHANGED.format("o")))};
    {_0015.UPSERT.format(_0015._raters_of("n", _0015.CHANGED.format("n")))};
    RETURN NULL;
END
$$;
"""


COUNTED = _update_function(f"(SELECT count(*) {_JOINED}) = 0")
EXISTING = _update_function(f"NOT EXISTS (SELECT 1 {_JOINED})")  # 0015's


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COUNTED)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EXISTING)


class Migration(migrations.Migration):
    dependencies = [("ratings", "0015_rating_raters")]

    operations = [migrations.RunPython(forwards, backwards)]
