from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from whistle.core.errors import Problem
from whistle.org.scopes import Actor
from whistle.patronage.workbook_import import import_workbook, rejects_workbook


class Command(BaseCommand):
    help = (
        "从 .xlsx 导入企业、重点项目和包保关系（工作表：企业 / 项目 / 包保）。按统一社会信用代码、项目编号和包保对象去重，"
        "重复导入不会重复写入；有问题的行整行退回，写入退回清单。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 文件")
        parser.add_argument("--rejects", help="退回清单保存路径（默认：<文件名>-退回.xlsx，没有退回行则不生成）")
        parser.add_argument("--as", dest="username", help="以该账号的身份和权限范围导入（默认：系统，不限范围）")

    def handle(self, *args, file, rejects, username, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        actor = Actor.system()
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"账号不存在：{username}")
            actor = Actor.of(user)
        try:
            result = import_workbook(actor, path.read_bytes())
        except Problem as problem:
            raise CommandError(problem.detail) from None
        self.stdout.write(result.summary())
        if result.rejects:
            out = Path(rejects) if rejects else path.with_name(f"{path.stem}-退回.xlsx")
            out.write_bytes(rejects_workbook(result))
            for r in result.rejects[:20]:
                self.stdout.write(f"  {r['sheet']} 第{r['row']}行 {r['key']}：{r['reason']}")
            self.stdout.write(f"退回清单：{out}")
