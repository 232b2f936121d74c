"""The ratings bench database: the Heze organisation, and CADRES cadres and WINDOWS windows spread over the handling
units, with deterministic card codes (bench-c-00000…, bench-w-00000…) that ratings_generate.py writes into its CSV.
Idempotent. Also lifts the live rate limits for the HTTP run (every wrk client comes from 127.0.0.1): per device, per
network, per network on one card, and the burst threshold.

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ratings .venv/bin/python bench/ratings_prepare.py

On a province database (`whistle seed --province`) the units are every city's, so the cards spread over the sixteen
cities; `--cadres N --windows N` make more of them (bench/province_run.sh: 16 × the defaults, as many as Heze's per
city), and ratings_generate.py takes the same two numbers.
"""

import argparse
import importlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from whistle.core import rules  # noqa: E402
from whistle.core.models import RuleParameter  # noqa: E402
from whistle.org.models import Unit, UnitKind  # noqa: E402
from whistle.ratings.models import Cadre, Window  # noqa: E402
from whistle.seed.heze import is_loaded, load_heze  # noqa: E402

CADRES, WINDOWS = 3000, 600


def card_codes(cadres=CADRES, windows=WINDOWS) -> list[str]:
    return [f"bench-c-{i:05d}" for i in range(cadres)] + [f"bench-w-{i:05d}" for i in range(windows)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true", help="lift the per-device, per-network and burst limits")
    parser.add_argument(
        "--http-spread",
        action="store_true",
        help="the raters' own limits as the migrations set them (the load comes from many networks), the burst "
        "threshold lifted; ANALYZE the ratings",
    )
    parser.add_argument("--cadres", type=int, default=CADRES)
    parser.add_argument("--windows", type=int, default=WINDOWS)
    args = parser.parse_args()
    if not Unit.objects.exists():
        load_heze(enterprises=10, seed=1)
    assert is_loaded(), "not the Heze demo organisation"
    units = list(Unit.objects.filter(is_active=True).exclude(kind=UnitKind.COORDINATION_OFFICE).order_by("path"))
    if not Cadre.objects.filter(card_code="bench-c-00000").exists():
        Cadre.objects.bulk_create(
            [
                Cadre(
                    name=f"干部{i:05d}",
                    post="科员",
                    unit=units[i % len(units)],
                    card_code=f"bench-c-{i:05d}",
                    supervision_phone="0530-1234567",
                )
                for i in range(args.cadres)
            ],
            batch_size=1000,
        )
        Window.objects.bulk_create(
            [
                Window(
                    name=f"窗口{i:05d}",
                    hall="政务服务中心",
                    unit=units[(i * 7) % len(units)],
                    card_code=f"bench-w-{i:05d}",
                    supervision_phone="0530-1234567",
                )
                for i in range(args.windows)
            ],
            batch_size=1000,
        )
    if args.http:
        # Every client comes from 127.0.0.1: the per-network limits (and the per-network-per-card one: 10 an hour, which
        # a few runs of thousands of ratings over 3,600 cards reach) would refuse the run. They are still counted.
        lifted = (
            "ratings.max_per_device_per_day",
            "ratings.max_per_network_per_hour",
            "ratings.max_per_network_per_card_per_hour",
            "ratings.burst_threshold",
        )
        RuleParameter.objects.filter(key__in=lifted).update(value=10**7)
        rules.clear_cache()
    if args.http_spread:
        # The load comes from many networks (bench/ratings_post.lua with SPREAD=1, through the header a trusted proxy
        # sets), so each rater's limits stay as a city has them. The burst threshold alone is lifted: a run puts more
        # ratings on each card in an hour than real raters do, and flagging them would change the mix from run to run.
        defaults = {}
        for migration in ("0002_defaults", "0011_rerate_of_and_rating_limits"):
            defaults.update(
                (key, value)
                for key, value, _ in importlib.import_module(f"whistle.ratings.migrations.{migration}").PARAMETERS
            )
        for key, value in defaults.items():
            RuleParameter.objects.filter(key=key).update(value=10**7 if key == "ratings.burst_threshold" else value)
        rules.clear_cache()
        # PostgreSQL analyses what autovacuum would have (this machine's server runs with autovacuum off).
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE ratings_rating, ratings_ratingrollup, ratings_ratingrater, ratings_ratingkey")
    print(f"{Unit.objects.count()} units, {Cadre.objects.count()} cadres, {Window.objects.count()} windows")


if __name__ == "__main__":
    main()
