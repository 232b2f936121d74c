"""不罚/轻罚 figures (issue 20): matching a finding against a 400-item list (p95 < 50 ms) and the monthly figures at
1,000,000 findings (p95 < 200 ms), each beside its baseline in the same run.

    createdb -h 127.0.0.1 -U postgres bench_leniency
    export WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_leniency
    .venv/bin/whistle migrate
    .venv/bin/python bench/leniency_bench.py [--findings 1000000] [--items 400] [--reps 200] [--markdown]

(without WHISTLE_DATABASE_URL it runs on the SQLite file under var/). The script makes what it needs once and keeps
it: an organisation of 10 counties with 7 enforcing departments each and the city's, 5,000 enterprises, a province
version of `--items` items (the demo's Shandong items and synthetic ones built from the same vocabulary, all cut
by the matcher's tokenizer), and `--findings` findings over 24 months with their inspections, written set-wise
(COPY on PostgreSQL, executemany on SQLite; nothing passes through the services, which the tests cover).

Figures, p50/p95 in ms, in-process:
- `match`: `selectors.suggest` for one finding's text — the versions in force that day, the list's words, jieba
  on the text, the ranking, the five best items read back; baseline: cutting the text alone (jieba);
- `match + conditions`: `selectors.suggestions_for` on a stored finding — the above plus each suggested item's
  conditions checked against the enterprise's history in the million findings;
- `monthly figures`: `selectors.monthly_figures` for one month, as a city leader and as a county coordinator;
  baseline: a bare `COUNT(*)` of the month's findings; and `repeated_inspections` for the same month.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whistle.settings")
os.environ.setdefault("WHISTLE_DEMO", "1")  # benchmarks run on the public demo keys (settings.DEMO)
import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from whistle.core.months import add_months  # noqa: E402
from whistle.enterprises.models import Enterprise  # noqa: E402
from whistle.leniency import demo_lists, matching, selectors, services  # noqa: E402
from whistle.leniency.models import Condition, Finding, Inspection, ListVersion  # noqa: E402
from whistle.org.models import Membership, Unit  # noqa: E402
from whistle.org.scopes import Actor  # noqa: E402

FUNCTIONS = ["scjg", "sthj", "yjj", "jtj", "zjj", "rsj", "tax"]
SUBJECTS = [
    "经营者",
    "食品经营者",
    "排污单位",
    "生产经营单位",
    "道路运输经营者",
    "施工单位",
    "用人单位",
    "纳税人",
    "个体工商户",
    "网络交易经营者",
    "医疗器械经营企业",
    "药品零售企业",
    "物业服务企业",
    "旅行社",
]
ACTS = [
    "未按规定公示",
    "未在醒目位置悬挂",
    "未按规定建立",
    "未如实记录",
    "未按期报送",
    "未及时办理",
    "未按规定设置",
    "未按规定备案",
    "超过有效期使用",
    "未按要求保存",
    "未随车携带",
    "未按规定更新",
    "未明示",
    "未按规定标注",
]
OBJECTS = [
    "营业执照",
    "价格标签",
    "进货查验记录",
    "环境管理台账",
    "安全警示标志",
    "车辆营运证",
    "工程概况牌",
    "职工名册",
    "工资支付制度",
    "纳税申报资料",
    "许可证",
    "健康证明",
    "应急预案",
    "计量器具检定证书",
    "产品标签标识",
    "收费标准",
    "服务项目",
    "危险废物识别标志",
    "排放口标志牌",
    "消防安全标志",
    "从业资格证",
    "广告审查批准文号",
]


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(fn, reps: int) -> tuple[float, float]:
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return quantiles(samples)


# ---- data --------------------------------------------------------------------------------------------------------


def make_org(rng: random.Random) -> None:
    if Unit.objects.filter(code="bench").exists():
        return
    city = Unit.objects.create(code="bench", name="基准市人民政府", level="city", kind="government")
    for f in FUNCTIONS:
        Unit.objects.create(code=f"bench-{f}", name=f"基准市{f}局", level="city", kind="department", parent=city)
    counties = []
    for n in range(10):
        county = Unit.objects.create(
            code=f"bx{n}", name=f"基准{n}县人民政府", level="county", kind="government", parent=city
        )
        county.county = county
        county.save()
        counties.append(county)
        for f in FUNCTIONS:
            Unit.objects.create(
                code=f"bx{n}-{f}",
                name=f"基准{n}县{f}局",
                level="county",
                kind="department",
                parent=county,
                county=county,
            )
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                uscc=f"91BENCH{n:011d}",
                name=f"基准企业{n}",
                county=counties[n % 10],
                contact_name="x",
                contact_phone="13900000000",
            )
            for n in range(5000)
        ],
        batch_size=1000,
    )
    User = get_user_model()
    for name, role, unit in [
        ("bench-leader", "leader", city),
        ("bench-office", "coordinator", counties[0]),
        ("bench-inspector", "inspector", Unit.objects.get(code="bx0-scjg")),
    ]:
        user = User.objects.create(username=name)
        Membership.objects.create(user=user, role=role, unit=unit)


def make_list(rng: random.Random, size: int) -> ListVersion:
    version = ListVersion.objects.filter(code=f"bench-{size}").first()
    if version is not None:
        return version
    system = Actor.system()
    with transaction.atomic():
        version = services.version_create(
            system,
            {
                "code": f"bench-{size}",
                "name": f"基准清单（{size}项）",
                "level": "province",
                "effective_from": "2020-01-01",
            },
        )
        conditions = list(Condition.objects.all())
        n = 0
        for field_name, (functions, rows) in demo_lists.SHANDONG_2021.items():
            field = services.field_get_or_create(version, field_name, functions)
            for row in rows:
                n += 1
                services.item_save(
                    version,
                    {
                        "number": str(n),
                        "field": field,
                        "treatment": row[1],
                        "violation": row[2],
                        "condition_text": row[3],
                        "conditions": services.parse_conditions(row[3]),
                        "legal_basis": row[4],
                        "fine_min": row[6],
                        "fine_max": row[7],
                        "keywords": row[9],
                    },
                )
        fields = [services.field_get_or_create(version, f"领域{k}", FUNCTIONS[k % 7]) for k in range(22)]
        while n < size:
            n += 1
            text = f"{rng.choice(SUBJECTS)}{rng.choice(ACTS)}{rng.choice(OBJECTS)}"
            services.item_save(
                version,
                {
                    "number": str(n),
                    "field": rng.choice(fields),
                    "treatment": "no_penalty",
                    "violation": text,
                    "condition_text": "首次违法，及时改正",
                    "conditions": rng.sample(conditions, 3),
                    "legal_basis": "《行政处罚法》第三十三条",
                },
            )
        services.review_record(
            system,
            version.pk,
            {
                "decision": "approve",
                "reviewer_unit": "基准司法局",
                "reviewer_name": "审查员",
                "reviewed_on": "2019-12-20",
            },
        )
    return version


def _write(table: str, columns: list[str], rows: list[tuple]) -> None:
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", rows)


def make_findings(rng: random.Random, total: int, version: ListVersion) -> None:
    have = Finding.objects.count()
    if have >= total:
        return
    departments = list(Unit.objects.filter(kind="department", code__startswith="b").values_list("pk", "county_id"))
    enterprises = list(Enterprise.objects.filter(uscc__startswith="91BENCH").values_list("pk", "county_id"))
    county_of = dict(enterprises)
    by_county: dict[int, list[int]] = {}
    for pk, county in enterprises:
        by_county.setdefault(county, []).append(pk)
    items = list(version.items.values_list("pk", flat=True))
    inspector = get_user_model().objects.get(username="bench-inspector").pk
    now = timezone.now()
    start = add_months(timezone.localdate().replace(day=1), -24)
    days = (timezone.localdate() - start).days
    next_inspection = (Inspection.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    icols = [
        "id",
        "department_id",
        "county_id",
        "enterprise_id",
        "inspector_id",
        "kind",
        "inspected_on",
        "subject",
        "created_at",
    ]
    fcols = [
        "inspection_id",
        "department_id",
        "county_id",
        "enterprise_id",
        "inspected_on",
        "description",
        "state",
        "suggested_item_id",
        "item_id",
        "decision",
        "answers",
        "first_offence",
        "legal_basis",
        "reason",
        "fine_standard",
        "fine_imposed",
        "deviation",
        "approval",
        "approval_note",
        "decided_at",
        "created_at",
    ]
    made = have
    chunk = 100_000
    t0 = time.perf_counter()
    while made < total:
        inspections, findings = [], []
        while len(findings) < chunk and made + len(findings) < total:
            department, county = rng.choice(departments)
            enterprise = rng.choice(by_county[county]) if county else rng.choice(enterprises)[0]
            county_id = county or county_of[enterprise]
            day = start + dt.timedelta(days=rng.randrange(days))
            pk = next_inspection
            next_inspection += 1
            inspections.append((pk, department, county_id, enterprise, inspector, "routine", day, "日常检查", now))
            for _ in range(rng.choice([1, 1, 1, 2])):
                roll = rng.random()
                item = rng.choice(items)
                if roll < 0.55:
                    decision, state, item_id, imposed = (
                        "no_penalty",
                        rng.choice(["closed"] * 8 + ["reopened", "ordered"]),
                        item,
                        0,
                    )
                elif roll < 0.65:
                    decision, state, item_id, imposed = "light_penalty", "closed", item, 2000
                else:
                    decision, state, item_id, imposed = "ordinary", "punished", None, 5000
                deviation = decision == "ordinary" and rng.random() < 0.2
                findings.append(
                    (
                        pk,
                        department,
                        county_id,
                        enterprise,
                        day,
                        "检查发现问题",
                        state,
                        item if decision != "ordinary" or deviation else None,
                        item_id,
                        decision,
                        "{}",
                        True,
                        "",
                        "拒不配合" if deviation else "",
                        5000,
                        imposed,
                        deviation,
                        "approved" if deviation else "",
                        "",
                        now,
                        now,
                    )
                )
        with transaction.atomic():
            _write("leniency_inspection", icols, inspections)
            _write("leniency_finding", fcols, findings)
        made += len(findings)
        print(f"  findings {made:,} ({time.perf_counter() - t0:.0f} s)", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('leniency_inspection', 'id'), MAX(id)) FROM leniency_inspection"
            )
            # VACUUM too, not only ANALYZE: a freshly COPYed table has no visibility map, so every index scan also
            # visited the heap (session 1's bare COUNT(*) of a month took 528 ms).
            cursor.execute("VACUUM ANALYZE leniency_inspection")
            cursor.execute("VACUUM ANALYZE leniency_finding")


# ---- figures ------------------------------------------------------------------------------------------------------


def texts(rng: random.Random, version: ListVersion, n: int) -> list[str]:
    violations = list(version.items.values_list("violation", flat=True))
    out = []
    for _ in range(n):
        if rng.random() < 0.8:
            base = rng.choice(violations).split("，")[0]
            out.append(rng.choice(["现场检查发现", "检查发现", "经查，"]) + base + rng.choice(["。", "，当场指出。"]))
        else:
            out.append(rng.choice(["消防通道堆放杂物，灭火器过期", "车间电气线路私拉乱接", "无证从事危险化学品经营"]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--figure-reps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    load = os.getloadavg()
    make_org(rng)
    version = make_list(rng, args.items)
    make_findings(rng, args.findings, version)
    ListVersion.objects.exclude(pk=version.pk).filter(level="province").update(effective_to="2020-01-02")

    inspector_unit = Unit.objects.get(code="bx0-scjg")
    county = Unit.objects.get(code="bx0")
    today = timezone.localdate()
    matching.tokenizer()  # loaded once per process, as in a web worker
    samples = texts(rng, version, args.reps)
    it = iter(samples * 3)
    results = {}
    results["cut the text (jieba), baseline"] = timed(lambda: matching.words(next(it)), args.reps)
    it = iter(samples * 3)
    results[f"match against the {args.items}-item list"] = timed(
        lambda: selectors.suggest(next(it), department=inspector_unit, county=county, day=today), args.reps
    )
    stored = list(Finding.objects.filter(county=county).order_by("-pk")[: args.reps])
    for f, text in zip(stored, samples):
        f.description = text
    fit = iter(stored * 3)
    results["match + conditions against the history"] = timed(lambda: selectors.suggestions_for(next(fit)), len(stored))
    hits = sum(1 for t in samples[:50] if selectors.suggest(t, department=inspector_unit, county=county, day=today))

    User = get_user_model()
    leader = Actor.of(User.objects.get(username="bench-leader"))
    office = Actor.of(User.objects.get(username="bench-office"))
    month = add_months(today.replace(day=1), -3)
    in_month = Finding.objects.filter(inspected_on__gte=month, inspected_on__lt=add_months(month, 1))
    results["month's findings COUNT(*), baseline"] = timed(lambda: in_month.count(), args.figure_reps)
    results["monthly figures, city leader"] = timed(lambda: selectors.monthly_figures(leader, month), args.figure_reps)
    results["monthly figures, county coordinator"] = timed(
        lambda: selectors.monthly_figures(office, month), args.figure_reps
    )
    results["repeated inspections, city leader"] = timed(
        lambda: selectors.repeated_inspections(leader, month), args.figure_reps
    )
    total = Finding.objects.count()
    month_rows = in_month.count()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(
        f"\n{connection.vendor}, {total:,} findings ({month_rows:,} in {month:%Y-%m}), list of "
        f"{version.items.count()} items; {hits}/50 sample texts matched; commit {commit}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load before {load[0]:.1f}, "
        f"after {os.getloadavg()[0]:.1f}"
    )
    print("| figure | p50 ms | p95 ms |\n|---|---|---|")
    for name, (p50, p95) in results.items():
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
