"""A handler's inbox (`selectors.inbox`: the unit's open cases, nearest deadline first), first page of 20, in-process.

    WHISTLE_DATABASE_URL=... .venv/bin/python bench/inbox_bench.py [--reps 3000] [--explain]

Every unit that leads open cases is read in turn, in a shuffled order, as a handler of that unit would read it.
Prints one JSON object: p50/p95/p99 of the selector (ORM and query together) and the sizes of the inboxes read.
With --explain, also EXPLAIN (ANALYZE, BUFFERS) of the inbox query and of the API list query filtered to the unit's
open cases, for the busiest unit and a median one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from whistle.cases import selectors  # noqa: E402
from whistle.cases.models import Case  # noqa: E402
from whistle.org.models import Membership, Role, Unit  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402

PAGE = 20
OPEN_WITH_LEAD = ["dispatched", "accepted", "contacted", "in_progress", "replied", "reopened"]


def handler(unit: Unit) -> Actor:
    return Actor(user=object(), membership=Membership(role=Role.HANDLER, unit=unit))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def explain(run) -> str:
    """EXPLAIN each statement that `run()` sends, exactly as the ORM sent it."""
    sent = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        run()
    out = []
    for sql, params in sent:
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
        out.append(f"{sql % tuple(repr(p) for p in params)}\n{plan}")
    return "\n\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3000)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    sizes = dict(
        Case.objects.filter(is_open=True, lead_unit__isnull=False).values_list("lead_unit").annotate(n=Count("pk"))
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in=sizes)}
    order = sorted(units, key=lambda pk: -sizes[pk])
    rng = random.Random(1)
    plan = [order[i % len(order)] for i in range(args.reps)]
    rng.shuffle(plan)
    for pk in order[:5]:  # warm the connection and the plan cache, as a running server would be
        list(selectors.inbox(handler(units[pk]))[:PAGE])
    timings = []
    for pk in plan:
        actor = handler(units[pk])
        started = time.perf_counter()
        rows = list(selectors.inbox(actor)[:PAGE])
        timings.append(time.perf_counter() - started)
        assert len(rows) == min(PAGE, sizes[pk])
    ms = lambda s: round(s * 1000, 2)  # noqa: E731
    counts = sorted(sizes.values())
    report = {
        "vendor": connection.vendor,
        "cases": Case.objects.count(),
        "open_cases": Case.objects.filter(is_open=True).count(),
        "units_read": len(order),
        "reps": len(timings),
        "inbox_size": {"min": counts[0], "median": counts[len(counts) // 2], "max": counts[-1]},
        "p50_ms": ms(percentile(timings, 50)),
        "p95_ms": ms(percentile(timings, 95)),
        "p99_ms": ms(percentile(timings, 99)),
        "max_ms": ms(max(timings)),
        "mean_ms": ms(statistics.fmean(timings)),
        "busiest_unit": {"code": units[order[0]].code, "name": units[order[0]].name, "open": sizes[order[0]]},
    }
    print(json.dumps(report, ensure_ascii=False))
    if args.explain:
        for label, pk in (("busiest", order[0]), ("median", order[len(order) // 2])):
            unit = units[pk]
            print(f"\n-- inbox of the {label} unit, {unit.code} ({sizes[pk]} open cases): selectors.inbox, first page")
            print(explain(lambda: list(selectors.inbox(handler(unit))[:PAGE])))
            listed = selectors.case_list(handler(unit), unit=pk, state=",".join(OPEN_WITH_LEAD))
            print(
                f"\n-- GET /api/v1/cases?unit={unit.code}&state=… for a handler of it: case_list, first page and count"
            )
            print(explain(lambda: (list(listed[:PAGE]), listed.count())))


if __name__ == "__main__":
    main()
