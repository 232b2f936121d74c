"""`whistle metrics refresh|rebuild|verify`: keep the monthly rollup and prove it equals the raw rows."""
from django.core.management.base import BaseCommand, CommandError

from whistle.dashboard import rollup


class Command(BaseCommand):
    help = "月度汇总：refresh 增量更新，rebuild 全量重建，verify 与原始工单逐项核对"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh", "rebuild", "verify"])

    def handle(self, *args, action, **options):
        if action == "refresh":
            self.stdout.write(f"refreshed: {rollup.refresh()}")
        elif action == "rebuild":
            self.stdout.write(f"rebuilt: {rollup.rebuild()}")
        else:
            problems = rollup.verify()
            for line in problems[:200]:
                self.stderr.write(line)
            if problems:
                raise CommandError(f"rollup differs from the raw rows in {len(problems)} figures")
            self.stdout.write("rollup agrees with the raw rows")
