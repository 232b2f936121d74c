from django.core.management.base import BaseCommand, CommandError

from whistle.reforms.audit import verify
from whistle.reforms.lights import sweep


class Command(BaseCommand):
    help = (
        "改革任务：whistle reforms verify 核验各任务进展记录的哈希链；whistle reforms sweep 立即亮灯并发出提醒、督办函"
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify", "sweep"])

    def handle(self, *args, what, **options):
        if what == "sweep":
            self.stdout.write(str(sweep()))
            return
        report = verify()
        for line in report.broken:
            self.stderr.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.broken)} 处被改动（共检查 {report.tasks} 项任务、{report.events} 条记录）")
        self.stdout.write(f"OK：{report.tasks} 项任务、{report.events} 条记录，哈希链完整")
