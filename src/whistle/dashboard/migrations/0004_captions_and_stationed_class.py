"""Official wording and a class for every unit that handles cases (issue 14, items 2 and 15).

- `MetricDefinition.caption`: what a printed 考核通报 says about a figure, in the city's own words. The `source`
  column keeps the research notes (§8.6 …, analogues) for the admin; a report never prints it. The defaults
  below are plain descriptions of the default computations; the composite's is left empty, so it is written
  from its weights and always says what is computed.
- Ranking class `county_stationed` (驻菏单位/国企（县级）): the county-level branches of central and provincial
  units and state enterprises (国网曹县供电公司, 曹县税务局 …) lead cases from the dispatch catalogue but matched
  no class (`county_department` takes kind `department` only), so they were never ranked (rules.md §8.6 names a
  驻菏/国企 class). City-level stationed units stay in `city_department`, as before.
"""

from django.db import migrations, models

CAPTIONS = {
    "on_time": "期限内办结件 ÷ 应办结件（已答复件与超过期限仍未办结件）",
    "response": "时限内联系企业或到场件 ÷ 应联系件（时限未到且尚未联系的不计）",
    "answer": "1个工作日内提出处理意见件 ÷ 应答复件（时限未到且尚未答复的不计）",
    "resolution": "回访已解决件 ÷ 回访有效件（部分解决计0.5件，无法联系的不计）",
    "satisfaction": "（满意件 + 基本满意件）÷ 有效评价件",
    "satisfaction_strict": "满意件 ÷ 有效评价件",
    "return_rate": "退单过的件 ÷ 派单件",
    "reopen_rate": "重办过的件 ÷ 回访件",
    "poor_callback": "已联系评价人的差评整改件 ÷ 差评整改件",
}

STATIONED = dict(
    code="county_stationed",
    name="驻菏单位/国企（县级）",
    level="county",
    kinds=["stationed"],
    group_by="unit",
    min_cases=5,
    window_months=3,
    list_length=3,
    order=35,
)


def load(apps, schema_editor):
    MetricDefinition = apps.get_model("dashboard", "MetricDefinition")
    RankingClass = apps.get_model("dashboard", "RankingClass")
    for code, caption in CAPTIONS.items():
        MetricDefinition.objects.filter(code=code, caption="").update(caption=caption)
    composite = MetricDefinition.objects.filter(code="composite").first()
    if composite is not None and not RankingClass.objects.filter(code=STATIONED["code"]).exists():
        RankingClass.objects.create(metric=composite, **STATIONED)


def unload(apps, schema_editor):
    apps.get_model("dashboard", "RankingClass").objects.filter(code=STATIONED["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0003_pending_and_now_facts")]
    operations = [
        migrations.AddField(
            model_name="metricdefinition",
            name="caption",
            field=models.CharField(
                "通报说明",
                max_length=200,
                blank=True,
                help_text="印发的考核通报和排名页上对本指标的说明（本市自己的表述）；综合得分留空时按权重自动生成",
            ),
        ),
        migrations.AlterField(
            model_name="metricdefinition",
            name="source",
            field=models.CharField("口径来源", max_length=200, blank=True, help_text="研究出处与备注，只在后台显示"),
        ),
        migrations.RunPython(load, unload),
    ]
