import signal
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from whistle.cases.sweeper import sweep


class Command(BaseCommand):
    help = "时限巡检：黄牌、红牌、督办单、提级与绿色通道（可重复执行，结果不变）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只巡检一次后退出")
        parser.add_argument("--interval", type=int, default=settings.WHISTLE_WORKER_INTERVAL_SECONDS)

    def handle(self, *args, once=False, interval=60, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
        while True:
            close_old_connections()
            started = time.monotonic()
            counts = sweep()
            now = timezone.now()
            for job in jobs():
                counts.update(job(now))
            if any(counts.values()) or once:
                self.stdout.write("巡检完成 " + " ".join(f"{k}={v}" for k, v in counts.items()) + f" 用时{time.monotonic() - started:.2f}s")
            if once or stop:
                return
            for _ in range(interval):
                if stop:
                    return
                time.sleep(1)


def jobs():
    """The periodic jobs the apps declare (`worker_jobs` on their AppConfig), in app order, after the sweep."""
    return [import_string(path) for config in apps.get_app_configs() for path in getattr(config, "worker_jobs", ())]
