"""Defaults (rules.md §9, §7b): the 16 cities of Shandong, the catalogue (10 main economic indicators and the tax
share's component, air and water quality, 可网办率 and 一窗受理率, whistle's own three rates), the warning rules, the
towns' reward/penalty scheme, and the accountability rule repeated warnings are proposed under. Every row is
editable in the admin; reporting and lead units are set there (or by the demo), since units are a city's data."""

from django.db import migrations

CITIES = ["济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂", "德州", "聊城", "滨州", "菏泽"]
CITY_CODES = [
    "jinan", "qingdao", "zibo", "zaozhuang", "dongying", "yantai", "weifang", "jining",
    "taian", "weihai", "rizhao", "linyi", "dezhou", "liaocheng", "binzhou", "heze",
]
ECON = ["province", "county"]
AIR_PARTS = {
    "pm25": {"weight": 1, "divisor": 35},
    "pm10": {"weight": 1, "divisor": 70},
    "so2": {"weight": 1, "divisor": 60},
    "no2": {"weight": 1, "divisor": 40},
    "o3": {"weight": 1, "divisor": 160},
    "co": {"weight": 1, "divisor": 4},
}

# code, name, category, measure, frequency, cumulative, aggregation, direction, derivation, params, rank basis,
# peer sets, jump %, skip January, caption, source
CATALOGUE = [
    ("gdp", "地区生产总值", "economy", "亿元", "quarter", True, "sum", "higher", "reported", {}, "growth", ECON, 20, False,
     "按可比价格计算的累计增速", "rules.md §9.1: quarterly and cumulative; growth 可比 (real)"),
    ("industry_va", "规上工业增加值", "economy", "%", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 30, False,
     "规模以上工业增加值累计增速（可比价）；规上指年主营业务收入2000万元及以上", "rules.md §9.1 (jiyuan, gaizhou)"),
    ("fixed_investment", "固定资产投资", "economy", "%", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 30, True,
     "计划总投资500万元及以上项目和房地产开发投资，不含农户；1月份免报", "rules.md §9.1 (tjj.fj.gov.cn)"),
    ("retail", "社会消费品零售总额", "economy", "亿元", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 30, False,
     "累计增速", "rules.md §9.1"),
    ("services_revenue", "规上服务业营业收入", "economy", "亿元", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 30, False,
     "累计增速", "rules.md §9.1 [I] frequency not found"),
    ("budget_revenue", "一般公共预算收入", "economy", "亿元", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 30, False,
     "累计完成及增速", "rules.md §9.1 (puyang)"),
    ("trade", "进出口总额", "economy", "亿元", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 40, False,
     "海关统计，累计增速", "rules.md §9.1: 海关 data"),
    ("fdi", "实际使用外资", "economy", "亿美元", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 60, False,
     "以美元计，累计增速", "rules.md §9.1 2020 report"),
    ("income", "全体居民人均可支配收入", "economy", "元", "quarter", True, "sum", "higher", "reported", {}, "growth", ECON, 20, False,
     "累计增速", "rules.md §9.1"),
    ("tax_share", "税收占比", "economy", "%", "month", True, "last", "higher", "share",
     {"numerator": "tax_revenue", "denominator": "budget_revenue"}, "value", ECON, 20, False,
     "税收收入占一般公共预算收入的比重", "rules.md §9.1 definitions (zetdz)"),
    ("tax_revenue", "税收收入", "economy", "亿元", "month", True, "sum", "higher", "reported", {}, "growth", ECON, 30, False,
     "一般公共预算收入中的税收收入（税收占比的分子）", "rules.md §9.1"),
    ("pm25", "PM2.5平均浓度", "environment", "μg/m³", "month", False, "mean", "lower", "reported", {}, "value",
     ["province", "county"], 60, False, "累计平均浓度", "HJ 663-2013"),
    ("pm10", "PM10平均浓度", "environment", "μg/m³", "month", False, "mean", "lower", "reported", {}, "value",
     ["province", "county"], 60, False, "累计平均浓度", "HJ 663-2013"),
    ("so2", "SO₂平均浓度", "environment", "μg/m³", "month", False, "mean", "lower", "reported", {}, "value", [], 80, False,
     "综合指数分项", "HJ 663-2013"),
    ("no2", "NO₂平均浓度", "environment", "μg/m³", "month", False, "mean", "lower", "reported", {}, "value", [], 80, False,
     "综合指数分项", "HJ 663-2013"),
    ("o3", "O₃日最大8小时第90百分位浓度", "environment", "μg/m³", "month", False, "mean", "lower", "reported", {}, "value", [], 80,
     False, "综合指数分项", "HJ 663-2013"),
    ("co", "CO日均第95百分位浓度", "environment", "mg/m³", "month", False, "mean", "lower", "reported", {}, "value", [], 80, False,
     "综合指数分项（第95百分位）", "rules.md §9.2: use the 95th, as 河源 does"),
    ("good_days", "优良天数比例", "environment", "%", "month", False, "mean", "higher", "reported", {}, "value",
     ["province", "county"], 40, False, "AQI≤100的天数占有效监测天数的比例", "rules.md §9.2"),
    ("air_index", "环境空气质量综合指数", "environment", "", "month", False, "mean", "lower", "composite",
     {"parts": AIR_PARTS}, "value", ["province", "county"], 40, False,
     "六项污染物浓度与二级标准之比的和（HJ 663-2013），越小越好", "rules.md §9.2"),
    ("town_air_index", "乡镇空气质量综合指数（月）", "environment", "", "month", False, "mean", "lower", "composite",
     {"parts": AIR_PARTS}, "single", ["town"], 40, False,
     "乡镇（街道、园区）当月空气质量综合指数，按月排名", "rules.md §7b: 172 乡镇/园区 monthly ranking"),
    ("water_index", "水环境质量指数（CWQI）", "environment", "", "month", False, "mean", "lower", "reported", {}, "value",
     ["province", "county"], 40, False, "城市水质指数，越小越好", "rules.md §9.3"),
    ("online_rate", "可网办率", "service", "%", "month", False, "last", "higher", "reported", {}, "value",
     ["province", "county"], 15, False, "可网上申请办理的依申请政务服务事项数占事项总数的比例（按事项计）",
     "rules.md §9.4 [I] no official formula"),
    ("one_window_rate", "一窗受理率", "service", "%", "month", False, "last", "higher", "reported", {}, "value",
     ["province", "county"], 15, False, "纳入综合窗口受理的进驻事项占进驻大厅事项总数的比例",
     "rules.md §9.4 [I] no official formula"),
    ("whistle_response", "企业吹哨响应率", "whistle", "%", "month", False, "mean", "higher", "whistle_rate",
     {"metric": "response"}, "single", ["county"], 30, False, "本平台按时联系企业的比例（月度，口径见考核指标）",
     "dashboard MetricDefinition response"),
    ("whistle_resolution", "企业吹哨解决率", "whistle", "%", "month", False, "mean", "higher", "whistle_rate",
     {"metric": "resolution"}, "single", ["county"], 30, False, "本平台诉求解决的比例（月度）",
     "dashboard MetricDefinition resolution"),
    ("whistle_satisfaction", "企业吹哨满意率", "whistle", "%", "month", False, "mean", "higher", "whistle_rate",
     {"metric": "satisfaction"}, "single", ["county"], 30, False, "本平台回访满意的比例（月度）",
     "dashboard MetricDefinition satisfaction"),
]
ECON_CODES = [c[0] for c in CATALOGUE if c[2] == "economy" and c[0] != "tax_revenue"]

# code, name, kind, indicators, peer set, periods, places, bottom n, chance, counting, lookback, answer days,
# escalate after, escalate months
RULES = [
    ("econ-below-target", "主要经济指标增速连续两期低于年度目标", "below_target", ECON_CODES, "province", 2, 3, 10, 30,
     "run", 3, 5, 3, 12),
    ("econ-rank-drop", "主要经济指标全省位次下降3位及以上", "rank_drop", ECON_CODES, "province", 2, 3, 10, 30, "each", 1, 5,
     3, 12),
    ("econ-projection", "按进度测算年末完成目标的可能性低于30%", "projection", ECON_CODES, "province", 2, 3, 10, 30, "run",
     1, 10, 0, 12),
    ("county-below-target", "县区指标连续两期低于年度目标", "below_target", [], "county", 2, 3, 10, 30, "run", 3, 5, 3, 12),
    ("county-decline", "县区指标增速连续3期回落", "decline", ECON_CODES, "county", 3, 3, 10, 30, "run", 3, 5, 0, 12),
    ("town-air-bottom", "乡镇空气质量月度排名后10位", "bottom", ["town_air_index"], "town", 1, 3, 10, 30, "each", 1, 5, 2,
     12),
]
ISSUERS = {"town-air-bottom": ("菏泽市生态环境委员会办公室", "菏环委预")}


def forwards(apps, schema_editor):
    Region = apps.get_model("indicators", "Region")
    Indicator = apps.get_model("indicators", "Indicator")
    WarningRule = apps.get_model("indicators", "WarningRule")
    RewardScheme = apps.get_model("indicators", "RewardScheme")
    Rule = apps.get_model("accountability", "Rule")
    for order, (code, name) in enumerate(zip(CITY_CODES, CITIES), start=1):
        Region.objects.get_or_create(
            code=code, defaults=dict(name=f"{name}市", peer_set="province", is_home=code == "heze", order=order)
        )
    for order, row in enumerate(CATALOGUE, start=1):
        (code, name, category, measure, frequency, cumulative, aggregation, direction, derivation, params, basis,
         peer_sets, jump, skip_january, caption, source) = row
        Indicator.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name, category=category, measure=measure, frequency=frequency, cumulative=cumulative,
                aggregation=aggregation, direction=direction, derivation=derivation, params=params, rank_basis=basis,
                peer_sets=peer_sets, jump_pct=jump, skip_january=skip_january, caption=caption, source=source,
                order=order * 10, decimals=1 if measure == "%" or not measure else 2,
            ),
        )
    for row in RULES:
        (code, name, kind, indicators, peer_set, periods, places, bottom_n, chance, counting, lookback, answer_days,
         escalate_after, escalate_months) = row
        extra = {}
        if code in ISSUERS:
            extra = {"issuer": ISSUERS[code][0], "letter_prefix": ISSUERS[code][1]}
        WarningRule.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name, kind=kind, indicators=indicators, peer_set=peer_set, periods=periods, places=places,
                bottom_n=bottom_n, chance_pct=chance, counting=counting, lookback=lookback, answer_days=answer_days,
                escalate_after=escalate_after, escalate_months=escalate_months, **extra,
            ),
        )
    RewardScheme.objects.get_or_create(
        code="town-air",
        defaults=dict(
            name="乡镇空气质量月度排名奖惩（参照日照办法）",
            indicator=Indicator.objects.get(code="town_air_index"),
            peer_set="town",
            rewards=[[1, 3, 15], [4, 5, 10]],
            penalties=[[1, 3, 15], [4, 5, 10]],
        ),
    )
    Rule.objects.get_or_create(
        code="indicator-warnings",
        defaults=dict(
            name="累计收到指标预警函提出约谈",
            kind="indicators",
            action="talk",
            subjects=["unit"],
            months=12,
            description="由指标监测模块按各预警规则的“累计几次提出约谈”提出，依据中附预警函和数据",
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial"), ("accountability", "0006_rule_kind_indicators")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
