import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from whistle.core.observability import reset_metrics_dir


def _interrupt(signum, frame):
    """`kill` stops the children too, exactly as Ctrl+C does."""
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "启动 Web 服务（granian）及时限巡检 worker"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WHISTLE_WEB_WORKERS", "2")))
        # Threads per web process that run requests. Python runs one thread of a process at a time: beyond a few, more
        # threads only queue for the interpreter, and each switch costs (the public rating POST at 64 clients on 2
        # cores: 83 requests/s with granian's default of one thread per allowed request, 32, and 117-127/s with 2-4;
        # docs/benchmarks.md). A request waiting on the database lets another thread of its process run meanwhile.
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WHISTLE_WEB_THREADS", "4")))
        parser.add_argument("--no-worker", action="store_true", help="不启动巡检 worker")

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        reset_metrics_dir()  # counters start at zero with the web processes (prometheus_client multiprocess mode)
        web = subprocess.Popen(
            [
                os.path.join(bin_dir, "granian"),
                "--interface",
                "wsgi",
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--blocking-threads",
                str(threads),
                "--backpressure",
                "32",
                "--no-ws",
                "whistle.wsgi:application",
            ]
        )
        worker = None if no_worker else WorkerSupervisor([os.path.join(bin_dir, "whistle"), "worker"], self.stdout)
        public = f"  对外地址 {settings.WHISTLE_PUBLIC_URL}/" if settings.WHISTLE_PUBLIC_URL else ""
        self.stdout.write(f"whistle 已启动：http://{host}:{port}/{public}  （Ctrl+C 停止）")
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            # The web server's end ends serve (systemd restarts it); the worker's end does not: it is started again.
            while web.poll() is None:
                if worker:
                    worker.check()
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            procs = [web, worker.proc if worker else None]
            for proc in procs:
                if proc and proc.poll() is None:
                    proc.terminate()
            for proc in procs:
                if proc:
                    proc.wait(timeout=35)  # the worker lets a job half done finish its transaction (up to 30 s)


class WorkerSupervisor:
    """Keeps `whistle worker` running beside the web server: a worker that exits or is killed is started again, after
    a pause that doubles while it keeps dying young (1 s … 60 s) and starts over once it has run a minute."""

    STEADY_SECONDS = 60
    MAX_PAUSE = 60

    def __init__(self, command, stdout):
        self.command, self.stdout = command, stdout
        self.pause, self.restart_at = 0.5, None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.command)
        self.started = time.monotonic()
        self.stdout.write(f"worker 已启动 pid={self.proc.pid}")
        self.stdout.flush()

    def check(self):
        if self.restart_at is None:
            code = self.proc.poll()
            if code is None:
                return
            lived = time.monotonic() - self.started
            self.pause = 1.0 if lived >= self.STEADY_SECONDS else min(self.pause * 2, self.MAX_PAUSE)
            self.restart_at = time.monotonic() + self.pause
            self.stdout.write(f"worker 已退出 pid={self.proc.pid} 退出码={code}，{self.pause:.0f} 秒后重启")
            self.stdout.flush()
        elif time.monotonic() >= self.restart_at:
            self.restart_at = None
            self.start()
