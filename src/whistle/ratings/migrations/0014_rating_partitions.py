"""Issue 21, item 2: ratings carry the rated unit's city, and on PostgreSQL `ratings_rating` is partitioned by month
on `created_at` (docs/architecture.md, "Partitioning and distribution").

A unique index on a partitioned table must hold the partition column, which none of the ratings' unique rules can:
一事一评 (`rating_one_per_case_number`), the import's `rating_one_per_external_id`, one rating per rectification
case and one re-rating per poor rating. They move to `ratings_ratingkey` (kind, value) — unpartitioned, its primary
key the rule — kept by statement triggers on the ratings table with transition tables: set-based, in the statement
that writes the ratings (the public form's single statement, the import's COPY, the ORM), adding no statement. The
old unique indexes stay as plain per-partition indexes for look-ups. The foreign keys pointing at a rating (appeal,
contact read, call-back) lose their database constraint: the ORM's PROTECT keeps them, and ratings are never
deleted. SQLite keeps its one table and its unique indexes; the key table stays empty there."""
from django.db import migrations, models

from whistle.core import partitions

TABLE, COLUMN = "ratings_rating", "created_at"
# kind code → column, as RatingKey.KINDS
KEYS = (("c", "case_number"), ("e", "external_id"), ("r", "rectification_id::text"), ("o", "rerate_of_id::text"))
VALUES = ", ".join(f"('{kind}', {{0}}.{column})" for kind, column in KEYS)


def _keys_of(alias: str) -> str:
    return (f"SELECT k.kind, k.value, {alias}.id FROM {{rows}} {alias} CROSS JOIN LATERAL (VALUES "
            f"{VALUES.format(alias)}) AS k(kind, value) WHERE k.value <> ''").replace("{rows}", "{0}")


TRIGGERS = f"""
CREATE OR REPLACE FUNCTION whistle_rating_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ratings_ratingkey (kind, value, rating_id) {_keys_of("n").format("new_rows")};
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION whistle_rating_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ratings_ratingkey d USING ({_keys_of("o").format("old_rows")} EXCEPT
        {_keys_of("n").format("new_rows")}) AS gone(kind, value, id)
        WHERE d.kind = gone.kind AND d.value = gone.value AND d.rating_id = gone.id;
    INSERT INTO ratings_ratingkey (kind, value, rating_id) {_keys_of("n").format("new_rows")} EXCEPT
        {_keys_of("o").format("old_rows")};
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION whistle_rating_keys_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ratings_ratingkey d USING old_rows o WHERE d.rating_id = o.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER rating_keys_insert AFTER INSERT ON ratings_rating REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION whistle_rating_keys_insert();
CREATE TRIGGER rating_keys_update AFTER UPDATE ON ratings_rating REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION whistle_rating_keys_update();
CREATE TRIGGER rating_keys_delete AFTER DELETE ON ratings_rating REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION whistle_rating_keys_delete();
"""
DROP = """
DROP FUNCTION IF EXISTS whistle_rating_keys_insert() CASCADE;
DROP FUNCTION IF EXISTS whistle_rating_keys_update() CASCADE;
DROP FUNCTION IF EXISTS whistle_rating_keys_delete() CASCADE;
"""


def _unique_names(schema_editor, unique: bool) -> tuple[str, ...]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT x.indisprimary AND x.indisunique = %s AND (c.relname = ANY(%s) OR c.relname LIKE %s OR c.relname LIKE %s)",
            [TABLE, unique, ["rating_one_per_case_number", "rating_one_per_external_id"],
             "ratings\\_rating\\_rectification\\_id%", "ratings\\_rating\\_rerate\\_of\\_id%"],
        )
        return tuple(name for (name,) in cursor.fetchall())


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(
            f"UPDATE {TABLE} SET city_id = (SELECT u.city_id FROM org_unit u WHERE u.id = {TABLE}.unit_id)"
        )
        return
    schema_editor.execute('ALTER TABLE ratings_ratingkey ALTER COLUMN value TYPE varchar(64) COLLATE "C"')
    partitions.convert(
        schema_editor, TABLE, COLUMN,
        fill={"city_id": "(SELECT u.city_id FROM org_unit u WHERE u.id = o.unit_id)"},
        plain_unique=_unique_names(schema_editor, True),
    )
    schema_editor.execute(f"INSERT INTO ratings_ratingkey (kind, value, rating_id) {_keys_of('n').format(TABLE)}")
    schema_editor.execute(TRIGGERS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)
    partitions.revert(schema_editor, TABLE, COLUMN, plain_unique=_unique_names(schema_editor, False))
    schema_editor.execute("TRUNCATE ratings_ratingkey")


class Migration(migrations.Migration):
    dependencies = [("ratings", "0013_callback_phone"), ("org", "0009_province_and_cities")]

    operations = [
        migrations.AlterField(
            model_name="appeal", name="rating",
            field=models.OneToOneField(db_constraint=False, on_delete=models.deletion.PROTECT, related_name="appeal",
                                       to="ratings.rating", verbose_name="评价"),
        ),
        migrations.AlterField(
            model_name="contactread", name="rating",
            field=models.ForeignKey(db_constraint=False, on_delete=models.deletion.PROTECT, related_name="+",
                                    to="ratings.rating", verbose_name="评价"),
        ),
        migrations.AlterField(
            model_name="callback", name="rating",
            field=models.ForeignKey(db_constraint=False, on_delete=models.deletion.PROTECT, related_name="callbacks",
                                    to="ratings.rating", verbose_name="评价"),
        ),
        migrations.AddField(
            model_name="rating", name="city",
            field=models.ForeignKey(blank=True, null=True, db_constraint=False, db_index=False, editable=False,
                                    on_delete=models.deletion.PROTECT, related_name="+", to="org.unit",
                                    verbose_name="被评单位所属市"),
        ),
        migrations.CreateModel(
            name="RatingKey",
            fields=[
                ("pk", models.CompositePrimaryKey("kind", "value", blank=True, editable=False, primary_key=True,
                                                  serialize=False)),
                ("kind", models.CharField(max_length=1)),
                ("value", models.CharField(max_length=64)),
                ("rating_id", models.BigIntegerField()),
            ],
            options={"verbose_name": "评价唯一键", "verbose_name_plural": "评价唯一键"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
