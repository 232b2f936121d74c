"""Defaults for chains, every one editable in the admin: Heze's ten key chains (重点产业链, the "231" industrial
system: 生物医药 laid out as "一港四园" and 高端化工 as "3+N" lead, then 新能源新材料 and 新一代信息技术 — rules.md §6 —
and six chains of the city's backbone industries, to be confirmed by the city), the list types of "1个图谱 + N张清单",
the stages of the investment and renovation pipelines with their working-day limits, and the 亿元 threshold of the
investment figures. (The lights' own yellow rule comes in 0003.)"""

from django.db import migrations

CHAINS = [
    ("biomedicine", "生物医药", "一港四园"),
    ("chemicals", "高端化工", "3+N"),
    ("new-energy", "新能源新材料", ""),
    ("it", "新一代信息技术", ""),
    ("equipment", "高端装备制造", ""),
    ("food", "农副产品精深加工", ""),
    ("wood", "木制品及家居", ""),
    ("textile", "纺织服装", ""),
    ("auto-parts", "汽车及零部件", ""),
    ("logistics", "商贸物流", ""),
]
LIST_TYPES = [
    ("leading", "龙头骨干企业"),
    ("suppliers", "主要配套企业"),
    ("strengths", "锻长板重点领域"),
    ("gaps", "补短板突破环节"),
    ("technologies", "关键产品技术攻关"),
    ("policies", "重要支持政策"),
    ("targets", "招商引资目标企业"),
]
# (pipeline, code, name, limit in working days (None: the last stage), counts as signed)
STAGES = [
    ("investment", "target", "目标锁定", 20, False),
    ("investment", "contact", "接洽拜访", 40, False),
    ("investment", "negotiation", "商务洽谈", 60, False),
    ("investment", "signed", "签约", 40, True),
    ("investment", "registered", "注册落地", 60, False),
    ("investment", "started", "开工", 250, False),
    ("investment", "in_production", "投产", 250, False),
    ("investment", "at_capacity", "达产", None, False),
    ("renovation", "planned", "立项", 60, False),
    ("renovation", "started", "开工", 250, False),
    ("renovation", "completed", "完工", 60, False),
    ("renovation", "in_production", "投产", None, False),
]
PARAMETERS = [
    ("chains.signed_threshold_wan", 10000, "链式招商：计入“过亿元签约项目”的投资额下限（万元）", 0, None),
]


def load(apps, schema_editor):
    Chain = apps.get_model("chains", "Chain")
    for order, (code, name, layout) in enumerate(CHAINS, start=1):
        Chain.objects.get_or_create(code=code, defaults={"name": name, "layout": layout, "order": order * 10})
    ListType = apps.get_model("chains", "ListType")
    for order, (code, name) in enumerate(LIST_TYPES, start=1):
        ListType.objects.get_or_create(code=code, defaults={"name": name, "order": order * 10})
    Stage = apps.get_model("chains", "Stage")
    for order, (pipeline, code, name, limit, signed) in enumerate(STAGES, start=1):
        Stage.objects.get_or_create(
            pipeline=pipeline,
            code=code,
            defaults={"name": name, "order": order, "limit_working_days": limit, "is_signed": signed},
        )
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description, lo, hi in PARAMETERS:
        RuleParameter.objects.get_or_create(
            key=key, defaults={"value": value, "description": description, "min_value": lo, "max_value": hi}
        )


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[p[0] for p in PARAMETERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chains", "0001_initial"),
        ("core", "0001_initial"),
        ("reforms", "0002_defaults"),  # the lights read its yellow rule
    ]
    operations = [migrations.RunPython(load, unload)]
