"""The raters' update trigger (0015) asked `EXISTS (old_rows JOIN new_rows … WHERE a rater column changed)`. Asked for
one row, the planner joins the two transition tables by a nested loop, expecting a changed row at once; an UPDATE that
changes no rater column (the usual one: a phone erased, a rectification linked) has none, so the loop compared every
old row with every new one. `whistle`'s phone erasure over 65,233 expired ratings took 657 s in the trigger, 22,000
took 76 s (docs/benchmarks.md, "Province … worker"). Counting the changed rows plans the join whole (a hash join):
linear in the rows updated, and as cheap for the public form's one row. The rest of the function is 0015's."""
from django.db import migrations

RATERS = (("d", "device_hash"), ("p", "rater_phone_hash"))
LIVE = "{0}.counted AND {0}.external_id = ''"


def _raters_of(alias: str, rows: str) -> str:
    values = ", ".join(f"('{kind}', {alias}.{column})" for kind, column in RATERS)
    return (f"SELECT k.kind, k.value, {alias}.created_at FROM {rows} {alias} CROSS JOIN LATERAL (VALUES {values}) "
            f"AS k(kind, value) WHERE k.value <> '' AND {LIVE.format(alias)}")


def _first(column: str) -> str:
    extra = " AND r.external_id = ''" if column == "rater_phone_hash" else ""
    return (f"(SELECT min(r.created_at) FROM ratings_rating r WHERE r.{column} = t.value AND r.{column} <> ''{extra}"
            " AND r.counted AND r.external_id = '')")


UPSERT = ("INSERT INTO ratings_ratingrater (kind, value, first_counted_at) SELECT kind, value, min(created_at) FROM ({0}) "
          "AS s GROUP BY kind, value ON CONFLICT (kind, value) DO UPDATE SET first_counted_at = "
          "excluded.first_counted_at WHERE excluded.first_counted_at < ratings_ratingrater.first_counted_at")
RECOMPUTE = f"""
    WITH touched AS (SELECT DISTINCT kind, value FROM ({{0}}) AS s),
    fresh AS (SELECT t.kind, t.value, CASE t.kind WHEN 'd' THEN {_first("device_hash")}
                                                  ELSE {_first("rater_phone_hash")} END AS first FROM touched t),
    gone AS (DELETE FROM ratings_ratingrater d USING fresh f
             WHERE d.kind = f.kind AND d.value = f.value AND f.first IS NULL)
    INSERT INTO ratings_ratingrater (kind, value, first_counted_at) SELECT kind, value, first FROM fresh
    WHERE first IS NOT NULL ON CONFLICT (kind, value) DO UPDATE SET first_counted_at = excluded.first_counted_at"""
MOVED = ("(o.counted, o.external_id, o.device_hash, o.rater_phone_hash, o.created_at) IS DISTINCT FROM "
         "(n.counted, n.external_id, n.device_hash, n.rater_phone_hash, n.created_at)")
CHANGED = "(SELECT {0}.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE " + MOVED + ") AS"


def _update_function(check: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION whistle_rating_raters_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {check} THEN
        RETURN NULL;  -- the usual update (a rectification linked, a phone erased): no rater moves
    END IF;
    {RECOMPUTE.format(_raters_of("o", CHANGED.format("o")))};
    {UPSERT.format(_raters_of("n", CHANGED.format("n")))};
    RETURN NULL;
END
$$;
"""


COUNTED = _update_function(f"(SELECT count(*) FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {MOVED}) = 0")
EXISTING = _update_function(f"NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {MOVED})")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COUNTED)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EXISTING)


class Migration(migrations.Migration):
    dependencies = [("ratings", "0015_rating_raters")]

    operations = [migrations.RunPython(forwards, backwards)]
