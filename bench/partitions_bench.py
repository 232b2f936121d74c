"""Partitioned vs unpartitioned ratings (issue 21 item 2), in one run on one database: N ratings spread over 24
months (with external ids, so the key table is as full as the import leaves it), then

  rating POST   services.rating_submit (the public form's write: one statement, key-table trigger included)
  month query   a month's ranking: count and mean level by unit over one month's ratings
  by id         Rating.objects.get(pk=…) (a look-up without the partition column): a recent rating, and one of
                the first months

each ROUNDS times, median and p95 in ms; measured on the partitioned table (ratings 0014), again after 0014's
database step backwards (one table with the same columns, its unique indexes, no key table), and again forwards
(the migration's rebuild both ways on N rows, timed).

    createdb -h 127.0.0.1 -U postgres bench_partition
    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_partition .venv/bin/python bench/partitions_bench.py --rows 2000000
"""

import argparse
import importlib
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.core import partitions  # noqa: E402
from whistle.ratings.models import Cadre, Rating  # noqa: E402
from whistle.ratings.services import rating_submit  # noqa: E402
from whistle.seed.heze import is_loaded, load_heze  # noqa: E402

MIGRATION = importlib.import_module("whistle.ratings.migrations.0014_rating_partitions")
try:  # the raters' triggers (ratings 0015); a checkout before it (run as the baseline with its src) has none
    RATERS = importlib.import_module("whistle.ratings.migrations.0015_rating_raters")
except ImportError:
    RATERS = None


def rebuild(direction):
    """ratings 0014's database step alone, either way: the same columns, one table (its unique indexes, no key-table
    triggers) or the partitioned one (the key table and its triggers) — with 0015's triggers (the raters' first
    counted moments) taken off before and put back after, as the migrations leave the table."""
    started = time.perf_counter()
    with connection.schema_editor() as editor:
        if RATERS:
            RATERS.backwards(None, editor)
        getattr(MIGRATION, direction)(None, editor)
        if RATERS:
            RATERS.forwards(None, editor)
    return time.perf_counter() - started


def timed(fn, rounds):
    fn(-1)
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50": round(statistics.median(samples), 3), "p95": round(samples[int(len(samples) * 0.95) - 1], 3)}


def load(rows, cadres):
    months = 24
    now = timezone.now()
    first = partitions.add_months(partitions.month_of(now), -months + 1)
    partitions.create_ahead(0, since=first)
    ids = [c.pk for c in cadres]
    units = [c.unit_id for c in cadres]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ratings_rating (cadre_id, unit_id, level, tags, comment, case_number, external_id, "
            "rater_phone_hash, rater_phone_masked, channel, created_at) "
            "SELECT (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s], 1 + g %% 5, '[]', '', '', 'X' || g, '', '', "
            "'web', %s::timestamptz + (g::float / %s) * (%s::timestamptz - %s::timestamptz) "
            "FROM generate_series(1, %s) g",
            [
                ids,
                len(ids),
                units,
                len(units),
                partitions.month_start(first),
                rows,
                now,
                partitions.month_start(first),
                rows,
            ],
        )
        cursor.execute("ANALYZE ratings_rating")


def measure(label, cadres, rounds, seq):
    month = partitions.add_months(partitions.month_of(timezone.now()), -6)
    start, end = partitions.month_start(month), partitions.month_start(partitions.add_months(month, 1))

    def post(i):
        seq[0] += 1
        rating_submit(
            cadres[seq[0] % len(cadres)],
            level=4,
            comment="办事快",
            case_number=f"B{seq[0]}",
            device=f"bench{seq[0]}",
            ip=f"10.{seq[0] // 256 % 256}.{seq[0] % 256}.1",
        )  # one network each

    def month_query(i):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT unit_id, count(*), avg(level) FROM ratings_rating WHERE created_at >= %s AND created_at < %s "
                "GROUP BY unit_id",
                [start, end],
            )
            cursor.fetchall()

    top = Rating.objects.order_by("-pk").values_list("pk", flat=True).first()

    def by_id(i):
        Rating.objects.get(pk=top - 1000 - (i % 1000))

    first = Rating.objects.order_by("pk").values_list("pk", flat=True).first()

    def by_id_old(i):  # a rating of the first months
        Rating.objects.get(pk=first + (i % 1000))

    return {
        "schema": label,
        "post": timed(post, rounds),
        "month_query": timed(month_query, rounds // 5),
        "by_id": timed(by_id, rounds),
        "by_id_old": timed(by_id_old, rounds),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not is_loaded():
        load_heze(enterprises=10)
    units = list(__import__("whistle.org.models", fromlist=["Unit"]).Unit.objects.order_by("pk")[:40])
    cadres = [
        Cadre.objects.create(name=f"干部{i}", post="科员", unit=u, supervision_phone="0530-3212345")
        for i, u in enumerate(units)
    ]
    started = time.perf_counter()
    load(args.rows, cadres)
    results = {"rows": args.rows, "load_s": round(time.perf_counter() - started, 1), "runs": []}
    seq = [0]
    results["runs"].append(measure("partitioned", cadres, args.rounds, seq))
    results["to_unpartitioned_s"] = round(rebuild("backwards"), 1)
    results["runs"].append(measure("unpartitioned", cadres, args.rounds, seq))
    results["to_partitioned_s"] = round(rebuild("forwards"), 1)
    results["runs"].append(measure("partitioned again", cadres, args.rounds, seq))
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
