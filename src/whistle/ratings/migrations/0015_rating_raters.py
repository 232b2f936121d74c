"""Issue 22 on the partitioned ratings: the burst rule's "seen before" (a device or phone with a counted live rating
older than the burst window) without a look-up through every month. `ratings_ratingrater` holds each device and phone
with a counted live rating and its earliest; statement triggers on the ratings table keep it in the statement that
writes the ratings (the public form's one statement, a review, a void, the ORM): a counted rating inserted or made
counted moves its rater's first moment back (when earlier); a rating that stops counting, changes its rater or is deleted
has its raters recomputed from the ratings (rare: a staff action). Filled here from the ratings already stored.
SQLite: the table stays empty, the rule reads the ratings (`services._seen_before`)."""
from django.db import migrations, models

# kind code → column, as RatingRater.KINDS; a live rating (external_id = '') that counts, its rater not blank.
RATERS = (("d", "device_hash"), ("p", "rater_phone_hash"))
LIVE = "{0}.counted AND {0}.external_id = ''"


def _raters_of(alias: str, rows: str) -> str:
    values = ", ".join(f"('{kind}', {alias}.{column})" for kind, column in RATERS)
    return (f"SELECT k.kind, k.value, {alias}.created_at FROM {rows} {alias} CROSS JOIN LATERAL (VALUES {values}) "
            f"AS k(kind, value) WHERE k.value <> '' AND {LIVE.format(alias)}")


def _first(column: str) -> str:
    # The partial indexes rating_device_live / rating_phone_live hold every live rater's ratings.
    extra = " AND r.external_id = ''" if column == "rater_phone_hash" else ""
    return (f"(SELECT min(r.created_at) FROM ratings_rating r WHERE r.{column} = t.value AND r.{column} <> ''{extra}"
            " AND r.counted AND r.external_id = '')")


UPSERT = ("INSERT INTO ratings_ratingrater (kind, value, first_counted_at) SELECT kind, value, min(created_at) FROM ({0}) "
          "AS s GROUP BY kind, value ON CONFLICT (kind, value) DO UPDATE SET first_counted_at = "
          "excluded.first_counted_at WHERE excluded.first_counted_at < ratings_ratingrater.first_counted_at")
# (A returning rater's later rating changes nothing: no new row version is written for it.)
# The raters of rows that stopped counting or changed (old side), recomputed from the ratings as they now stand.
RECOMPUTE = f"""
    WITH touched AS (SELECT DISTINCT kind, value FROM ({{0}}) AS s),
    fresh AS (SELECT t.kind, t.value, CASE t.kind WHEN 'd' THEN {_first("device_hash")}
                                                  ELSE {_first("rater_phone_hash")} END AS first FROM touched t),
    gone AS (DELETE FROM ratings_ratingrater d USING fresh f
             WHERE d.kind = f.kind AND d.value = f.value AND f.first IS NULL)
    INSERT INTO ratings_ratingrater (kind, value, first_counted_at) SELECT kind, value, first FROM fresh
    WHERE first IS NOT NULL ON CONFLICT (kind, value) DO UPDATE SET first_counted_at = excluded.first_counted_at"""
# An update's rows whose rater-relevant columns changed: their old raters are recomputed, their new ones added.
MOVED = ("(o.counted, o.external_id, o.device_hash, o.rater_phone_hash, o.created_at) IS DISTINCT FROM "
         "(n.counted, n.external_id, n.device_hash, n.rater_phone_hash, n.created_at)")
CHANGED = "(SELECT {0}.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE " + MOVED + ") AS"
TRIGGERS = f"""
CREATE OR REPLACE FUNCTION whistle_rating_raters_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {UPSERT.format(_raters_of("n", "new_rows"))};
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION whistle_rating_raters_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {MOVED}) THEN
        RETURN NULL;  -- the usual update (a rectification linked, a phone erased): no rater moves
    END IF;
    {RECOMPUTE.format(_raters_of("o", CHANGED.format("o")))};
    {UPSERT.format(_raters_of("n", CHANGED.format("n")))};
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION whistle_rating_raters_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {RECOMPUTE.format(_raters_of("o", "old_rows"))};
    RETURN NULL;
END
$$;
CREATE TRIGGER rating_raters_insert AFTER INSERT ON ratings_rating REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION whistle_rating_raters_insert();
CREATE TRIGGER rating_raters_update AFTER UPDATE ON ratings_rating REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION whistle_rating_raters_update();
CREATE TRIGGER rating_raters_delete AFTER DELETE ON ratings_rating REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION whistle_rating_raters_delete();
"""
DROP = """
DROP FUNCTION IF EXISTS whistle_rating_raters_insert() CASCADE;
DROP FUNCTION IF EXISTS whistle_rating_raters_update() CASCADE;
DROP FUNCTION IF EXISTS whistle_rating_raters_delete() CASCADE;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('ALTER TABLE ratings_ratingrater ALTER COLUMN value TYPE varchar(64) COLLATE "C"')
    schema_editor.execute(UPSERT.format(_raters_of("r", "ratings_rating")))
    schema_editor.execute(TRIGGERS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ratings", "0014_rating_partitions")]

    operations = [
        migrations.CreateModel(
            name="RatingRater",
            fields=[
                ("pk", models.CompositePrimaryKey("kind", "value", blank=True, editable=False, primary_key=True,
                                                  serialize=False)),
                ("kind", models.CharField(max_length=1)),
                ("value", models.CharField(max_length=64)),
                ("first_counted_at", models.DateTimeField()),
            ],
            options={"verbose_name": "评价人首次有效评价", "verbose_name_plural": "评价人首次有效评价"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
