"""Default rules of 亩产效益 (domain/rules.md §5), editable in the admin afterwards.

- Figures and their owners: 税务 (tax), 自然资源 (land), 发改 (energy), 供电 (electricity), 生态环境 (emissions),
  科技 (R&D, filed by the firm), 统计 (sales, value added), 人社 (employees).
- The city's default scheme for 2025: the weighted formula of 黄岩 2022 (规上 30/20/20/10/10/10, 规下 50/50), each
  benchmark twice the participants' average (淮安), the average score for a missing emission figure (黄岩), classes
  A ≤ 20 %, B to 75 %, D ≥ 5 % (昌乐), the 一票否决 items and the protections of 昌乐, 公示 5 working days (3–7).
- The D-class electricity surcharge: +0.05 / +0.10 / +0.15 元/kWh after 1 / 2 / 3+ consecutive years (山东 2022).
  Water and gas are priced by the city's and counties' 发改 bureaus: no default rows.
- What each class brings (用地、用能、信贷、奖励), from 鲁政字〔2019〕235号 and 济宁高新区's wording.
"""

from decimal import Decimal

from django.db import migrations

FIGURES = [
    ("tax", "税收", "万元", "tax", "税务部门", False),
    ("land_area", "用地面积", "亩", "zrzy", "自然资源部门", False),
    ("energy", "综合能耗", "吨标准煤", "fgw", "发改部门", False),
    ("electricity", "用电量", "万千瓦时", "power", "供电公司", False),
    ("emissions", "主要污染物排放量", "吨", "sthj", "生态环境部门", False),
    ("rd_spending", "研发经费支出", "万元", "kjj", "科技部门", True),
    ("sales", "主营业务收入", "万元", "tjj", "统计部门", False),
    ("value_added", "工业增加值", "万元", "tjj", "统计部门", False),
    ("employees", "年平均职工人数", "人", "rsj", "人社部门", False),
]
# group, code, name, numerator, denominator, scale, unit, weight, missing
INDICATORS = [
    ("above", "tax_per_mu", "亩均税收", "tax", "land_area", 1, "万元/亩", 30, "zero"),
    ("above", "va_per_mu", "亩均增加值", "value_added", "land_area", 1, "万元/亩", 20, "zero"),
    ("above", "va_per_energy", "单位能耗增加值", "value_added", "energy", 1, "万元/吨标准煤", 20, "zero"),
    ("above", "va_per_emission", "单位排放增加值", "value_added", "emissions", 1, "万元/吨", 10, "average"),
    ("above", "labour_productivity", "全员劳动生产率", "value_added", "employees", 1, "万元/人", 10, "zero"),
    ("above", "rd_intensity", "研发经费投入强度", "rd_spending", "sales", 100, "%", 10, "zero"),
    ("below", "tax_per_mu", "亩均税收", "tax", "land_area", 1, "万元/亩", 50, "zero"),
    ("below", "tax_per_kwh", "单位电耗税收", "tax", "electricity", 1, "万元/万千瓦时", 50, "zero"),
]
ITEMS = [
    ("veto", "safety_accident", "发生较大及以上安全生产事故"),
    ("veto", "environment_accident", "发生重大环境污染事故"),
    ("veto", "food_safety_accident", "发生重大食品安全事故"),
    ("veto", "targets_missed", "未完成能耗、排放或产能压减目标"),
    ("protection", "new_firm", "新建企业（投产未满三年）"),
    ("protection", "newly_promoted", "新升规企业"),
    ("protection", "major_project", "在建重大项目企业"),
]
POLICIES = [
    ("A", "land", "用地", "新增用地优先保障"),
    ("A", "energy", "用能排放", "用能、排放指标优先安排"),
    ("A", "credit", "信贷", "推荐金融机构优先支持"),
    ("A", "awards", "奖励", "创新项目、平台申报和财政奖励优先"),
    ("B", "support", "支持发展", "在用地、用能、信贷等方面积极支持"),
    ("C", "improve", "提升发展", "相对控制新增资源，督促技改提升"),
    ("D", "price", "差别化价格", "执行差别化电价等价格政策"),
    ("D", "land", "用地", "原则上不新增用地"),
    ("D", "energy", "用能排放", "严格控制新增用能和排放指标"),
    ("D", "credit", "信贷", "提示金融机构审慎授信"),
]


def forward(apps, schema_editor):
    FigureKind = apps.get_model("landyield", "FigureKind")
    Scheme = apps.get_model("landyield", "Scheme")
    Indicator = apps.get_model("landyield", "Indicator")
    SchemeItem = apps.get_model("landyield", "SchemeItem")
    Surcharge = apps.get_model("landyield", "Surcharge")
    ClassPolicy = apps.get_model("landyield", "ClassPolicy")
    kinds = {}
    for order, (code, name, unit, function, label, files) in enumerate(FIGURES):
        kinds[code] = FigureKind.objects.create(
            code=code,
            name=name,
            unit=unit,
            owner_function=function,
            owner_label=label,
            enterprise_files=files,
            order=order,
        )
    scheme = Scheme.objects.create(
        year=2025,
        name="菏泽市亩产效益评价办法",
        basis="鲁政字〔2019〕235号；权重与公式参照黄岩2022办法，基准取参评企业平均值的2倍（淮安），分类比例参照昌乐",
        publicity_days=5,
    )
    for order, (group, code, name, num, den, scale, unit, weight, missing) in enumerate(INDICATORS):
        Indicator.objects.create(
            scheme=scheme,
            group=group,
            code=code,
            name=name,
            numerator=kinds[num],
            denominator=kinds[den],
            scale=Decimal(scale),
            value_unit=unit,
            weight=Decimal(weight),
            benchmark_mode="average",
            benchmark_factor=Decimal(2),
            missing=missing,
            order=order,
        )
    for kind, code, name in ITEMS:
        SchemeItem.objects.create(scheme=scheme, kind=kind, code=code, name=name)
    basis = "山东省2022年亩产效益D类企业差别电价：连续1年0.05元、2年0.10元、3年及以上0.15元，与其他加价不叠加"
    for years, amount in ((1, "0.05"), (2, "0.10"), (3, "0.15")):
        Surcharge.objects.create(
            utility="power", klass="D", min_years=years, amount=Decimal(amount), unit="元/千瓦时", basis=basis
        )
    for klass, code, name, effect in POLICIES:
        ClassPolicy.objects.create(klass=klass, code=code, name=name, effect=effect)


def backward(apps, schema_editor):
    for model in ("ClassPolicy", "Surcharge", "SchemeItem", "Indicator", "Scheme", "FigureKind"):
        apps.get_model("landyield", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("landyield", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
