"""Rates and rankings at 1,000,000 cases: from the monthly rollup vs the plain aggregate over the raw case rows.

    createdb bench_metrics; WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_metrics whistle migrate
    WHISTLE_DATABASE_URL=... whistle seed --cases 1000000
    WHISTLE_DATABASE_URL=... .venv/bin/python bench/dashboard_rankings.py [--reps 30] [--raw-reps 5]

Builds the rollup once (`rollup.rebuild`, timed), checks it against the raw rows (`rollup.verify`, timed), then
times each figure in the same run, in-process (ORM and queries, no HTTP): the rates of the latest full month by
county, by unit and for the whole city, and each ranking class, as a city leader and as a county leader, first
from the rollup and then over the raw rows. Prints one JSON object: p50/p95 in ms per figure and source.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.cases.models import Case  # noqa: E402
from whistle.core.months import add_months, month_of  # noqa: E402
from whistle.dashboard import case_rollup, metrics, rankings  # noqa: E402
from whistle.dashboard.models import CaseMonthFact  # noqa: E402
from whistle.org.models import Level, Membership, Role, Unit, UnitKind  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def timed(run, reps: int) -> dict:
    run()  # warm the caches the way a second visitor finds them
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(percentile(samples, 95), 2), "reps": reps}


def leader(unit: Unit) -> Actor:
    return Actor(user=object(), membership=Membership(role=Role.LEADER, unit=unit))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--raw-reps", type=int, default=5)
    parser.add_argument("--skip-verify", action="store_true")
    args = parser.parse_args()

    out = {"vendor": connection.vendor, "cases": Case.objects.count()}
    t = time.perf_counter()
    out["rebuild"] = case_rollup.rebuild()
    out["rebuild_s"] = round(time.perf_counter() - t, 1)
    out["rollup_rows"] = CaseMonthFact.objects.count()
    if not args.skip_verify:
        t = time.perf_counter()
        problems = case_rollup.verify()
        out["verify_s"], out["verify_differences"] = round(time.perf_counter() - t, 1), len(problems)
    t = time.perf_counter()
    out["refresh_current_month"] = case_rollup.refresh()
    out["refresh_s"] = round(time.perf_counter() - t, 2)

    month = add_months(month_of(timezone.now()), -1)
    out["month"] = f"{month:%Y-%m}"
    out["month_cases"] = metrics.rates(Actor.system(), month, month, None)[0]["cases"]
    city = Unit.objects.get(parent__isnull=True)
    county = Unit.objects.filter(level=Level.COUNTY, kind=UnitKind.GOVERNMENT, parent=city).order_by("code").first()
    actors = {"city_leader": leader(city), "county_leader": leader(county)}
    figures = {}
    for who, actor in actors.items():
        for group in ("county", "unit", None):
            name = f"rates[{group or 'scope'}] {who}"
            figures[name] = {
                src: timed(
                    lambda: metrics.rates(actor, month, month, group, source=src),
                    args.reps if src == "rollup" else args.raw_reps,
                )
                for src in ("rollup", "raw")
            }
        for rc in rankings.classes():
            name = f"ranking[{rc.code}] {who}"
            figures[name] = {
                src: timed(
                    lambda: rankings.ranking(actor, rc.code, month, source=src),
                    args.reps if src == "rollup" else args.raw_reps,
                )
                for src in ("rollup", "raw")
            }
    for name, f in figures.items():
        f["speedup_p50"] = round(f["raw"]["p50_ms"] / max(f["rollup"]["p50_ms"], 0.01), 1)
    out["figures"] = figures
    same = all(
        rankings.ranking(actors["city_leader"], rc.code, month)
        == rankings.ranking(actors["city_leader"], rc.code, month, source="raw")
        for rc in rankings.classes()
    )
    out["rankings_rollup_equal_raw"] = same
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
