"""Server time of the leader's cockpit (`GET /dashboard`) at 1,000,000 cases and the ratings loaded, cold and
warm, vs the plain aggregates over the raw rows in the same run.

    createdb -h 127.0.0.1 -U postgres bench_cockpit
    export WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cockpit
    whistle migrate && whistle seed --cases 1000000
    python bench/ratings_prepare.py && python bench/ratings_generate.py 11000000 bench/out/ratings/ratings-11m.csv
    whistle ratings import bench/out/ratings/ratings-11m.csv
    python bench/dashboard_cockpit.py [--reps 40] [--cold-reps 20] [--raw-reps 3] [--markdown docs/benchmarks.md]

Each request goes through Django's test client in-process (URL resolution, session, middleware, the view, the
template): that is the server time a request costs, without the network. Figures, each p50/p95 in ms:
- `cold`: the stored cockpit pages emptied before every request: the request computes the page from the rollups
  itself (what a scope no worker has warmed, or the first request after a refresh, pays);
- `warm`: the worker job has stored the scope's page (`cockpit.warm`, as after every rollup refresh): the request
  reads it and adds the per-person patronage block;
- `raw`: the same figures as plain aggregates over the case and rating rows (the month's counts and rates by
  county and by unit, its states, the 12-month trend, the open cases now by county, the ratings of the month) —
  the baseline the rollups replace.
As a city leader and as a county leader (on a province database, `whistle seed --province`, also as the province's
leader, and `--city CODE` names the city: default the first city government by code). Before timing, the metrics rollup is brought up to date
(`rollup.refresh`, timed), the hot-topic words of the month's first `--topics` cases of each scope are tokenised
as the worker job does, and the warm job runs once (timed: its cost per worker run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.db.models.functions import TruncMonth  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]

from whistle.cases.models import Case  # noqa: E402
from whistle.core.months import add_months, month_bounds, month_of  # noqa: E402
from whistle.dashboard import case_rollup, cockpit, topics  # noqa: E402
from whistle.org.models import Level, Membership, Role, Unit, UnitKind  # noqa: E402
from whistle.ratings.models import Rating  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def timed(run, reps: int, before=None) -> dict:
    samples = []
    for _ in range(reps):
        if before:
            before()
        t = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(percentile(samples, 95), 1), "reps": reps}


def leader_user(unit: Unit):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=f"bench-leader-{unit.code}")
    Membership.objects.get_or_create(user=user, defaults={"role": Role.LEADER, "unit": unit, "display_name": "bench"})
    return user


def raw_figures(unit: Unit | None, now) -> None:
    """The cockpit's figures straight from the rows: what the page would cost without the rollups."""
    month = month_of(now)
    start, end = month_bounds(month)
    first = month_bounds(add_months(month, -11))[0]
    scope = Case.objects.order_by()
    if unit is not None:
        scope = scope.filter(Q(county__path__startswith=unit.path) | Q(lead_unit__path__startswith=unit.path))
    in_month = scope.filter(submitted_at__gte=start, submitted_at__lt=end)
    facts = case_rollup.aggregates(now)
    in_month.aggregate(**facts)
    list(in_month.values("county_id").annotate(**facts))
    list(in_month.values("lead_unit_id").annotate(**facts))
    list(
        scope.filter(submitted_at__gte=first, submitted_at__lt=end)
        .annotate(m=TruncMonth("submitted_at"))
        .values("m")
        .annotate(n=Count("pk"), closed=Count("pk", filter=Q(is_open=False)))
    )
    list(in_month.values("state").annotate(n=Count("pk")))
    list(
        scope.filter(is_open=True)
        .values("county_id")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(next_due_at__lt=now)),
            supervised=Count("pk", filter=Q(supervision_count__gt=0)),
            escalated=Count("pk", filter=~Q(level="county")),
        )
    )
    ratings = Rating.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    if unit is not None:
        ratings = ratings.filter(unit__path__startswith=unit.path)
    ratings.aggregate(n=Count("pk"), poor=Count("pk", filter=Q(level__lte=2)))
    list(ratings.values("unit_id").annotate(n=Count("pk")))


def estimate(table: str) -> int:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            found = int(cur.fetchone()[0])
            if found >= 0:  # -1: never analysed
                return found
        cur.execute(f"SELECT count(*) FROM {table}")
        return int(cur.fetchone()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--cold-reps", type=int, default=20)
    parser.add_argument("--raw-reps", type=int, default=3)
    parser.add_argument(
        "--topics", type=int, default=2000, help="case texts of the month tokenised per scope before timing"
    )
    parser.add_argument("--markdown", help="append the figures as a section to this file")
    parser.add_argument("--city", help="on a province database: the city government read as the city leader's scope")
    args = parser.parse_args()

    now = timezone.now()
    out = {
        "vendor": connection.vendor,
        "database": connection.settings_dict["NAME"],
        "cases": Case.objects.count(),
        "ratings_estimate": estimate("ratings_rating"),
        "uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }
    out["month_cases"] = Case.objects.filter(submitted_at__gte=month_bounds(month_of(now))[0]).count()
    t = time.perf_counter()
    out["rollup_refresh"] = case_rollup.refresh(now)
    out["rollup_refresh_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    tokenised = 0
    month = month_of(now)
    for (
        actor
    ) in topics.active_scopes():  # what the worker job does for this month (the first --topics cases of each scope)
        tokenised += topics.refresh(actor, month, args.topics)["docs"]
    out["topics_tokenised"], out["topics_s"] = tokenised, round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    out["warm_job"] = cockpit.warm(timezone.now())
    out["warm_job_s"] = round(time.perf_counter() - t, 2)

    root = Unit.objects.get(parent__isnull=True)
    if root.level == Level.PROVINCE:  # a province (whistle seed --province): its leader, a city's, a county's
        city = Unit.objects.get(code=args.city) if args.city else root
        scopes = [("province_leader", root)]
    else:
        city, scopes = root, []
    if city.level == Level.PROVINCE:
        city = Unit.objects.filter(parent=root, level=Level.CITY, kind=UnitKind.GOVERNMENT).order_by("code").first()
    county = Unit.objects.filter(level=Level.COUNTY, kind=UnitKind.GOVERNMENT, parent=city).order_by("code").first()
    scopes += [("city_leader", city), ("county_leader", county)]
    figures = {}
    for name, unit in scopes:
        client = Client()
        client.force_login(leader_user(unit))

        def get(client=client):
            response = client.get("/dashboard")
            assert response.status_code == 200, response.status_code

        get()  # first request: templates compiled
        figures[name] = {"cold": timed(get, args.cold_reps, before=cockpit.store().clear)}
        cockpit.warm(timezone.now())  # what the worker does after each refresh
        figures[name].update(
            {
                "warm": timed(get, args.reps),
                "raw": timed(lambda unit=unit: raw_figures(None if unit is root else unit, now), args.raw_reps),
            }
        )
        figures[name]["cold_vs_raw"] = round(figures[name]["raw"]["p50_ms"] / figures[name]["cold"]["p50_ms"], 1)
    out["figures"] = figures
    out["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    out["machine"] = f"{platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as f:
            f.write(markdown(out))


def markdown(out: dict) -> str:
    rows = []
    for who, f in out["figures"].items():
        for kind, label in (
            ("warm", "cockpit, page stored by the worker's warm job"),
            ("cold", "cockpit, stored pages emptied before each request"),
            ("raw", "plain aggregates over the raw rows"),
        ):
            rows.append(f"| {who} | {label} | {f[kind]['p50_ms']} | {f[kind]['p95_ms']} | {f[kind]['reps']} |")
    return "\n".join(
        [
            "",
            f"## The leader's cockpit: server time of `GET /dashboard` ({timezone.localtime():%Y-%m-%d %H:%M})",
            "",
            f"`{out['database']}` on {out['vendor']}: {out['cases']:,} cases ({out['month_cases']:,} this month), "
            f"about {out['ratings_estimate']:,} ratings. Django test client in-process (no network). {out['machine']}.",
            f"Load: before `{out['uptime_before']}`, after `{out['uptime_after']}` (2 cores shared with other engineers' runs).",
            "",
            "| scope | what | p50 ms | p95 ms | reps |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            f"Rollup refresh before the run: {out['rollup_refresh_s']} s. Hot-topic words tokenised as the worker job does: "
            f"{out['topics_tokenised']:,} case texts in {out['topics_s']} s (once per case and scope, then incremental). "
            f"Warm job (every worker run): {out['warm_job']['cockpit_scopes_warmed']} scopes in {out['warm_job_s']} s.",
            "Command: `WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cockpit .venv/bin/python bench/dashboard_cockpit.py "
            "--markdown docs/benchmarks.md`",
            "",
        ]
    )


if __name__ == "__main__":
    main()
