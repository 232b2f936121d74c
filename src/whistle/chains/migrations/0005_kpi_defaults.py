"""Default KPI definitions of a chain (the four of 枣庄's half-year review, rules.md §6: 新开工扩规项目, 净增规上企业,
创新平台引育, 产业集群主营收入) and the list types two of them count (新入规企业, 退规企业, 创新平台). Every one is
editable in the admin; a city changes a definition's parameters or switches it off there."""

from django.db import migrations

LIST_TYPES = [
    ("above-scale-in", "新入规企业", 80),
    ("above-scale-out", "退规企业", 90),
    ("platforms", "创新平台", 100),
]
KPIS = [
    (
        "started",
        "新开工扩规项目",
        "个",
        "projects_started",
        {"pipelines": ["investment", "renovation"]},
        "开工日期在本年度的招商项目（新建）和技改项目（扩规）",
        10,
    ),
    (
        "above-scale-net",
        "净增规上企业",
        "家",
        "list_count",
        {"plus": ["above-scale-in"], "minus": ["above-scale-out"]},
        "本年度清单“新入规企业”条目数减“退规企业”条目数",
        20,
    ),
    (
        "platforms",
        "创新平台引育",
        "个",
        "list_count",
        {"plus": ["platforms"]},
        "本年度清单“创新平台”条目数（新认定、新引进的平台）",
        30,
    ),
    ("revenue", "产业集群主营业务收入", "亿元", "reported", {}, "链办按统计部门数据填报的本年度数", 40),
]


def load(apps, schema_editor):
    ListType = apps.get_model("chains", "ListType")
    for code, name, order in LIST_TYPES:
        ListType.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    KpiDefinition = apps.get_model("chains", "KpiDefinition")
    for code, name, unit, source, params, caption, order in KPIS:
        KpiDefinition.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "source": source,
                "params": params,
                "caption": caption,
                "order": order,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("chains", "KpiDefinition").objects.filter(code__in=[k[0] for k in KPIS]).delete()


class Migration(migrations.Migration):
    dependencies = [("chains", "0004_kpis")]
    operations = [migrations.RunPython(load, unload)]
