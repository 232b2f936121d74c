"""Issue 17 figures: the leader's indicator page at 2,000 series × 120 periods (p95 server time, target < 200 ms) and
the warning sweep over them (target < 1 s).

    WHISTLE_DATABASE_URL=sqlite:////tmp/bench_indicators.sqlite3 .venv/bin/python bench/indicators_bench.py
    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_indicators .venv/bin/python bench/indicators_bench.py

Builds its own data on an empty database it migrates: 100 monthly cumulative indicators × 20 regions (the 16 cities
and 4 counties) = 2,000 series, 120 months each (240,000 approved figures), published through `derive.recompute`;
a growth target for the city on every indicator. Then in-process through Django's test client (full middleware,
session, templates) as a city leader, `-n` views of the page for random indicators; then the sweep, twice (the
second run finds every lapse taken). Baseline of the same run: the page without an indicator's detail (the catalogue
overview only) is printed beside it.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")
import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.core.months import add_months  # noqa: E402
from whistle.indicators import derive, warnings  # noqa: E402
from whistle.indicators.models import Figure, Indicator, Point, Region, Target, Warning, WarningRule  # noqa: E402
from whistle.org.models import Membership, Unit  # noqa: E402

INDICATORS, REGIONS, MONTHS = 100, 20, 120
CATEGORIES = ["economy"]  # --categories 4 spreads the indicators over the catalogue's four, as a real one is


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def build(rng):
    city = Unit.objects.create(code="bench-city", name="菏泽市人民政府", level="city", kind="government")
    dept = Unit.objects.create(code="bench-tjj", name="菏泽市统计局", level="city", kind="department", parent=city)
    user = get_user_model().objects.create_user("bench-leader", password="x")
    Membership.objects.create(user=user, role="leader", unit=city, display_name="领导")
    home = Region.objects.get(code="heze")
    home.unit = city
    home.save()
    counties = [
        Region.objects.create(code=f"bench-c{i}", name=f"县区{i}", peer_set="county", unit=city) for i in range(4)
    ]
    Indicator.objects.all().update(is_active=False)
    regions = list(Region.objects.filter(peer_set="province")) + counties
    inds = [
        Indicator.objects.create(
            code=f"bench_{i:03d}",
            name=f"指标{i:03d}",
            category=CATEGORIES[i % len(CATEGORIES)],
            measure="亿元",
            frequency="month",
            cumulative=True,
            aggregation="sum",
            rank_basis="growth",
            peer_sets=["province", "county"],
            reporting_unit=dept,
            lead_unit=dept,
            order=i,
        )  # fmt: skip
        for i in range(INDICATORS)
    ]
    last = add_months(timezone.localdate().replace(day=1), -1)
    first = add_months(last, -(MONTHS - 1))
    periods = [add_months(first, k) for k in range(MONTHS)]
    moment = timezone.now()
    figures = []
    for ind in inds:
        for region in regions[:REGIONS]:
            level = rng.uniform(50, 500)
            for p in periods:
                if p.month == 1:
                    level *= 1 + rng.gauss(6, 2) / 100
                figures.append(
                    Figure(
                        indicator=ind,
                        region=region,
                        period=p,
                        value=Decimal(str(round(level * p.month / 12, 4))),
                        state="approved",
                        origin="import",
                        reporter=dept,
                        entered_at=moment,
                        reviewed_at=moment,
                    )  # fmt: skip
                )
    started = time.perf_counter()
    Figure.objects.bulk_create(figures, batch_size=10000)
    Target.objects.bulk_create(
        [
            Target(indicator=ind, year=y, region=home, basis="growth", value=Decimal("7"))
            for ind in inds
            for y in range(first.year, last.year + 1)
        ]
    )
    years = list(range(first.year, last.year + 1))
    for ind in inds:
        derive.recompute(ind, years)
    print(f"built {len(figures)} figures, {Point.objects.count()} points in {time.perf_counter() - started:.1f} s")
    return user, inds


def main():
    global INDICATORS, REGIONS, MONTHS, CATEGORIES
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="measure again on a database this script built before")
    # Smaller data to check the script still works (the figures of docs/benchmarks.md are at the defaults).
    parser.add_argument("--indicators", type=int, default=INDICATORS)
    parser.add_argument("--regions", type=int, default=REGIONS)
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument("--categories", type=int, default=1, choices=[1, 2, 3, 4])
    args = parser.parse_args()
    INDICATORS, REGIONS, MONTHS = args.indicators, args.regions, args.months
    CATEGORIES = ["economy", "environment", "service", "whistle"][: args.categories]
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    if args.reuse and Indicator.objects.filter(code__startswith="bench_").exists():
        user = get_user_model().objects.get(username="bench-leader")
        inds = list(Indicator.objects.filter(code__startswith="bench_"))
        INDICATORS, MONTHS = (
            len(inds),
            len({p for p in Point.objects.filter(indicator=inds[0]).values_list("period", flat=True)}),
        )
        REGIONS = Point.objects.filter(indicator=inds[0]).values("region").distinct().count()
    elif Figure.objects.exists():
        raise SystemExit("the bench database is not empty: give it a fresh one (or --reuse one this script built)")
    else:
        user, inds = build(rng)
    # The default rules name the default catalogue's indicators; here every rule covers every indicator, so the
    # sweep reads all 2,000 series (the province and county sets).
    WarningRule.objects.filter(
        code__in=["econ-below-target", "econ-rank-drop", "econ-projection", "county-decline"]
    ).update(indicators=[])
    Warning.objects.all().delete()
    client = Client()
    client.force_login(user)
    for path in ("/indicators/?indicator=bench_000",):
        assert client.get(path).status_code == 200
    detail, overview = [], []
    for _ in range(args.n):
        code = rng.choice(inds).code
        t = time.perf_counter()
        response = client.get(f"/indicators/?indicator={code}")
        detail.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    for _ in range(max(args.n // 4, 10)):
        t = time.perf_counter()
        client.get("/indicators/report?month=" + add_months(timezone.localdate().replace(day=1), -1).strftime("%Y-%m"))
        overview.append((time.perf_counter() - t) * 1000)
    print(
        f"leader page ({INDICATORS * REGIONS} series × {MONTHS} periods): p50 {statistics.median(detail):.0f} ms, "
        f"p95 {pct(detail, 95):.0f} ms over {len(detail)} views"
    )
    print(f"monthly 通报 (every indicator, for comparison): p50 {statistics.median(overview):.0f} ms")
    for run in ("first", "rerun"):
        t = time.perf_counter()
        result = warnings.sweep(timezone.now() + dt.timedelta(seconds=1))
        print(f"warning sweep ({run}): {(time.perf_counter() - t) * 1000:.0f} ms, {result}")
    print(f"letters: {Warning.objects.count()}")


if __name__ == "__main__":
    main()
