"""Server time of the case page and the desk at the size of the database it runs on (issue 3: < 100 ms at 1M cases).

    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_whistle_big .venv/bin/python bench/case_page_bench.py [-n 300]

In-process through Django's test client (the full middleware stack, session auth, template rendering): the time a
request spends in the server, without the network or a load generator. Each read signs in as the handler of a unit
that leads open cases and opens one of them; units and cases are taken in a shuffled, seeded order.
"""

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from whistle.cases.models import Case, number_for  # noqa: E402
from whistle.org.models import Membership  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(1)
    handlers = {m.unit_id: m.user for m in Membership.objects.filter(role="handler").select_related("user")}
    units = [
        row["lead_unit"]
        for row in Case.objects.filter(is_open=True, lead_unit__in=handlers)
        .values("lead_unit")
        .annotate(n=Count("pk"))
        .order_by("-n")[:60]
    ]
    picks = []
    for unit in units:
        pks = list(Case.objects.filter(is_open=True, lead_unit=unit).values_list("pk", flat=True)[:50])
        picks += [(unit, pk) for pk in pks]
    rng.shuffle(picks)
    clients = {}
    for unit in units:
        clients[unit] = Client(SERVER_NAME="127.0.0.1")
        clients[unit].force_login(handlers[unit])
    print(f"{Case.objects.count():,} cases, {Case.objects.filter(is_open=True).count():,} open; {len(units)} units")
    for label, path_for in (
        ("case page /cases/<number>", lambda pk: f"/cases/{number_for(pk)}"),
        ("desk /desk", lambda pk: "/desk"),
    ):
        times = []
        for unit, pk in (picks * (args.n // len(picks) + 1))[: args.n + 20]:
            start = time.perf_counter()
            response = clients[unit].get(path_for(pk))
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, (path_for(pk), response.status_code)
            times.append(elapsed)
        times = times[20:]  # warm-up
        print(
            f"{label}: n={len(times)} p50 {statistics.median(times):.1f} ms  p95 {pct(times, 95):.1f} ms  p99 {pct(times, 99):.1f} ms"
        )


if __name__ == "__main__":
    main()
