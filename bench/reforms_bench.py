"""Reform tasks at scale: the reform office's board and the leader's summary at 5,000 tasks × 12 monthly reports
(server time, p50/p95), and the light sweep over 50,000 tasks.

    export WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reforms   # or leave unset for SQLite
    whistle migrate
    python bench/reforms_bench.py [--tasks 5000] [--reports 12] [--sweep-tasks 50000] [--reps 40]

The script loads the Heze organisation if the database has none (no case history), empties the reform tables and
writes the tasks set-wise: `--tasks` tasks of this year over the six areas and the city's and counties' units, each
with `--reports` monthly reports whose hashes chain exactly as `services.append` makes them (so
`whistle reforms verify` passes), plus sheets; then `--sweep-tasks` minus that many live multi-year tasks due from
ten days ago to a year ahead, so the sweep has 50,000 tasks to look at. Lights start green, as if no sweep had run.

Each request goes through Django's test client in-process (URL resolution, session, middleware, view, template):
the server time a request costs, without the network. Figures:
- `board`: GET /reforms/?year=… as the city's reform office (counts by light, state, area, unit; sheets; outcomes);
- `list red`: GET /reforms/tasks?light=red&state=open (the drill-down, one page of 50);
- `summary`: GET /api/v1/reforms/summary as the city leader (the cockpit section's data);
- `cockpit section`: the `{% reform_summary %}` include rendered alone for the city leader;
- `baseline`: GET /healthz in the same run (the framework's floor on this machine at this moment);
- `sweep`: `lights.sweep` over all live tasks: the first run (lights stale: every due task changes and gets its
  提醒/督办函), a second run at once (nothing to do: the every-10-minutes cost), a run one day later; against the
  baseline of computing the same lights in a Python loop over the rows (`lights.light_on` per task).
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
logging.getLogger("whistle.request").setLevel(logging.WARNING)  # one JSON line per request would drown the figures

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]

from whistle.core import calendar  # noqa: E402
from whistle.core.hashing import chain_hash, key_id  # noqa: E402
from whistle.core.rules import int_param  # noqa: E402
from whistle.org.models import Level, Membership, Role, Unit, UnitKind  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402
from whistle.reforms import lights  # noqa: E402
from whistle.reforms.models import (  # noqa: E402
    Area,
    Kind,
    Light,
    State,
    Task,
    TaskEvent,
    TaskNotice,
    TaskStatus,
)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def ensure_org() -> None:
    from whistle.seed.heze import is_loaded, load_heze

    if not is_loaded():
        t = time.perf_counter()
        load_heze()
        print(f"organisation loaded in {time.perf_counter() - t:.1f} s")
    city = Unit.objects.get(parent__isnull=True)
    office, _ = Unit.objects.get_or_create(
        code="heze-ggb",
        defaults={"name": "菏泽市委改革办", "level": Level.CITY, "kind": UnitKind.REFORM_OFFICE, "parent": city},
    )
    users = get_user_model()
    for username, role, unit in [("bench_gaige", Role.REFORM_OFFICE, office), ("bench_leader", Role.LEADER, city)]:
        if not users.objects.filter(username=username).exists():
            user = users.objects.create_user(username, password="x")
            Membership.objects.create(user=user, role=role, unit=unit, display_name=username)


def empty_reform_tables() -> None:
    from whistle.reforms.models import Milestone, Outcome, TaskCase, TaskFile

    with transaction.atomic():
        for model in (TaskFile, TaskNotice, Outcome, TaskCase, TaskEvent, Milestone):
            model.objects.all().delete()
        Task.assisting_units.through.objects.all().delete()
        Task.objects.filter(kind=Kind.ITEM).delete()
        Task.objects.filter(parent__isnull=False).delete()
        Task.objects.all().delete()


class Dates:
    """Working-day dates memoised by their inputs: thousands of tasks share a few hundred due dates."""

    def __init__(self):
        self.yellow, self.red, self.missing = {}, {}, {}
        self.within = int_param(lights.YELLOW_WITHIN)

    def fill(self, task: Task) -> None:
        due = task.due_on
        if due not in self.yellow:
            self.yellow[due] = calendar.working_days_before(due, self.within)
            self.red[due] = calendar.overdue_from(due)
        key = (task.starts_on.replace(day=1), task.reported_through)
        if key not in self.missing:
            self.missing[key] = lights.report_missing_from(task, lights.next_unreported(task))
        task.next_due_on, task.yellow_on, task.red_on = due, self.yellow[due], self.red[due]
        task.report_missing_on = self.missing[key]
        task.notice_on = min(task.yellow_on, task.report_missing_on)
        task.light = Light.GREEN


def generate(n_tasks: int, n_reports: int, n_sweep: int, seed: int = 16) -> dict:
    rng = random.Random(seed)
    today = timezone.localdate()
    year = today.year
    city = Unit.objects.get(parent__isnull=True)
    units = list(
        Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.TOWNSHIP, UnitKind.STATIONED]).values_list(
            "pk", flat=True
        )
    )
    counties = list(Unit.objects.filter(level=Level.COUNTY, kind=UnitKind.GOVERNMENT))
    areas = list(Area.objects.values_list("pk", flat=True))
    statuses = list(TaskStatus.objects.values_list("pk", flat=True))
    dates = Dates()
    now = timezone.now()
    kid = key_id()
    t0 = time.perf_counter()

    def task(code, y, **extra):
        starts = dt.date(y, 1, 5)
        due = dt.date(y, rng.randint(3, 12), rng.choice([10, 20, 28]))
        fields = dict(
            kind=Kind.TASK,
            year=y,
            code=code,
            title=f"重点改革任务{code}",
            area_id=rng.choice(areas),
            owner=city,
            lead_unit_id=rng.choice(units),
            starts_on=starts,
            due_on=due,
            weight=rng.choice([1, 1, 2, 3]),
            progress=rng.randint(0, 95),
            created_at=now,
        )
        fields.update(extra)
        return Task(**fields)

    tasks: list[Task] = []
    # Sheets: one per county, their items among this year's tasks.
    sheets = []
    for county in counties:
        s = task(f"B-{year}-JB-{county.pk}", year, kind=Kind.SHEET, lead_unit_id=county.pk, area_id=None)
        dates.fill(s)
        s.next_due_on = s.yellow_on = s.red_on = s.report_missing_on = None
        s.light = Light.NONE
        sheets.append(s)
    Task.objects.bulk_create(sheets, batch_size=2000)
    for i in range(n_tasks):
        reported = min(12, n_reports)
        if i % 10 < len(sheets) and i < len(sheets) * 8:
            sheet = sheets[i % len(sheets)]
            t = task(f"B-{year}-{i:06d}", year, kind=Kind.ITEM, parent=sheet, area_id=None, depth=1)
            t.lead_unit_id = sheet.lead_unit_id
        else:
            t = task(f"B-{year}-{i:06d}", year)
        last = min(today.month - 1, reported) if today.year == year else reported
        t.reported_through = dt.date(year, max(1, last - rng.choice([0, 0, 0, 1, 2])), 1) if last >= 1 else None
        t.status_id = rng.choice(statuses)
        roll = rng.random()
        if t.due_on < today and roll < 0.80:  # a year's plan in December: most of what was due is closed
            t.state, t.closed_at, t.progress, t.submitted_on = State.CLOSED, now, 100, t.due_on
        elif t.due_on < today and roll < 0.88:
            t.state, t.submitted_on = State.SUBMITTED, min(today, t.due_on)
        dates.fill(t)
        if t.state != State.OPEN:
            t.next_due_on = t.yellow_on = t.red_on = t.report_missing_on = t.notice_on = None
            t.light = Light.NONE if t.state == State.CLOSED else Light.GREEN
        tasks.append(t)
    # The rest: live multi-year tasks of the earlier years' plans (a city's 2000-odd tasks a year over several plans),
    # due from a few days ago to a year ahead, most reported up to last month. They are not this year's, so the board
    # counts the `--tasks` of this year, as the target says, while the sweep looks at all of them.
    last_month = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    for i in range(max(0, n_sweep - n_tasks)):
        t = task(f"B-L-{i:06d}", year - rng.choice([1, 2, 3]), due_on=today + dt.timedelta(days=rng.randint(-10, 365)))
        t.reported_through = last_month.replace(day=1) if rng.random() < 0.9 else dt.date(today.year, 1, 1)
        dates.fill(t)
        tasks.append(t)
    Task.objects.bulk_create(tasks, batch_size=2000)
    made = time.perf_counter() - t0

    # This year's tasks: a create event and `n_reports` monthly reports each, chained as services.append does.
    t1 = time.perf_counter()
    events: list[TaskEvent] = []
    heads = []
    this_year = list(Task.objects.filter(year=year).exclude(kind=Kind.SHEET).values_list("pk", "created_at"))
    written = 0
    for pk, created in this_year:
        previous, seq = "", 0
        for k in range(n_reports + 1):
            seq += 1
            at = created if k == 0 else timezone.make_aware(dt.datetime(year, min(12, k), 3, 10))
            e = TaskEvent(
                task_id=pk,
                seq=seq,
                kind="create" if k == 0 else "report",
                at=at,
                actor=None,
                actor_label="菏泽市委改革办" if k == 0 else "牵头单位",
                period=None if k == 0 else dt.date(year, min(12, k), 1),
                progress=None if k == 0 else min(100, k * 8),
                text="立项" if k == 0 else f"{k}月份推进情况：按计划推进，完成阶段目标。",
                payload={},
                hash_key=kid,
            )
            e.hash = chain_hash(previous, e.record(), kid)
            previous = e.hash
            events.append(e)
        heads.append(Task(pk=pk, event_seq=seq, last_event_hash=previous))
        if len(events) >= 20000:
            TaskEvent.objects.bulk_create(events, batch_size=5000)
            written += len(events)
            events = []
    TaskEvent.objects.bulk_create(events, batch_size=5000)
    written += len(events)
    Task.objects.bulk_update(heads, ["event_seq", "last_event_hash"], batch_size=2000)
    return {
        "tasks": len(tasks) + len(sheets),
        "events": written,
        "generate_s": made,
        "events_s": time.perf_counter() - t1,
    }


def timed(fn, reps: int) -> tuple[float, float]:
    fn()  # warm the connection and the template cache
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), percentile(times, 95)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--reports", type=int, default=12)
    parser.add_argument("--sweep-tasks", type=int, default=50000)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="time the pages on the data a previous run left (no generation, no sweep): to compare two versions "
        "of the code on the same rows",
    )
    args = parser.parse_args()

    if args.pages_only:
        print(
            f"database: {connection.vendor}; {Task.objects.count()} tasks kept from the last run; load {os.getloadavg()}"
        )
        pages(args.reps)
        return
    ensure_org()
    empty_reform_tables()
    made = generate(args.tasks, args.reports, args.sweep_tasks)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reforms_task; ANALYZE reforms_taskevent; ANALYZE reforms_tasknotice")
    print(
        f"database: {connection.vendor}; machine: {platform.machine()}, {os.cpu_count()} cores (shared); "
        f"{made['tasks']} tasks, {made['events']} events written in {made['generate_s'] + made['events_s']:.1f} s"
    )

    # The sweep over every live task (before the pages, so they show the lights).
    live = Task.objects.filter(state=State.OPEN).exclude(kind=Kind.SHEET).count()
    now = timezone.now()
    baseline_t = time.perf_counter()
    today = timezone.localtime(now).date()
    python_lights = {
        t.pk: lights.light_on(t, today)
        for t in Task.objects.filter(state=State.OPEN)
        .exclude(kind=Kind.SHEET)
        .only("pk", "kind", "state", "light", "yellow_on", "red_on", "report_missing_on")
    }
    baseline_s = time.perf_counter() - baseline_t
    runs = []
    for label, moment in [("first", now), ("again", now), ("next day", now + dt.timedelta(days=1))]:
        t = time.perf_counter()
        result = lights.sweep(moment)
        runs.append((label, time.perf_counter() - t, result))
    red = sum(1 for v in python_lights.values() if v == Light.RED)
    print(f"\nsweep over {live} live tasks ({red} red today):")
    print(f"  baseline, the lights computed in a Python loop over the rows: {baseline_s * 1000:.0f} ms")
    for label, seconds, result in runs:
        print(f"  {label:9s}: {seconds * 1000:7.0f} ms  {result}")

    pages(args.reps)


def pages(reps: int) -> None:
    """The board, the drill-down, the summary and the cockpit section, `reps` times each, beside /healthz."""
    year = timezone.localdate().year
    office = Client()
    office.force_login(get_user_model().objects.get(username="bench_gaige"))
    leader = Client()
    leader.force_login(get_user_model().objects.get(username="bench_leader"))
    leader_user = get_user_model().objects.get(username="bench_leader")

    def ok(response):
        assert response.status_code == 200, response.status_code
        return response

    section = Template("{% load reforms %}{% reform_summary %}")
    request = RequestFactory().get("/dashboard")
    request.user = leader_user
    request.actor = Actor.of(leader_user)
    figures = [
        ("baseline GET /healthz", lambda: ok(office.get("/healthz"))),
        ("board GET /reforms/", lambda: ok(office.get(f"/reforms/?year={year}"))),
        (
            "list red GET /reforms/tasks?light=red",
            lambda: ok(office.get(f"/reforms/tasks?year={year}&light=red&state=open")),
        ),
        ("summary GET /api/v1/reforms/summary", lambda: ok(leader.get("/api/v1/reforms/summary"))),
        ("cockpit section (include)", lambda: section.render(Context({"request": request}))),
    ]
    print(f"\nserver time, {reps} requests each (p50 / p95 ms; SQL statements per request):")
    for label, fn in figures:
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        fn()  # warm (sessions, caches), then count one request (the test client's request resets Django's query log)
        with connection.execute_wrapper(count):
            fn()
        p50, p95 = timed(fn, reps)
        print(f"  {label:42s} {p50:7.1f} / {p95:7.1f}  {statements[0]:3d} statements")


if __name__ == "__main__":
    main()
