"""The worker's periodic jobs: which exist, when each is due, and one isolated run of each.

Apps declare their jobs on their AppConfig (`worker_jobs = {dotted path: {"name", "group", "every_seconds"}}`);
after every `migrate` (and when a worker starts) a `core_workerjob` row is added for each declared job not yet in the
table, so intervals are data a city edits. The table may also hold jobs no app declares (a city's own, or a test's).

Running a job (`run_job`) never lets its exception out: the traceback goes to the log, the heartbeat row records the
error and the job backs off (its interval doubled per consecutive failure, capped), while every other job goes on.
Before a run the job's heartbeat row is taken as a lease by one conditional UPDATE, which also checks the job is due,
so two worker processes never run the same job at once nor one right after the other. On PostgreSQL (unless behind a
transaction-mode pool, where nothing may outlive a transaction) the run also holds a session advisory lock named after
the job: a worker stalled past its lease (a paused VM, a stopped process) still holds it while its connection lives,
so a second worker that takes the expired lease finds the lock held, gives the lease back and does not run the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import traceback
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import JobHeartbeat, WorkerJob

log = logging.getLogger("whistle.worker")

# A lease outlives a crashed worker by at most this long; a running job's lease is renewed well within it.
LEASE_SECONDS = 90
RENEW_EVERY_SECONDS = 20
SWEEP_JOB = "deadline_sweep"

# This process's name on the leases it takes.
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Declared:
    name: str
    target: str
    group: str
    every_seconds: int
    position: int
    description: str


def declared() -> list[Declared]:
    """The jobs the apps declare, in app order (the sweep's app, cases, comes before the dashboard's)."""
    found, position = [], 0
    for config in apps.get_app_configs():
        jobs = getattr(config, "worker_jobs", ())
        for path in jobs:
            spec = jobs[path] if isinstance(jobs, dict) else {}
            position += 10
            found.append(
                Declared(
                    name=spec.get("name") or path.rsplit(".", 2)[-2] + "_" + path.rsplit(".", 1)[-1],
                    target=path,
                    group=spec.get("group", config.label),
                    every_seconds=int(spec.get("every_seconds") or settings.WHISTLE_WORKER_INTERVAL_SECONDS),
                    position=position,
                    description=spec.get("description", ""),
                )
            )
    return found


def sync_declared(using: str = DEFAULT_DB_ALIAS, **kwargs) -> int:
    """Add a row for each declared job the table lacks (a city's edits to existing rows stay). Returns rows added.
    Connected to post_migrate, as Django adds its permissions: the declarations live with their apps, below which
    core's own migrations cannot reach."""
    if WorkerJob._meta.db_table not in connections[using].introspection.table_names():
        return 0  # migrated back below core 0003
    have = set(WorkerJob.objects.using(using).values_list("name", flat=True))
    rows = [
        WorkerJob(
            name=d.name,
            target=d.target,
            group=d.group,
            every_seconds=d.every_seconds,
            position=d.position,
            description=d.description,
        )
        for d in declared()
        if d.name not in have
    ]
    WorkerJob.objects.using(using).bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def selected(jobs: list[str] | None = None, exclude: list[str] | None = None) -> list[WorkerJob]:
    """The active jobs whose name or group is in `jobs` (all when None) and in neither of `exclude`: the deadline sweep
    first, then the table's order."""
    chosen = []
    for job in WorkerJob.objects.filter(is_active=True):
        names = {job.name, job.group}
        if jobs and not names & set(jobs):
            continue
        if exclude and names & set(exclude):
            continue
        chosen.append(job)
    return sorted(chosen, key=lambda job: job.name != SWEEP_JOB)


def backoff_seconds(job: WorkerJob, consecutive_failures: int) -> float:
    """After the n-th failure in a row: the interval × 2ⁿ, never more than the job's cap (nor less than its interval)."""
    return max(job.every_seconds, min(job.every_seconds * 2**consecutive_failures, job.max_backoff_seconds))


def _take_lease(job: WorkerJob, now: dt.datetime, force: bool) -> bool:
    """Take the job's lease if it is due (or `force`) and nobody holds it. One conditional UPDATE: atomic on both
    databases, so of two workers asking at once exactly one gets it."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=OWNER)
    # Due: after a failure, when its backoff ends (`next_run_at`); otherwise an interval after the last start, with
    # the interval read now, so a city's edit of the table takes effect at once.
    interval_gone = Q(last_started_at__isnull=True) | Q(
        last_started_at__lte=now - dt.timedelta(seconds=job.every_seconds)
    )
    due = Q() if force else Q(next_run_at__isnull=True) & interval_gone | Q(next_run_at__lte=now)
    return (
        JobHeartbeat.objects.filter(free & due, name=job.name).update(
            lease_owner=OWNER, lease_until=now + dt.timedelta(seconds=LEASE_SECONDS)
        )
        == 1
    )


def _session_locks() -> bool:
    """Whether a session advisory lock can guard a run: PostgreSQL, and not behind pgbouncer's transaction pooling
    (settings: WHISTLE_DATABASE_POOL=transaction turns server-side cursors off for the same reason)."""
    return connection.vendor == "postgresql" and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")


def lock_id(name: str) -> int:
    """The advisory lock key of a job: a stable 32-bit number from its name, in a range of its own."""
    return 0x6A6F6200000000 + zlib.crc32(name.encode())


@contextmanager
def _running(name: str):
    """Hold the job's advisory lock while it runs (see the module docstring); yields False when another session holds
    it. Elsewhere (SQLite, a transaction-mode pool) the lease alone guards the run: yields True."""
    if not _session_locks():
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id(name)])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got and connection.connection is not None:  # a connection closed by a failed run released it already
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id(name)])


def renew_leases(names: list[str]) -> None:
    """Keep the leases of the jobs this process is running (a long rollup outlives LEASE_SECONDS)."""
    if names:
        JobHeartbeat.objects.filter(name__in=names, lease_owner=OWNER).update(
            lease_until=timezone.now() + dt.timedelta(seconds=LEASE_SECONDS)
        )


@dataclass
class Outcome:
    name: str
    ran: bool
    ok: bool = True
    result: dict | None = None
    error: str = ""
    seconds: float = 0.0
    retry_in: float = 0.0


def run_job(job: WorkerJob, *, force: bool = False) -> Outcome:
    """Run one job once if it is due and free; record the run on its heartbeat row. Never raises for the job's own
    failure (it is logged, recorded and backed off)."""
    started = timezone.now()
    before, _ = JobHeartbeat.objects.get_or_create(name=job.name)
    if not _take_lease(job, started, force):
        return Outcome(job.name, ran=False)
    with _running(job.name) as alone:
        if not alone:
            # Another worker still runs it past its lease: give the lease back, leave the heartbeat as it is.
            JobHeartbeat.objects.filter(name=job.name, lease_owner=OWNER).update(lease_owner="", lease_until=None)
            log.warning("job still running elsewhere", extra={"event": "job_busy", "job": job.name})
            return Outcome(job.name, ran=False)
        return _run(job, before, started, force)


def _run(job: WorkerJob, before: JobHeartbeat, started: dt.datetime, force: bool) -> Outcome:
    # How late this run starts after it was due (the sweep's lag behind its minute; bench/worker_lag.py reads it).
    due = before.next_run_at or (
        before.last_started_at and before.last_started_at + dt.timedelta(seconds=job.every_seconds)
    )
    late_ms = round(max(0.0, (started - due).total_seconds()) * 1000, 1) if due and not force else None
    JobHeartbeat.objects.filter(name=job.name).update(last_started_at=started)
    clock = time.monotonic()
    try:
        result = import_string(job.target)(started) or {}
    except Exception as exc:  # noqa: BLE001 — isolation is the point: any failure of a job stays in that job
        seconds = time.monotonic() - clock
        text = traceback.format_exc()
        # A failed statement can leave the connection unusable (PostgreSQL: "current transaction is aborted"; a
        # dropped server): start the bookkeeping on a fresh one.
        if not connection.in_atomic_block:
            connection.close()
        beat = JobHeartbeat.objects.get(name=job.name)
        failures = beat.consecutive_failures + 1
        retry = backoff_seconds(job, failures)
        finished = timezone.now()
        JobHeartbeat.objects.filter(name=job.name).update(
            last_finished_at=finished,
            last_error_at=finished,
            last_error=text[-8000:],
            last_duration_seconds=seconds,
            runs=F("runs") + 1,
            failures=F("failures") + 1,
            consecutive_failures=failures,
            next_run_at=finished + dt.timedelta(seconds=retry),
            lease_owner="",
            lease_until=None,
        )
        log.error(
            "job failed",
            exc_info=True,
            extra={
                "event": "job_run",
                "job": job.name,
                "status": "error",
                "duration_ms": round(seconds * 1000, 1),
                "late_ms": late_ms,
                "error": f"{type(exc).__name__}: {exc}",
                "consecutive_failures": failures,
                "retry_in_s": retry,
            },
        )
        return Outcome(
            job.name, ran=True, ok=False, error=f"{type(exc).__name__}: {exc}", seconds=seconds, retry_in=retry
        )
    seconds = time.monotonic() - clock
    finished = timezone.now()
    JobHeartbeat.objects.filter(name=job.name).update(
        last_finished_at=finished,
        last_success_at=finished,
        last_duration_seconds=seconds,
        last_result={k: v for k, v in result.items() if isinstance(v, (int, float, str))},
        runs=F("runs") + 1,
        consecutive_failures=0,
        # No backoff: the next run is due an interval after this one started (see _take_lease), so the sweep keeps
        # its minute however long it took.
        next_run_at=None,
        lease_owner="",
        lease_until=None,
    )
    log.info(
        "job done",
        extra={
            "event": "job_run",
            "job": job.name,
            "status": "ok",
            "late_ms": late_ms,
            "duration_ms": round(seconds * 1000, 1),
            "result": result,
        },
    )
    return Outcome(job.name, ran=True, ok=True, result=result, seconds=seconds)


def seconds_until_due(job: WorkerJob) -> float:
    """How long until the job is due again, as every worker sees it (its heartbeat row)."""
    beat = JobHeartbeat.objects.filter(name=job.name).values("next_run_at", "last_started_at").first()
    if beat is None:
        return 0.0
    due = beat["next_run_at"] or (
        beat["last_started_at"] and beat["last_started_at"] + dt.timedelta(seconds=job.every_seconds)
    )
    return max(0.0, (due - timezone.now()).total_seconds()) if due else 0.0
