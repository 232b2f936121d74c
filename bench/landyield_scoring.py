"""亩产效益 figures (issue 18): scoring a province-sized round of 50,000 enterprises with the class quotas, and an
enterprise's own page.

    WHISTLE_VAR_DIR=/tmp/ly-bench .venv/bin/python bench/landyield_scoring.py [-n 50000]
    WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_landyield .venv/bin/python bench/landyield_scoring.py

Builds its own data in the database it is given (migrated first; a round named 基准县 is replaced on each run): one
county, N 规上 firms with nine figures each (lognormal, 8 % without an emission figure, 1 % vetoed, 1 % protected),
written set-wise. Then, in the same run:
- baseline: reading the round's participants and figures (`services.round_rows`) — the floor any scoring pays;
- the pure scoring in memory (`scoring.score_round`: values, derived benchmarks, scores, quotas, ties, vetoes);
- the whole `services.round_score` (read, score, write 50,000 results, one transaction), three times;
- the enterprise's page `/landyield/participants/<id>/` as the enterprise itself, through Django's test client
  (full middleware, session, template), 200 reads after 20 warm-up, p50/p95/p99.
"""

import argparse
import os
import random
import statistics
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.enterprises.models import Enterprise  # noqa: E402
from whistle.landyield import scoring, services  # noqa: E402
from whistle.landyield.models import Figure, FigureKind, Participant, Round, Scheme  # noqa: E402
from whistle.org.models import Membership, Unit  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def build(n: int, reuse: bool = False) -> Round:
    rng = random.Random(18)
    if reuse:
        old = Round.objects.filter(county__code="bench-county").first()
        if old is not None and Participant.objects.filter(round=old).count() == n:
            return old
    root = Unit.objects.filter(parent__isnull=True).first() or Unit.objects.create(
        code="bench-city", name="基准市", level="city", kind="government"
    )
    old = Round.objects.filter(county__code="bench-county").first()
    if old is not None:
        with transaction.atomic():
            Figure.objects.filter(round=old).delete()
            Participant.objects.filter(round=old).delete()
            old.owners.all().delete()
            old.delete()
    county, _ = Unit.objects.get_or_create(
        code="bench-county", defaults={"name": "基准县", "level": "county", "kind": "government", "parent": root}
    )
    lead, _ = Unit.objects.get_or_create(
        code="bench-county-gxj",
        defaults={"name": "基准县工信局", "level": "county", "kind": "department", "parent": county, "county": county},
    )
    have = Enterprise.objects.filter(county=county).count()
    rows = []
    for i in range(have, n):
        body = f"91370000MA{i:07d}"[:17]
        rows.append(
            Enterprise(
                uscc=body + "0",
                name=f"基准企业{i:06d}",
                county=county,
                industry=rng.choice("ABCDEFGH"),
                above_scale=True,
            )
        )
    Enterprise.objects.bulk_create(rows, batch_size=5000)
    scheme = Scheme.objects.get(year=2025, county__isnull=True, version=1)
    rnd = Round.objects.create(scheme=scheme, county=county, year=2025, lead_unit=lead)
    firms = list(Enterprise.objects.filter(county=county).values_list("pk", flat=True)[:n])
    items = [[] for _ in firms]
    for i in rng.sample(range(len(firms)), len(firms) // 100):
        items[i] = ["safety_accident"]
    for i in rng.sample(range(len(firms)), len(firms) // 100):
        items[i] = items[i] or ["new_firm"]
    Participant.objects.bulk_create(
        [
            Participant(round=rnd, enterprise_id=e, group="above", status="evaluated", items=it)
            for e, it in zip(firms, items)
        ],
        batch_size=5000,
    )
    kinds = {k.code: k.pk for k in FigureKind.objects.all()}
    now = timezone.now()
    figures = []
    for pid in Participant.objects.filter(round=rnd).values_list("pk", flat=True):
        s = rng.lognormvariate(0, 0.7)
        land = rng.uniform(10, 500)
        values = {
            "land_area": land,
            "tax": land * 8 * s,
            "value_added": land * 40 * s,
            "sales": land * 150 * s,
            "energy": land * 12 * rng.uniform(0.5, 1.5),
            "electricity": land * 25 * rng.uniform(0.5, 1.5),
            "emissions": land * 0.2 * rng.uniform(0.5, 1.5) if rng.random() > 0.08 else None,
            "employees": land * rng.uniform(1, 3),
            "rd_spending": land * 150 * s * rng.uniform(0.005, 0.04),
        }
        figures += [
            Figure(
                round=rnd,
                participant_id=pid,
                kind_id=kinds[c],
                value=Decimal(f"{v:.4f}"),
                state="verified",
                updated_at=now,
            )
            for c, v in values.items()
            if v is not None
        ]
    Figure.objects.bulk_create(figures, batch_size=10000)
    return rnd


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true", help="keep the round an earlier run built, if it has n firms")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    rnd = build(args.n, args.reuse)
    print(
        f"{connection.vendor}: built {args.n:,} firms, {Figure.objects.filter(round=rnd).count():,} figures in {time.perf_counter() - t:.1f} s"
    )
    print(f"load average before: {os.getloadavg()}")

    # Wall time, and this process's own CPU time: on a shared, loaded machine the wall time mostly measures the wait
    # for a core, the CPU time what the work costs (the database server's share is in the wall time only).
    def measure(label, fn, runs=3):
        walls, cpus, out = [], [], None
        for _ in range(runs):
            w, c = time.perf_counter(), time.process_time()
            out = fn()
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        print(
            f"{label}: wall best {min(walls):.2f} s, worst {max(walls):.2f} s; CPU (this process) best {min(cpus):.2f} s"
        )
        return out

    rows, _ = measure("baseline, read participants and figures (round_rows)", lambda: services.round_rows(rnd))
    spec = services.scheme_spec(rnd.scheme)
    measure("scoring in memory (benchmarks, scores, quotas, ties, vetoes)", lambda: scoring.score_round(spec, rows))
    counts = measure(
        f"round_score (read + score + write {args.n:,} results, one transaction)",
        lambda: services.round_score(Actor.system(), rnd.pk),
    )
    print(f"classes: {counts}")

    part = Participant.objects.filter(round=rnd, klass="C").select_related("enterprise").first()
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-landyield-ent")
    Membership.objects.update_or_create(user=user, defaults={"role": "enterprise", "enterprise": part.enterprise})
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    page, cpu = [], []
    for _ in range(220):
        t, c = time.perf_counter(), time.process_time()
        response = client.get(f"/landyield/participants/{part.pk}/")
        page.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200, response.status_code
    page, cpu = page[20:], cpu[20:]
    print(
        f"enterprise page: n={len(page)} wall p50 {statistics.median(page):.1f} ms  p95 {pct(page, 95):.1f} ms  "
        f"p99 {pct(page, 99):.1f} ms; CPU (this process) p50 {statistics.median(cpu):.1f} ms  p95 {pct(cpu, 95):.1f} ms"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
