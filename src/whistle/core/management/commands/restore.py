from django.core.management.base import BaseCommand, CommandError

from whistle.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "从 whistle backup 的目录恢复到当前配置的数据库（须为新建的空库）和上传目录，并核对各表行数与清单一致；"
        "之后请运行 whistle audit verify"
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="whistle backup 写出的备份目录")

    def handle(self, *args, source, **options):
        try:
            expected, found = restore(source)
        except BackupError as refused:
            raise CommandError(str(refused)) from None
        differ = {
            label: (expected[label], found.get(label)) for label in expected if found.get(label) != expected[label]
        }
        for label, (want, got) in sorted(differ.items()):
            self.stderr.write(f"{label}：清单 {want} 行，恢复后 {got} 行")
        if differ:
            raise CommandError(f"{len(differ)} 张表的行数与备份清单不符")
        self.stdout.write(
            f"恢复完成：{len(found)} 张表的行数与备份清单一致"
            f"（{found.get('cases.Case', 0)} 件工单、{found.get('cases.CaseEvent', 0)} 条工单记录）。"
            "下一步：whistle audit verify"
        )
