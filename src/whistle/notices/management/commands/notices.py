"""`whistle notices send`: run the sender until nothing is due (as the worker job does, without the job's lease, so
several senders can run side by side: each row is claimed by one). `whistle notices digest`: the daily digest now."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from whistle.notices import sender


class Command(BaseCommand):
    help = "消息通知：send 发送到期的消息直到没有可发的；digest 生成每日汇总"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send", "digest"])
        parser.add_argument("--batch", type=int, default=sender.BATCH, help="每次领取的条数")

    def handle(self, *args, action, batch, **options):
        if action == "digest":
            self.stdout.write(str(sender.digest_job(timezone.now())))
            return
        total: dict[str, int] = {}
        while True:
            counts = sender.deliver(owner=sender.OWNER, batch=batch)
            for key, value in counts.items():
                total[key] = total.get(key, 0) + value
            if not any(counts[k] for k in ("expanded", "sent", "failed", "given_up")):
                break
        self.stdout.write(" ".join(f"{k}={v}" for k, v in total.items()))
