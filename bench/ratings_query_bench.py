"""Read figures on the loaded ratings database: each read ROUNDS times in-process, p50/p95 in ms, against the plain
GROUP BY over the raw ratings table answering the same question in the same run.

  unit ranking   selectors.ratings_by_unit(city leader, one month)   vs GROUP BY unit over that month's ratings
  monthly ranking selectors.monthly_ranking(city office, one month)  vs GROUP BY cadre/window over that month
  cadre summary  GET /r/<code>/ (the card page, Django test client)   vs GROUP BY level over the cadre's ratings
                 selectors.rating_summary(cadre)
  overview       selectors.ratings_overview(city leader, the year)    vs GROUP BY level over the year

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ratings .venv/bin/python bench/ratings_query_bench.py --rounds 50
"""

import argparse
import datetime as dt
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from whistle.org.models import Membership, Role, Unit  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402
from whistle.ratings.models import Cadre  # noqa: E402
from whistle.ratings.selectors import monthly_ranking, rating_summary, ratings_by_unit, ratings_overview  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def _actor(role, unit):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=f"bench_ratings_{role}")
    Membership.objects.get_or_create(user=user, defaults={"role": role, "unit": unit, "display_name": user.username})
    return Actor.of(user)


def timed(fn, rounds):
    fn()  # warm
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2)}


def raw(sql, params=()):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--month", default="2026-06")
    args = parser.parse_args()
    month = dt.datetime.strptime(args.month, "%Y-%m").date()
    city = Unit.objects.get(parent__isnull=True)
    leader, office = (
        _actor(Role.LEADER, city),
        _actor(Role.COORDINATOR, Unit.objects.filter(parent=city, kind="coordination_office").first()),
    )
    cadre = Cadre.objects.get(card_code="bench-c-00000")  # the busiest cadre of the generator's skew
    start = f"{month:%Y-%m}-01 00:00:00+08"
    end = f"{month.year + month.month // 12}-{month.month % 12 + 1:02d}-01 00:00:00+08"
    client = Client()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ratings_rating")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM ratings_rating WHERE cadre_id = %s", [cadre.pk])
        cadre_count = cursor.fetchone()[0]
    results = {
        "ratings": total,
        "cadre_ratings": cadre_count,
        "month": args.month,
        "rounds": args.rounds,
        "figures": {
            "unit ranking (rollups)": timed(lambda: ratings_by_unit(leader, month, month), args.rounds),
            "unit ranking (GROUP BY raw)": timed(
                raw(
                    "SELECT unit_id, count(*), count(*) FILTER (WHERE level >= 3), count(*) FILTER (WHERE level <= 2) FROM ratings_rating "
                    "WHERE counted AND created_at >= %s AND created_at < %s GROUP BY unit_id",
                    [start, end],
                ),
                args.rounds,
            ),
            "monthly ranking (rollups)": timed(lambda: monthly_ranking(office, month), args.rounds),
            "monthly ranking (GROUP BY raw)": timed(
                raw(
                    "SELECT cadre_id, window_id, level, count(*) FROM ratings_rating WHERE counted AND created_at >= %s AND created_at < %s "
                    "GROUP BY cadre_id, window_id, level",
                    [start, end],
                ),
                args.rounds,
            ),
            "cadre summary (rollups)": timed(lambda: rating_summary(cadre), args.rounds),
            "cadre card page GET /r/<code>/": timed(lambda: client.get(f"/r/{cadre.card_code}/"), args.rounds),
            "cadre summary (GROUP BY raw)": timed(
                raw(
                    "SELECT level, count(*) FROM ratings_rating WHERE counted AND cadre_id = %s GROUP BY level",
                    [cadre.pk],
                ),
                args.rounds,
            ),
            "year overview (rollups)": timed(
                lambda: ratings_overview(leader, dt.date(2026, 1, 1), dt.date(2026, 12, 31)), args.rounds
            ),
            "year overview (GROUP BY raw)": timed(
                raw(
                    "SELECT level, count(*) FROM ratings_rating WHERE counted AND created_at >= '2026-01-01 00:00+08' "
                    "AND created_at < '2027-01-01 00:00+08' GROUP BY level"
                ),
                max(3, args.rounds // 10),
            ),
        },
    }
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
