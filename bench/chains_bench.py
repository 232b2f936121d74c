"""A chain's page at scale (issue 19): 生物医药 with a map of 2,000 nodes and 10,000 firms at them, its pipeline,
lists and the cases of its local firms; server time (p50/p95) of the chain page, its health view and its report,
with GET /healthz as the baseline in the same run.

    export WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chains   # or leave unset for SQLite
    whistle migrate
    python bench/chains_bench.py [--nodes 2000] [--firms 10000] [--local 3000] [--projects 300] [--reps 20]

The script loads the Heze organisation if the database has none, empties 生物医药's map, lists and projects and
writes them set-wise: `--nodes` nodes over the three segments (30 top nodes, then sub-nodes two levels down, in
path order as `services.node_add` makes them), `--firms` firms spread over the nodes, a third of them local (one of
`--local` bench enterprises, created once) and the rest firms elsewhere, about one node in eight left without any
firm so the map has gaps; `--projects` investment projects on gap nodes along the stages; a list entry per
hundred nodes. Each request goes through Django's test client in-process (URL resolution, session, middleware,
view, template): the server time a request costs, without the network. The chain page is timed as it is served
most of the time (its map cached for the chain's map version, `chains.mapcache`) and right after a write to the map
(the version renewed before each request, so the map is computed again).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
logging.getLogger("whistle.request").setLevel(logging.WARNING)  # one log line per timed request otherwise

from whistle.chains import lights, mapcache  # noqa: E402
from whistle.chains.models import (  # noqa: E402
    Chain,
    ListEntry,
    ListType,
    Node,
    NodeFirm,
    Officer,
    Project,
    ProjectEvent,
    ProjectNotice,
    Stage,
    Trip,
)
from whistle.enterprises.models import Enterprise  # noqa: E402
from whistle.org.models import Level, Membership, Role, Unit, UnitKind  # noqa: E402

CHAIN = "biomedicine"
PATH_STEP = 4


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def ensure_org() -> Chain:
    from whistle.seed.heze import is_loaded, load_heze

    if not is_loaded():
        t = time.perf_counter()
        load_heze()
        print(f"organisation loaded in {time.perf_counter() - t:.1f} s")
    city = Unit.objects.get(parent__isnull=True)
    gxj, _ = Unit.objects.get_or_create(
        code="heze-gxj-bench",
        defaults={"name": "菏泽市工业和信息化局", "level": Level.CITY, "kind": UnitKind.DEPARTMENT, "parent": city},
    )
    chain = Chain.objects.get(code=CHAIN)
    chain.lead_unit = gxj
    chain.save()
    users = get_user_model()
    for username, role, unit in [("bench_lianban", Role.CHAIN_OFFICE, gxj), ("bench_leader", Role.LEADER, city)]:
        if not users.objects.filter(username=username).exists():
            user = users.objects.create_user(username, password="x")
            Membership.objects.create(user=user, role=role, unit=unit, display_name=username)
    Officer.objects.get_or_create(chain=chain, user=users.objects.get(username="bench_lianban"))
    return chain


def empty_chain(chain: Chain) -> None:
    with transaction.atomic():
        Trip.objects.filter(chain=chain).delete()
        ProjectNotice.objects.filter(project__chain=chain).delete()
        ProjectEvent.objects.filter(project__chain=chain).delete()
        Project.objects.filter(chain=chain).delete()
        ListEntry.objects.filter(chain=chain).delete()
        NodeFirm.objects.filter(node__chain=chain).delete()
        Node.objects.filter(chain=chain).update(parent=None)
        Node.objects.filter(chain=chain).delete()
        mapcache.bump(chain.pk)


def bench_enterprises(count: int) -> list[int]:
    have = list(Enterprise.objects.filter(uscc__startswith="91BENCH").order_by("pk").values_list("pk", flat=True))
    if len(have) >= count:
        return have[:count]
    counties = list(Unit.objects.filter(level=Level.COUNTY, kind=UnitKind.GOVERNMENT))
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                uscc=f"91BENCH{i:011d}",
                name=f"链上企业{i:05d}",
                county=counties[i % len(counties)],
                above_scale=i % 3 == 0,
            )
            for i in range(len(have), count)
        ],
        batch_size=1000,
    )
    return list(Enterprise.objects.filter(uscc__startswith="91BENCH").order_by("pk").values_list("pk", flat=True))


def generate(chain: Chain, nodes: int, firms: int, local: int, projects: int, rng: random.Random) -> dict:
    t0 = time.perf_counter()
    segments = ["up", "mid", "down"]
    tops = min(30, nodes)
    level1 = min(max(0, nodes - tops), tops * 10)
    level2 = max(0, nodes - tops - level1)

    def make(parents: list[Node | None], count: int) -> list[Node]:
        made, children = [], {}
        for i in range(count):
            parent = parents[i % len(parents)]
            key = parent.pk if parent else None
            children[key] = children.get(key, 0) + 1
            made.append(
                Node(
                    chain=chain,
                    parent=parent,
                    segment=parent.segment if parent else segments[i % 3],
                    name=f"节点{(parent.name + '-') if parent else ''}{children[key]}",
                    path=(parent.path if parent else "") + f"{children[key]:0{PATH_STEP}d}",
                    depth=parent.depth + 1 if parent else 0,
                )
            )
        return Node.objects.bulk_create(made, batch_size=1000)

    top = make([None], tops)
    first = make(top, level1) if level1 else []
    second = make(first, level2) if level2 else []
    every = top + first + second
    with_firms = [n for n in every if rng.random() >= 0.125]
    enterprises = bench_enterprises(local)
    rows = []
    for i in range(firms):
        node = with_firms[i % len(with_firms)]
        if i % 3 == 0:
            rows.append(NodeFirm(node=node, enterprise_id=enterprises[i % len(enterprises)], name=f"本地{i:05d}"))
        else:
            rows.append(
                NodeFirm(node=node, name=f"外地企业{i:05d}", place=rng.choice(["上海", "北京", "深圳", "苏州"]))
            )
    NodeFirm.objects.bulk_create(rows, batch_size=2000)
    gaps = [n for n in every if n not in set(with_firms)] or every
    stages = list(Stage.objects.filter(pipeline="investment").order_by("order"))
    county = Unit.objects.filter(level=Level.COUNTY, kind=UnitKind.GOVERNMENT).first()
    now = timezone.now()
    today = timezone.localdate()
    made_projects = []
    for i in range(projects):
        stage = stages[i % len(stages)]
        p = Project(
            chain=chain,
            name=f"补链项目{i:04d}",
            target_firm=f"目标企业{i:04d}",
            node=gaps[i % len(gaps)],
            county=county,
            responsible_unit=chain.lead_unit,
            stage=stage,
            stage_since=today - dt.timedelta(days=rng.randint(0, 400)),
            amount=rng.randint(1000, 80000) if stage.order >= 4 else None,
            signed_on=today if stage.order >= 4 else None,
            created_at=now,
        )
        lights.schedule(p, today)
        made_projects.append(p)
    Project.objects.bulk_create(made_projects, batch_size=1000)
    types = list(ListType.objects.filter(is_active=True))
    ListEntry.objects.bulk_create(
        [
            ListEntry(chain=chain, list_type=types[i % len(types)], year=today.year, name=f"清单条目{i}", node=n)
            for i, n in enumerate(every[:: max(1, 100)])
        ],
        batch_size=1000,
    )
    mapcache.bump(chain.pk)  # written in bulk: no model signal gave the map a new version
    return {"nodes": len(every), "firms": firms, "gaps": len(gaps), "seconds": time.perf_counter() - t0}


def timed(fn, reps: int) -> tuple[float, float]:
    fn()  # warm the connection and the template cache
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), percentile(times, 95)


def pages(reps: int) -> None:
    office, leader = Client(), Client()
    office.force_login(get_user_model().objects.get(username="bench_lianban"))
    leader.force_login(get_user_model().objects.get(username="bench_leader"))
    year = timezone.localdate().year

    def ok(response):
        assert response.status_code == 200, response.status_code
        return response

    chain = Chain.objects.get(code=CHAIN)
    node = Node.objects.filter(chain=chain, firms__isnull=False).order_by("path").first()

    def after_a_write():
        mapcache.bump(chain.pk)  # as a write to the map does: the next page computes the map again
        return ok(leader.get(f"/chains/{CHAIN}/?year={year}"))

    figures = [
        ("baseline GET /healthz", lambda: ok(leader.get("/healthz"))),
        ("chain page GET /chains/biomedicine/ (leader)", lambda: ok(leader.get(f"/chains/{CHAIN}/?year={year}"))),
        ("chain page right after a write to the map", after_a_write),
        (
            "a node's firms GET …/nodes/<id>/firms?part=1",
            lambda: ok(leader.get(f"/chains/{CHAIN}/nodes/{node.pk}/firms?part=1")),
        ),
        ("chain page, the office (with its forms)", lambda: ok(office.get(f"/chains/{CHAIN}/?year={year}"))),
        ("health GET /chains/biomedicine/health", lambda: ok(leader.get(f"/chains/{CHAIN}/health"))),
        ("report GET /chains/biomedicine/report", lambda: ok(leader.get(f"/chains/{CHAIN}/report?year={year}"))),
        ("board GET /chains/", lambda: ok(leader.get(f"/chains/?year={year}"))),
    ]
    print(f"\nserver time, {reps} requests each (p50 / p95 ms; SQL statements per request; page size):")
    for label, fn in figures:
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        fn()
        with connection.execute_wrapper(count):
            size = len(fn().content)
        p50, p95 = timed(fn, reps)
        print(f"  {label:46s} {p50:7.1f} / {p95:7.1f}  {statements[0]:3d} statements  {size // 1024:5d} KiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--firms", type=int, default=10000)
    parser.add_argument("--local", type=int, default=3000)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--pages-only", action="store_true", help="time the pages on the rows a previous run left")
    args = parser.parse_args()
    chain = ensure_org()
    if not args.pages_only:
        empty_chain(chain)
        made = generate(chain, args.nodes, args.firms, args.local, args.projects, random.Random(19))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE chains_node; ANALYZE chains_nodefirm; ANALYZE chains_project")
        print(f"written in {made['seconds']:.1f} s: {made['nodes']} nodes, {made['firms']} firms, {made['gaps']} gaps")
    print(
        f"database: {connection.vendor}; machine: {platform.machine()}, {os.cpu_count()} cores (shared); "
        f"load average {os.getloadavg()}; {Node.objects.filter(chain=chain).count()} nodes, "
        f"{NodeFirm.objects.filter(node__chain=chain).count()} firms"
    )
    pages(args.reps)


if __name__ == "__main__":
    main()
