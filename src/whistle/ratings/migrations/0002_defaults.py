"""Rules as data: the anti-abuse limits, and the rectification (差评整改) category with its SLA profile
(domain/rules.md §3, §8.3: fix within 15 working days; a city edits these in the admin)."""
from django.db import migrations

PARAMETERS = [
    ("ratings.max_per_device_per_day", 5, "同一设备每天最多评价次数（超出拒绝）"),
    ("ratings.max_per_network_per_hour", 30, "同一网络（IPv4 /24、IPv6 /64）每小时最多评价次数（超出拒绝）"),
    ("ratings.burst_threshold", 10, "同一干部或窗口在突发窗口内的评价数达到此值后，新评价待复核、暂不计入"),
    ("ratings.burst_window_minutes", 60, "判断评价突发的时间窗口（分钟）"),
]

H, WD = "hours", "working_days"
PROFILE = ("rectification", "差评整改（1个工作日回访核实，15个工作日整改反馈）", {
    "return_window": (2, WD), "contact": (1, WD), "opinion": (3, WD), "resolve": (15, WD),
    "resolve_complex": (30, WD), "extension": (7, WD), "reopen": (15, WD),
})
CATEGORY = ("rating-rectification", "差评整改", "扫码评价“不满意”“非常不满意”后的回访核实与整改")


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description in PARAMETERS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})
    SlaProfile = apps.get_model("cases", "SlaProfile")
    SlaStage = apps.get_model("cases", "SlaStage")
    code, name, stages = PROFILE
    profile, _ = SlaProfile.objects.get_or_create(code=code, defaults={"name": name, "is_default": False})
    for stage, (amount, unit) in stages.items():
        SlaStage.objects.get_or_create(profile=profile, stage=stage, defaults={"amount": amount, "unit": unit})
    code, name, description = CATEGORY
    apps.get_model("cases", "Category").objects.get_or_create(
        code=code, defaults={"name": name, "description": description, "sla_profile": profile})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in PARAMETERS]).delete()
    apps.get_model("cases", "Category").objects.filter(code=CATEGORY[0]).delete()
    apps.get_model("cases", "SlaProfile").objects.filter(code=PROFILE[0]).delete()


class Migration(migrations.Migration):
    dependencies = [("ratings", "0001_initial"), ("core", "0002_default_rules"), ("cases", "0005_case_channel_rating")]
    operations = [migrations.RunPython(load, unload)]
