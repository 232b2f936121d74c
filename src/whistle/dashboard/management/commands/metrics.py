"""`whistle metrics refresh|rebuild|verify`: keep the monthly rollup and prove it equals the raw rows (both counted
at the rollup's measuring moment, the last refresh)."""

from django.core.management.base import BaseCommand, CommandError

from whistle.dashboard import case_rollup


class Command(BaseCommand):
    help = "月度汇总：refresh 增量更新，rebuild 全量重建，verify 与原始工单逐项核对"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh", "rebuild", "verify"])

    def handle(self, *args, action, **options):
        if action == "refresh":
            self.stdout.write(f"refreshed: {case_rollup.refresh()}")
        elif action == "rebuild":
            self.stdout.write(f"rebuilt: {case_rollup.rebuild()}")
        else:
            # At the rollup's measuring moment: a case pending then (deadline ahead, not contacted) is pending in both.
            as_of = case_rollup.as_of()
            problems = case_rollup.verify(as_of)
            for line in problems[:200]:
                self.stderr.write(line)
            if problems:
                raise CommandError(f"rollup differs from the raw rows in {len(problems)} figures (as of {as_of})")
            self.stdout.write(f"rollup agrees with the raw rows (as of {as_of})")
