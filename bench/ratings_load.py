"""Fill a bench database with the generated ratings fast, for the read figures (not the import figure): COPY the
CSV into a bare table, then one INSERT … SELECT into ratings_rating with its secondary indexes dropped and rebuilt
after, FK triggers off (session_replication_role = replica: superuser, bench only), then `rating_rollup.rebuild()`.
Times each step. The import command's own speed is measured by ratings_run.sh import.

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ratings .venv/bin/python bench/ratings_load.py FILE.csv

It refuses a database that has ratings already; `--keep-existing` adds the file beside them (a seeded demo's, as on
a province database) and refuses only one that holds generated ratings (external ids hz-…).
"""

import os
import sys
import time
import zoneinfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from whistle.core import partitions  # noqa: E402
from whistle.ratings import rating_rollup  # noqa: E402

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")  # the CSV's times are Beijing's (AT TIME ZONE below)

BARE = "bare_ratings"


def step(name, sql, cursor):
    started = time.monotonic()
    cursor.execute(sql)
    print(f"{name}: {time.monotonic() - started:.1f} s", flush=True)


def main(path, keep_existing=False):
    with connection.cursor() as cursor:
        if keep_existing:  # e.g. the demo's own ratings (whistle seed, --province): add beside them, once
            cursor.execute("SELECT count(*) FROM ratings_rating WHERE external_id LIKE 'hz-%%'")
        else:
            cursor.execute("SELECT count(*) FROM ratings_rating")
        if cursor.fetchone()[0]:
            sys.exit("ratings_rating is not empty" + (" of generated ratings" if keep_existing else ""))
        step(
            "create bare",
            f"DROP TABLE IF EXISTS {BARE}; CREATE TABLE {BARE} (external_id text, target text, level int, "
            "rated_at timestamp, channel text, tags text, comment text, case_number text, phone text)",
            cursor,
        )
        started = time.monotonic()
        with open(path, "rb") as f, cursor.cursor.copy(f"COPY {BARE} FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        print(f"COPY into the bare table: {time.monotonic() - started:.1f} s", flush=True)
        # The months the ratings fall in get their own partitions first, as a deployment's have (the worker makes
        # them ahead; `whistle seed` makes the past 13): otherwise they would all land in the default partition.
        cursor.execute(f"SELECT min(rated_at) FROM {BARE}")
        first = cursor.fetchone()[0]
        if first is not None:
            months = partitions.create_ahead(0, since=partitions.month_of(first.replace(tzinfo=SHANGHAI)))
            print(f"partitions created: {len(months)}", flush=True)
        cursor.execute("""SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = 'ratings_rating' AND NOT EXISTS (
              SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)""")
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
        step(
            "INSERT … SELECT into ratings_rating",
            f"""
            INSERT INTO ratings_rating (cadre_id, window_id, unit_id, level, tags, comment, case_number, external_id,
                rater_phone_hash, rater_phone_masked, channel, created_at, device_hash, network_hash, counted, status, review_reason)
            SELECT c.id, w.id, COALESCE(c.unit_id, w.unit_id), b.level,
                   CASE WHEN b.tags IS NULL THEN '[]'::jsonb ELSE to_jsonb(string_to_array(b.tags, ';')) END,
                   COALESCE(b.comment, ''), COALESCE(b.case_number, ''), b.external_id,
                   CASE WHEN b.phone IS NULL THEN '' ELSE encode(sha256(convert_to(b.phone, 'UTF8')), 'hex') END,
                   CASE WHEN b.phone IS NULL THEN '' ELSE left(b.phone, 3) || '****' || right(b.phone, 4) END,
                   b.channel, b.rated_at AT TIME ZONE 'Asia/Shanghai', '', '', true, 'counted', ''
            FROM {BARE} b LEFT JOIN ratings_cadre c ON c.card_code = b.target LEFT JOIN ratings_window w ON w.card_code = b.target""",
            cursor,
        )
        cursor.execute("SET session_replication_role = origin")
        for name, definition in indexes:
            # pg_indexes gives a partitioned table's index as `ON ONLY` (the parent alone, left invalid): built here
            # on every partition, as the migrations made it.
            step(f"CREATE {name}", definition.replace(" ON ONLY ", " ON ", 1), cursor)
        step("ANALYZE", "ANALYZE ratings_rating", cursor)
    started = time.monotonic()
    print(f"rating_rollup.rebuild(): {rating_rollup.rebuild()} rows, {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], keep_existing="--keep-existing" in sys.argv[2:])
