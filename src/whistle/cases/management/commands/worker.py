"""`whistle worker`: the deadline sweep and the apps' periodic jobs, each on its own interval, each isolated.

Every selected job gets a thread that runs it when due (`core.jobs.run_job`: lease, run, heartbeat, backoff); a
job that fails or hangs holds up nobody else, and the deadline sweep keeps its minute while a rollup runs beside it.
The main thread adds and drops job threads as the `core_workerjob` table changes, and renews the leases of the jobs
running here. `--jobs`/`--exclude` take job names or groups, so the sweep and the analytics can run in separate
processes (`whistle worker --jobs sweep`, `whistle worker --exclude sweep`).

Several workers share the jobs: each job is run by whichever takes its lease (`core.jobs.run_job`), never by two at
once. The deadline sweep goes first: at start the other jobs wait until this worker has tried the sweep once (run
it, or found another worker running it), and on SQLite, where the jobs of one worker take turns at the one writer,
a sweep waiting for the writer gets it before any other job waiting.
"""

import contextlib
import logging
import signal
import threading
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from whistle.core import jobs as registry

log = logging.getLogger("whistle.worker")


class _Writer:
    """SQLite has one writer at a time, and whistle opens every transaction IMMEDIATE (it takes the write lock at
    BEGIN): jobs of one worker run one after another there rather than time out on each other's locks, and a waiting
    sweep is served before the other waiting jobs."""

    def __init__(self):
        self._turn = threading.Condition()
        self._busy = False
        self._sweeps_waiting = 0

    @contextlib.contextmanager
    def hold(self, sweep: bool):
        with self._turn:
            self._sweeps_waiting += sweep
            try:
                self._turn.wait_for(lambda: not self._busy and (sweep or not self._sweeps_waiting))
            finally:
                self._sweeps_waiting -= sweep
            self._busy = True
        try:
            yield
        finally:
            with self._turn:
                self._busy = False
                self._turn.notify_all()


_SQLITE_WRITER = _Writer()


def _one_writer(sweep: bool):
    return _SQLITE_WRITER.hold(sweep) if connection.vendor == "sqlite" else contextlib.nullcontext()


def _names(values) -> list[str]:
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


class JobThread(threading.Thread):
    """Runs one job whenever it is due until told to stop or the job is deactivated."""

    def __init__(self, name: str, stop: threading.Event, tick: float, swept: threading.Event):
        super().__init__(name=f"job-{name}", daemon=True)
        self.job_name, self.stop_all, self.tick = name, stop, tick
        self.is_sweep = name == registry.SWEEP_JOB
        self.swept = swept  # set once this worker's sweep has been tried (or when it runs no sweep)
        self.stop_me = threading.Event()
        self.running = False

    def stopped(self) -> bool:
        return self.stop_me.is_set() or self.stop_all.is_set()

    def run(self):
        trouble = 0
        try:
            while not self.is_sweep and not self.swept.wait(timeout=0.2):  # the sweep goes first
                if self.stopped():
                    return
            while not self.stopped():
                try:
                    close_old_connections()  # a connection past CONN_MAX_AGE or broken is replaced before the run
                    job = registry.WorkerJob.objects.filter(name=self.job_name, is_active=True).first()
                    if job is None:
                        return
                    with _one_writer(self.is_sweep):
                        self.running = True
                        try:
                            registry.run_job(job)
                        finally:
                            self.running = False
                            if self.is_sweep:
                                self.swept.set()
                    wait = min(registry.seconds_until_due(job), self.tick)
                    trouble = 0
                except Exception:  # the bookkeeping itself failed (database gone): wait longer each time, go on
                    trouble += 1
                    wait = min(self.tick * 2**trouble, 60)
                    log.exception(
                        "job loop trouble", extra={"event": "worker_trouble", "job": self.job_name, "retry_in_s": wait}
                    )
                    connection.close()
                self.stop_all.wait(max(wait, 0.05))
        finally:
            connection.close()


class Command(BaseCommand):
    help = "后台任务：时限巡检（黄牌、红牌、督办单、提级）及各模块的定时任务，各自按间隔运行、互不影响"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="每个任务立即运行一次后退出（供 cron 使用）")
        parser.add_argument(
            "--jobs",
            action="append",
            metavar="名称或分组",
            help="只运行这些任务或分组（逗号分隔，可重复），如 --jobs sweep 或 --jobs analytics",
        )
        parser.add_argument("--exclude", action="append", metavar="名称或分组", help="不运行这些任务或分组")
        parser.add_argument(
            "--tick",
            type=float,
            default=5.0,
            help="最长多少秒查看一次任务表的变化（间隔、启停）；任务本身按各自间隔运行",
        )

    def handle(self, *args, once=False, jobs=None, exclude=None, tick=5.0, **options):
        only, without = _names(jobs), _names(exclude)
        registry.sync_declared()
        if once:
            return self._once(only, without)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *a: stop.set())
        threads: dict[str, JobThread] = {}
        swept = threading.Event()
        renewed, trouble = 0.0, 0
        log.info(
            "worker started",
            extra={"event": "worker_start", "owner": registry.OWNER, "jobs": only or "all", "exclude": without},
        )
        while not stop.is_set():
            try:
                wanted = [job.name for job in registry.selected(only, without)]
                if registry.SWEEP_JOB not in wanted:
                    swept.set()  # no sweep here (--exclude sweep, or switched off): nothing to wait for
                for name in wanted:  # the sweep's thread first
                    if name not in threads or not threads[name].is_alive():
                        threads[name] = JobThread(name, stop, tick, swept)
                        threads[name].start()
                for name in set(threads) - set(wanted):
                    threads.pop(name).stop_me.set()
                if time.monotonic() - renewed > registry.RENEW_EVERY_SECONDS:
                    registry.renew_leases([name for name, t in threads.items() if t.running])
                    renewed = time.monotonic()
                trouble = 0
            except Exception:  # the job table is unreachable: keep the threads, look again later
                trouble += 1
                log.exception("worker loop trouble", extra={"event": "worker_trouble"})
                connection.close()
            stop.wait(min(tick * 2**trouble, 60))
        log.info("worker stopping", extra={"event": "worker_stop", "owner": registry.OWNER})
        for thread in threads.values():
            thread.join(timeout=30)  # a job half done finishes its transaction; a hung one is left (daemon thread)

    def _once(self, only, without):
        started, counts, failed = time.monotonic(), {}, []
        for job in registry.selected(only, without):
            outcome = registry.run_job(job, force=True)
            if not outcome.ran:
                self.stdout.write(f"{job.name} 正由其他 worker 运行，跳过")
            elif outcome.ok:
                counts.update(outcome.result or {})
            else:
                failed.append(f"{job.name}（{outcome.error}）")
        self.stdout.write(
            "巡检完成 " + " ".join(f"{k}={v}" for k, v in counts.items()) + f" 用时{time.monotonic() - started:.2f}s"
        )
        if failed:
            raise CommandError("以下任务失败，详见日志：" + "；".join(failed))


def jobs():
    """The periodic callables the apps declare (`worker_jobs` on their AppConfig), in app order."""
    return [import_string(path) for config in apps.get_app_configs() for path in getattr(config, "worker_jobs", ())]
