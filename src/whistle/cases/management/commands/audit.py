from django.core.management.base import BaseCommand, CommandError

from whistle.cases.audit import verify, write_checkpoint
from whistle.org.models import Unit


class Command(BaseCommand):
    help = (
        "审计：whistle audit verify 逐件核验工单记录哈希链、工单内容与状态、缺号和签名检查点，发现改动即以非零状态退出并列出工单号；"
        "whistle audit checkpoint 立即写一个签名检查点（worker 会定期写）"
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify", "checkpoint"])
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="verify：分成几段工单号并行核验（每段一个进程，同一数据快照），默认 1",
        )
        parser.add_argument(
            "--unit",
            metavar="单位编码",
            help="verify：只核验该单位（如一个市）辖区内的工单；检查点与缺号由全量核验负责",
        )

    def handle(self, *args, what, workers=1, unit=None, **options):
        if what == "checkpoint":
            cp = write_checkpoint()
            if cp is None:
                self.stdout.write("自上一检查点以来没有变化，未写新检查点")
            else:
                self.stdout.write(
                    f"检查点#{cp.pk}：{cp.entries_count} 件工单链头，{cp.cases_count} 件工单，签名 {cp.signature}"
                )
            return
        if workers < 1 or workers > 64:
            raise CommandError("--workers 须为 1 到 64 之间的整数")
        root = None
        if unit:
            root = Unit.objects.filter(code=unit).first()
            if root is None:
                raise CommandError(f"没有编码为 {unit} 的单位")
        report = verify(progress=workers == 1, workers=workers, unit=root)
        for problem in report.checkpoint_problems:
            self.stderr.write(problem)
        for b in report.broken:
            self.stderr.write(f"{b.case_number} 第{b.seq}条：{b.reason}" if b.seq else f"{b.case_number}：{b.reason}")
        for span in report.unconfirmed_gaps:
            self.stderr.write(f"注意：{span} 缺号，尚无检查点确认（PostgreSQL 上提交回滚也会留下缺号）")
        summary = f"{report.cases} 件工单、{report.events} 条记录、{report.checkpoints} 个检查点"
        if root is not None:
            summary += f"（仅 {root.name} 辖区；检查点与缺号未核验，由全量核验负责）"
        if not report.ok:
            altered = len(report.broken) + len(report.checkpoint_problems)
            raise CommandError(f"{altered} 处被改动（共检查 {summary}）")
        self.stdout.write(f"OK：{report.events} 条记录，哈希链完整；{summary}，工单内容、状态与签名检查点一致")
