"""The worker (issue 11 item 4): each job on its own interval, isolated, with a heartbeat row and a lease.

Jobs that fail or take long are registered the way a city adds one, as rows of the `core_workerjob` table pointing at
tests/core/failing_jobs.py; the worker runs as a real `whistle worker` process on the test database.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.cases.flow import reload, submit
from tests.conftest import at
from whistle.core import jobs as registry
from whistle.core.models import JobHeartbeat, WorkerJob

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    # PYTHONPATH: the worker imports the test jobs by the dotted path in their row, as it would a city's own.
    return {**os.environ, "WHISTLE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def whistle_popen(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "whistle"), *args],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_until(condition, what: str, timeout: float = 180):
    """Poll the database until `condition()` holds; the timeout only bounds a broken run, it asserts no speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def beat(name) -> JobHeartbeat | None:
    return JobHeartbeat.objects.filter(name=name).first()


def register(name, target, group="test", every_seconds=1, max_backoff_seconds=600):
    return WorkerJob.objects.create(
        name=name,
        target=f"tests.core.failing_jobs.{target}",
        group=group,
        every_seconds=every_seconds,
        max_backoff_seconds=max_backoff_seconds,
    )


@pytest.mark.django_db
def test_migrate_adds_a_row_for_every_declared_job_with_its_default_interval():
    rows = {job.name: (job.group, job.every_seconds) for job in WorkerJob.objects.all()}
    assert rows["deadline_sweep"] == ("sweep", 60)
    assert rows["metrics_rollup"] == ("analytics", 60) and rows["hot_topics"] == ("analytics", 300)
    assert rows["cockpit_warm"][0] == rows["accountability_rules"][0] == "analytics"


@pytest.mark.django_db
def test_a_citys_edit_of_an_interval_survives_the_next_migrate():
    WorkerJob.objects.filter(name="hot_topics").update(every_seconds=900)
    WorkerJob.objects.filter(name="cockpit_warm").delete()
    assert registry.sync_declared() == 1  # the missing declared job comes back with its default …
    assert WorkerJob.objects.get(name="hot_topics").every_seconds == 900  # … the edited one keeps the edit


def test_backoff_doubles_per_failure_in_a_row_and_stops_at_the_jobs_cap():
    job = WorkerJob(every_seconds=60, max_backoff_seconds=600)
    assert [registry.backoff_seconds(job, n) for n in (1, 2, 3, 4, 5)] == [120, 240, 480, 600, 600]


@pytest.mark.django_db
def test_a_failing_job_records_its_error_and_the_once_run_still_sweeps(heze):
    case = submit(heze, now=at(2020, 1, 6, 10))  # long overdue whenever this runs
    register("explode", "explode")
    with pytest.raises(CommandError, match="explode"):
        call_command("worker", "--once")
    assert reload(case).card == "red"
    sweep, failed = beat("deadline_sweep"), beat("explode")
    assert sweep.runs == 1 and sweep.failures == 0 and sweep.last_success_at is not None
    assert sweep.last_result["red_card"] == 1
    assert failed.runs == failed.failures == failed.consecutive_failures == 1 and failed.last_success_at is None
    assert "RuntimeError: 故障演练：此任务总是失败" in failed.last_error and failed.last_error_at is not None
    assert failed.next_run_at > failed.last_error_at  # backed off, not due again at once
    assert failed.lease_owner == "" and failed.lease_until is None


@pytest.mark.django_db
def test_worker_jobs_option_runs_one_group_and_exclude_leaves_it_out(heze):
    call_command("worker", "--once", "--jobs", "sweep")
    assert set(JobHeartbeat.objects.filter(runs__gt=0).values_list("name", flat=True)) == {"deadline_sweep"}
    call_command("worker", "--once", "--exclude", "sweep")
    ran = dict(JobHeartbeat.objects.values_list("name", "runs"))
    assert ran["deadline_sweep"] == 1 and ran["metrics_rollup"] == ran["cockpit_warm"] == 1


@pytest.mark.django_db
def test_a_job_leased_by_another_worker_is_not_run_here_until_the_lease_runs_out():
    import datetime as dt

    from django.utils import timezone

    job = register("counted", "count_runs")
    JobHeartbeat.objects.create(
        name="counted", lease_owner="other-host:4242:abcdef", lease_until=timezone.now() + dt.timedelta(minutes=1)
    )
    assert registry.run_job(job, force=True).ran is False
    assert beat("counted").runs == 0
    JobHeartbeat.objects.filter(name="counted").update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    outcome = registry.run_job(job)
    assert outcome.ran and outcome.ok and outcome.result == {"test_runs": 1}
    assert beat("counted").runs == 1 and beat("counted").lease_owner == ""
    assert registry.run_job(job).ran is False  # run a moment ago: not due for another interval


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_job_does_not_stop_the_sweep_of_a_running_worker(heze):
    """A real `whistle worker` process: the failing job fails again and again (backing off), the sweep goes on."""
    WorkerJob.objects.filter(name="deadline_sweep").update(every_seconds=1)
    register("explode", "explode", every_seconds=1, max_backoff_seconds=2)
    first = submit(heze, now=at(2020, 1, 6, 10))
    worker = whistle_popen("worker", "--tick", "0.5")
    try:
        wait_until(lambda: reload(first).card == "red", "the first sweep")
        wait_until(lambda: beat("explode") and beat("explode").failures >= 2, "the failing job to fail twice")
        second = submit(heze, now=at(2020, 1, 6, 11))  # due after the job has failed: a later sweep must act
        wait_until(lambda: reload(second).card == "red", "a sweep after the failures")
    finally:
        worker.terminate()
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    failed, sweep = beat("explode"), beat("deadline_sweep")
    assert failed.consecutive_failures >= 2 and failed.last_success_at is None and "故障演练" in failed.last_error
    assert sweep.runs >= 2 and sweep.failures == 0, sweep.last_error
    assert sweep.last_success_at > failed.last_error_at - _seconds(10)
    # The traceback is in the worker's log, as one JSON record of the failed run.
    assert '"job": "explode"' in err and '"status": "error"' in err and "RuntimeError" in err


def _seconds(n):
    import datetime as dt

    return dt.timedelta(seconds=n)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_run_the_same_job_at_once(tmp_path):
    register("slow", "slow", every_seconds=3600)
    release = tmp_path / "release"
    env = {**_env(), "WHISTLE_TEST_RELEASE": str(release)}
    command = [str(Path(sys.executable).parent / "whistle"), "worker", "--once", "--jobs", "slow"]
    first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: beat("slow") and beat("slow").lease_owner != "", "the first worker to take the job")
        second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0 and "slow 正由其他 worker 运行" in second.stdout
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "slow_runs=1" in out
    assert beat("slow").runs == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rule_21_5_two_worker_processes_share_the_jobs_never_run_one_twice_at_once_and_sweep_first(tmp_path):
    """Issue 21 item 5, with two real `whistle worker` processes: every job due every second, each run recorded with
    its process and moments. No two runs of one job overlap (the lease, and on PostgreSQL the advisory lock), both
    processes take a share, and the first run of all is the deadline sweep (the other jobs wait for it)."""
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes are a PostgreSQL setup; on SQLite one worker runs the jobs")
    runs = tmp_path / "runs"
    WorkerJob.objects.exclude(name="deadline_sweep").update(is_active=False)
    WorkerJob.objects.filter(name="deadline_sweep").update(
        target="tests.core.failing_jobs.recorded_sweep", every_seconds=1
    )
    register("a", "recorded_a")
    register("b", "recorded_b")
    env = {**_env(), "WHISTLE_TEST_RUNS": str(runs)}
    command = [str(Path(sys.executable).parent / "whistle"), "worker", "--tick", "0.2"]
    workers = [
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]

    def recorded():
        lines = runs.read_text().splitlines() if runs.exists() else []
        return [(name, int(pid), float(a), float(b)) for name, pid, a, b in (line.split() for line in lines)]

    try:
        wait_until(
            lambda: len({r[1] for r in recorded()}) == 2 and len(recorded()) >= 30,
            "both workers to run jobs, thirty runs in all",
        )
    finally:
        for worker in workers:
            worker.terminate()
        errors = [worker.communicate(timeout=60)[1] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), errors
    done = recorded()
    for name in ("deadline_sweep", "a", "b"):
        spans = sorted((start, end, pid) for job, pid, start, end in done if job == name)
        assert spans, name
        for (_, end, pid), (start, _, other) in zip(spans, spans[1:]):
            assert start >= end, f"{name} ran in {pid} and {other} at once"
    assert min(done, key=lambda r: r[2])[0] == "deadline_sweep"
    assert beat("deadline_sweep").failures == 0


@pytest.mark.django_db
def test_a_job_still_running_past_its_lease_in_another_session_is_not_run_again_on_postgresql():
    """The lease ran out (a worker stalled), but that worker's session still holds the job's advisory lock: a second
    worker takes the lease, finds the lock held, gives the lease back and does not run the job."""
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite runs one worker")
    import psycopg

    job = register("counted", "count_runs")
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"] or None, dbname=db["NAME"]
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [registry.lock_id("counted")])
        assert registry.run_job(job, force=True).ran is False
        assert beat("counted").runs == 0 and beat("counted").lease_owner == ""
        # Released here, not by closing: a closed session's locks go when its server process ends, a moment later.
        other.execute("SELECT pg_advisory_unlock(%s)", [registry.lock_id("counted")])
    finally:
        other.close()
    assert registry.run_job(job, force=True).ran is True
