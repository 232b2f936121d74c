"""whistle ratings import FILE | rebuild-rollups | verify-rollups | rebuild-raters | verify-raters"""

from django.core.management.base import BaseCommand, CommandError

from whistle.ratings import rating_raters, rating_rollup


class Command(BaseCommand):
    help = (
        "好差评：whistle ratings import FILE 导入评价（CSV、JSONL、xlsx）；rebuild-rollups 按评价重建月汇总；"
        "verify-rollups 重算并核对月汇总，不一致即以非零状态退出并指出第一处；rebuild-raters、verify-raters 按评价重建、"
        "核对各设备和手机号的首次有效评价时间（突发评价规则用，PostgreSQL）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "what", choices=["import", "rebuild-rollups", "verify-rollups", "rebuild-raters", "verify-raters"]
        )
        parser.add_argument("file", nargs="?", help="import：评价文件（.csv、.jsonl、.xlsx）")
        parser.add_argument("--rejects", help="import：问题行写入此文件（默认 FILE.rejects.csv）")
        parser.add_argument("--batch", type=int, default=None, help="import：每批行数（每批一个事务）")
        parser.add_argument("--no-progress", action="store_true", help="import：不显示进度条")

    def handle(self, *args, what, file=None, rejects=None, batch=None, no_progress=False, **options):
        if what == "rebuild-rollups":
            self.stdout.write(f"OK：月汇总已重建，共 {rating_rollup.rebuild()} 行")
        elif what == "verify-rollups":
            checked, bad = rating_rollup.verify()
            if bad:
                raise CommandError(f"月汇总与评价不一致（{len(bad)} 处，共核对 {checked} 行）；第一处：{bad[0]}")
            self.stdout.write(f"OK：{checked} 行月汇总与评价一致")
        elif what == "rebuild-raters":
            self.stdout.write(f"OK：首次有效评价表已重建，共 {rating_raters.rebuild()} 个设备和手机号")
        elif what == "verify-raters":
            checked, bad = rating_raters.verify()
            if bad:
                raise CommandError(f"首次有效评价表与评价不一致（至少 {len(bad)} 处）；第一处：{bad[0]}")
            self.stdout.write(f"OK：{checked} 个设备和手机号的首次有效评价时间与评价一致")
        else:
            if not file:
                raise CommandError("请给出要导入的文件")
            from whistle.ratings.rating_import import import_file

            try:
                result = import_file(file, rejects_path=rejects, batch_size=batch, progress=not no_progress)
            except (OSError, ValueError) as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                f"OK：读入 {result.rows} 行，新增 {result.inserted} 条，已存在跳过 {result.skipped} 条，"
                f"问题行 {result.rejected} 条" + (f"（见 {result.rejects_path}）" if result.rejected else "")
            )
