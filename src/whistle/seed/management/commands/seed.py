import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string

from whistle.cases.models import Case, CaseEvent, Category, DispatchRule, State
from whistle.core import partitions
from whistle.enterprises.models import Enterprise
from whistle.org.models import Unit
from whistle.seed.bulk import generate_cases
from whistle.seed.heze import is_loaded, load_heze
from whistle.seed.history import generate_history
from whistle.seed.province import load_province


class Command(BaseCommand):
    help = (
        "加载菏泽演示数据：单位、企业、问题分类与派单目录、演示账号和一年的工单（经真实流程办理）。"
        "--cases N 则批量生成 N 条合成工单，用于性能测试（同样的 N 和 --seed 生成同样的数据）。"
        "--province 则在菏泽演示数据之外建立山东省及其余15个设区市，各市有自己的 Open311 辖区，部分市有自有问题分类"
        "（未加载菏泽演示数据时先加载；再次运行只补充缺少的辖区和分类）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库已有数据时什么也不做（正常退出）")
        parser.add_argument("--cases", type=int, help="批量生成 N 条合成工单（不加则加载演示数据）")
        parser.add_argument("--enterprises", type=int, default=300, help="企业数量（默认300）")
        parser.add_argument("--history", type=int, default=1500, help="演示数据中一年的工单数（默认1500）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认1）")
        parser.add_argument("--province", action="store_true", help="建立16个设区市的全省演示数据")
        parser.add_argument("--cases-per-city", type=int, default=20, help="--province 时其余各市新增工单数（默认20）")
        parser.add_argument(
            "--firms-per-county", type=int, default=10, help="--province 时其余各市每个县区的企业数（默认10）"
        )

    def handle(
        self, *args, if_empty, cases, enterprises, history, seed, province, cases_per_city, firms_per_county, **options
    ):
        for name, value in (("--cases", cases), ("--enterprises", enterprises), ("--history", history)):
            if value is not None and value < (1 if name != "--history" else 0):
                raise CommandError(f"{name} 须为正整数")
        started = time.monotonic()
        # The demo's and the bulk seed's year of history goes into its months' partitions (PostgreSQL), made first.
        partitions.create_ahead(0, since=partitions.add_months(partitions.month_of(timezone.now()), -13))
        if province:
            if cases_per_city < 0 or firms_per_county < 0:
                raise CommandError("--cases-per-city 和 --firms-per-county 须为非负整数")
            if not Unit.objects.exists():
                self.demo(if_empty=False, enterprises=enterprises, history=history, seed=seed)
            elif not is_loaded():
                raise CommandError("数据库中的单位不是菏泽演示组织，无法建立全省演示数据")
            self.stdout.write(
                self.style.SUCCESS(
                    load_province(cases_per_city=cases_per_city, firms_per_county=firms_per_county, seed=seed)
                )
            )
        elif cases is not None:
            self.bulk(cases, if_empty=if_empty, enterprises=enterprises, seed=seed)
        else:
            self.demo(if_empty=if_empty, enterprises=enterprises, history=history, seed=seed)
        self.stdout.write(f"用时 {time.monotonic() - started:.1f} 秒")

    def bulk(self, cases, *, if_empty, enterprises, seed):
        if if_empty and Case.objects.exists():
            self.stdout.write("数据库已有工单，按 --if-empty 未生成合成工单")
            return
        if Unit.objects.exists() and not is_loaded():
            raise CommandError("数据库中的单位不是菏泽演示组织，无法生成合成工单")
        generate_cases(cases, seed=seed, stdout=self.stdout, enterprises=enterprises)
        self.stdout.write(self.style.SUCCESS(f"已生成 {cases:,} 条合成工单"))

    def demo(self, *, if_empty, enterprises, history, seed):
        if Unit.objects.exists() or Case.objects.exists():
            if if_empty:
                self.stdout.write("数据库已有数据，按 --if-empty 跳过加载演示数据")
                return
            raise CommandError(
                f"数据库已有数据（{Unit.objects.count()} 个单位、{Case.objects.count()} 条工单），未加载演示数据。"
                "只想在空库时加载，请加 --if-empty；要重建演示库，请先删除 var/whistle.sqlite3 再运行 whistle migrate。"
            )
        self.stdout.write(f"正在加载菏泽演示数据（{enterprises} 家企业、一年 {history} 条工单）…")
        heze = load_heze(enterprises=enterprises, seed=seed)
        result = generate_history(heze, cases=history, seed=seed)
        states = dict(Case.objects.values_list("state").annotate(n=Count("pk")))
        self.stdout.write(
            f"单位 {Unit.objects.count()} 个，企业 {Enterprise.objects.count()} 家，问题分类 {Category.objects.count()} 个，"
            f"派单目录 {DispatchRule.objects.count()} 条"
        )
        self.stdout.write(
            f"工单 {sum(states.values())} 条（"
            + "、".join(f"{label}{states.get(value, 0)}" for value, label in State.choices)
            + f"），办理记录 {CaseEvent.objects.count()} 条"
        )
        sweeps = result["sweeps"]
        self.stdout.write(
            f"巡检：黄牌 {sweeps.get('yellow_card', 0)}，红牌 {sweeps.get('red_card', 0)}，"
            f"督办单 {sweeps.get('supervise', 0)}，提级/绿色通道 {sweeps.get('escalate', 0)}"
        )
        for path in demo_seeders():
            self.stdout.write(import_string(path)(heze, seed=seed))
        if result["skipped"]:
            self.stdout.write(f"模拟中被流程拒绝而跳过的步骤：{result['skipped']}")
        self.stdout.write(self.style.SUCCESS("演示数据已加载。运行 whistle demo_logins 查看演示账号。"))


def demo_seeders() -> list[str]:
    """The demo data the other apps add on top of the organisation and its year of cases (`demo_seeders` on their
    AppConfig: dotted paths of callables taking the loaded Heze and `seed=`, returning one line to print)."""
    return [path for config in apps.get_app_configs() for path in getattr(config, "demo_seeders", ())]
