"""`whistle partitions`: the monthly partitions of the tables that grow (PostgreSQL; docs/operations.md, 归档旧分区).

whistle partitions list                     every partition, attached or detached, with its row estimate
whistle partitions create --months N        this month and the next N, where missing (the worker does this too)
whistle partitions detach --before YYYY-MM  detach the months before, never drop; prints the pg_dump to archive them
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from whistle.core import partitions
from whistle.core.errors import Problem
from whistle.core.rules import int_param


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"月份格式应为 YYYY-MM，如 2025-01：{text}") from None


class Command(BaseCommand):
    help = "分区表：list 列出分区；create 提前建好未来几个月的分区；detach 分离（不删除）某月之前的分区以便归档"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "create", "detach"])
        parser.add_argument(
            "--months", type=int, help="create：提前建几个月（默认取规则参数 core.partitions_months_ahead）"
        )
        parser.add_argument("--before", type=_month, help="detach：分离该月（YYYY-MM）之前的分区")
        parser.add_argument("--from", dest="since", type=_month, help="create：从该月（YYYY-MM）起建（补建历史月份）")

    def handle(self, *args, action, months, before, since, **options):
        if connection.vendor != "postgresql":
            raise CommandError("分区表只在 PostgreSQL 上使用；当前数据库不分区")
        if action == "list":
            for spec in partitions.declared():
                if not partitions.is_partitioned(spec.table):
                    self.stdout.write(f"{spec.table}：未分区（尚未迁移）")
                    continue
                self.stdout.write(f"{spec.table}（按 {spec.column} 分月）")
                for p in partitions.partitions(spec.table):
                    state = "已挂载" if p.attached else "已分离"
                    rows = "未统计" if p.rows < 0 else f"约 {p.rows} 行"
                    month = f"{p.month:%Y-%m}" if p.month else "默认分区"
                    self.stdout.write(f"  {p.name}  {month}  {state}  {rows}")
            return
        if action == "create":
            if months is not None and not 0 <= months <= 120:
                raise CommandError("--months 应在 0 到 120 之间")
            n = months if months is not None else int_param(partitions.MONTHS_AHEAD_PARAMETER)
            created = partitions.create_ahead(n, since=since)
            for name in created:
                self.stdout.write(f"已创建 {name}")
            self.stdout.write(f"共创建 {len(created)} 个分区（本月及以后 {n} 个月）")
            return
        if before is None:
            raise CommandError("detach 需要 --before YYYY-MM")
        try:
            detached = partitions.detach(before)
        except Problem as refused:
            raise CommandError(refused.detail) from None
        if not detached:
            self.stdout.write(f"{before:%Y-%m} 之前没有挂载中的分区")
            return
        database = settings.DATABASES["default"]["NAME"]
        for p in detached:
            self.stdout.write(f"已分离 {p.name}（{p.month:%Y-%m}），数据仍在库中")
        tables = " ".join(f"-t {p.name}" for p in detached)
        self.stdout.write("归档（在数据库服务器上执行，核对转储后再删除表）：")
        self.stdout.write(f"  pg_dump -Fc {tables} -f whistle-archive-{before:%Y%m}.dump {database}")
        for p in detached:
            self.stdout.write(f"  -- 确认归档后：DROP TABLE {p.name};")
