"""The raters' update trigger on a large UPDATE that moves no rater: `phones.erase_expired()` (the worker's
`rater_phone_erasure`) over N expired phones, with the trigger function as migration ratings 0015 made it (`EXISTS`)
and as 0016 makes it (a count), alternating. Each run is one transaction rolled back at the end, so every run starts
from the same rows:

    BEGIN; triggers off; every expired phone marked erased, then N of them marked pending again; triggers on;
    the function variant; erase_expired() (timed); ROLLBACK

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/raters_trigger_bench.py \
        --sizes 5000,10000,20000 --rounds 2

DB: a copy of a ratings bench database (bench/province_run.sh's templates: 1,000,000 or 3,000,000 ratings). One JSON
line per run: variant, N, seconds, rows erased.
"""

import argparse
import datetime as dt
import importlib
import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.core.rules import int_param  # noqa: E402
from whistle.ratings import phones  # noqa: E402

trigger = importlib.import_module("whistle.ratings.migrations.0016_rating_raters_update_linear")
VARIANTS = {"exists (0015)": trigger.EXISTING, "count (0016)": trigger.COUNTED}


class Rollback(Exception):
    pass


def run(variant: str, size: int) -> dict:
    now = timezone.now()
    before = now - dt.timedelta(days=int_param("ratings.phone_retention_days"))
    result = {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE ratings_rating DISABLE TRIGGER USER")
            cursor.execute(
                "UPDATE ratings_rating SET phone_erased_at = %s WHERE created_at < %s AND phone_erased_at IS NULL",
                [now, before],
            )
            cursor.execute(
                "UPDATE ratings_rating SET phone_erased_at = NULL, rater_phone_masked = '138****0000' "
                "WHERE (id, created_at) IN (SELECT id, created_at FROM ratings_rating WHERE created_at < %s "
                "ORDER BY created_at DESC LIMIT %s)",
                [before, size],
            )
            cursor.execute("ALTER TABLE ratings_rating ENABLE TRIGGER USER")
            cursor.execute(VARIANTS[variant])
            started = time.perf_counter()
            erased = phones.erase_expired(now)["erased"]
            result = {"variant": variant, "n": size, "s": round(time.perf_counter() - started, 3), "erased": erased}
            raise Rollback
    except Rollback:
        pass
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for round_ in range(args.rounds):
        for size in map(int, args.sizes.split(",")):
            order = list(VARIANTS) if round_ % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                print(json.dumps({"round": round_ + 1, **run(variant, size), "load": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
