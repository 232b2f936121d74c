from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from whistle.core.backup import BackupError, backup, utc_stamp


class Command(BaseCommand):
    help = (
        "备份数据库（PostgreSQL：pg_dump -Fc；SQLite：在线备份）、上传文件和清单（各表行数、校验和）到一个新目录。"
        "密钥不在备份中，须另行保管（见 docs/operations.md“备份与恢复”）"
    )

    def add_arguments(self, parser):
        parser.add_argument("target", nargs="?", help="备份目录（须为新目录；默认 var/backups/<时间>）")

    def handle(self, *args, target=None, **options):
        target = Path(target) if target else Path(settings.VAR_DIR) / "backups" / utc_stamp()
        try:
            manifest = backup(target)
        except BackupError as refused:
            raise CommandError(str(refused)) from None
        counts = manifest["counts"]
        self.stdout.write(
            f"备份完成：{target}\n"
            f"  数据库 {manifest['database']['vendor']}：{counts.get('cases.Case', 0)} 件工单、"
            f"{counts.get('cases.CaseEvent', 0)} 条工单记录，共 {len(counts)} 张表\n"
            f"  上传文件 {manifest['media']['files']} 个\n"
            "  注意：密钥（WHISTLE_SECRET_KEY、WHISTLE_HASH_KEY）不在备份中，请另行保管"
        )
