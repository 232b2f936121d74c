from django.core.management.base import BaseCommand, CommandError

from whistle.cases.audit import verify_chains


class Command(BaseCommand):
    help = "审计：whistle audit verify 重新计算每个工单的记录哈希链，发现改动即以非零状态退出并列出工单号"

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify"])

    def handle(self, *args, **options):
        checked, broken = verify_chains()
        for b in broken:
            self.stderr.write(f"{b.case_number} 第{b.seq}条：{b.reason}")
        if broken:
            raise CommandError(f"{len(broken)} 个工单的记录链被改动（共检查 {checked} 条记录）")
        self.stdout.write(f"OK：{checked} 条记录，哈希链完整")
