import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


def _interrupt(signum, frame):
    """`kill` stops the children too, exactly as Ctrl+C does."""
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "启动 Web 服务（granian）及时限巡检 worker"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WHISTLE_WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="不启动巡检 worker")

    def handle(self, *args, host, port, workers, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        web = subprocess.Popen([
            os.path.join(bin_dir, "granian"), "--interface", "wsgi", "--host", host, "--port", str(port),
            "--workers", str(workers), "--backpressure", "32", "--no-ws", "whistle.wsgi:application",
        ])
        worker = None if no_worker else subprocess.Popen([os.path.join(bin_dir, "whistle"), "worker"])
        public = f"  对外地址 {settings.WHISTLE_PUBLIC_URL}/" if settings.WHISTLE_PUBLIC_URL else ""
        self.stdout.write(f"whistle 已启动：http://{host}:{port}/{public}  （Ctrl+C 停止）")
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc and proc.poll() is None:
                    proc.terminate()
            for proc in (web, worker):
                if proc:
                    proc.wait(timeout=10)
