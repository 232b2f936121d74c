"""`whistle import_cards FILE`: register cadres and windows from the .xlsx template (logic in ratings.card_import).
Lives here because the ratings app's own command package belongs to the bulk rating import."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from whistle.core.errors import Problem
from whistle.org.scopes import Actor
from whistle.ratings.card_import import import_cards, rejects_xlsx, template_xlsx


class Command(BaseCommand):
    help = "从 .xlsx 导入干部和窗口（全部合格才导入；按亮码编号幂等）"

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="按模板填写的 .xlsx 文件")
        parser.add_argument("--rejects", default=None, help="退回清单写到此文件（默认：<文件名>.rejects.xlsx）")
        parser.add_argument("--template", metavar="OUT", default=None, help="只写出导入模板到 OUT")

    def handle(self, *args, file=None, rejects=None, template=None, **options):
        if template:
            Path(template).write_bytes(template_xlsx())
            self.stdout.write(f"模板已写出：{template}")
            return
        if not file:
            raise CommandError("请指定要导入的 .xlsx 文件")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        try:
            result = import_cards(Actor.system(), path.read_bytes(), path.name)
        except Problem as problem:
            raise CommandError(problem.detail) from None
        if result.rejects:
            out = Path(rejects or path.with_suffix(".rejects.xlsx"))
            out.write_bytes(rejects_xlsx(result.rejects))
            for line, reason in result.rejects[:20]:
                self.stderr.write(f"第{line}行：{reason}")
            raise CommandError(f"{len(result.rejects)} 行不合格，未导入任何数据；退回清单：{out}")
        self.stdout.write(
            self.style.SUCCESS(f"导入完成：新增 {result.created}，更新 {result.updated}，未变化 {result.unchanged}")
        )
