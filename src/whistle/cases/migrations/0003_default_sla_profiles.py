"""SLA profiles from domain/rules.md §1 and §8.2. A city edits or adds profiles in the admin."""
from django.db import migrations

H, WD = "hours", "working_days"
PROFILES = [
    # code, name, default?, stages
    ("shandong-2115", "山东“2115”（2小时联系、1个工作日答复、15个工作日办结）", True, {
        "return_window": (2, WD), "contact": (2, H), "opinion": (1, WD), "resolve": (15, WD),
        "resolve_complex": (30, WD), "extension": (7, WD), "reopen": (15, WD),
    }),
    ("shandong-2020", "山东省企业诉求“接诉即办”（1/3/15个工作日）", False, {
        "return_window": (2, WD), "contact": (1, WD), "opinion": (3, WD), "resolve": (15, WD),
        "resolve_complex": (30, WD), "extension": (7, WD), "reopen": (15, WD),
    }),
    ("zaozhuang", "枣庄“企呼枣应”（1/2/10个工作日，复杂25）", False, {
        "return_window": (2, WD), "contact": (1, WD), "opinion": (2, WD), "resolve": (10, WD),
        "resolve_complex": (25, WD), "extension": (7, WD), "reopen": (10, WD),
    }),
]


def load(apps, schema_editor):
    SlaProfile = apps.get_model("cases", "SlaProfile")
    SlaStage = apps.get_model("cases", "SlaStage")
    for code, name, is_default, stages in PROFILES:
        profile, _ = SlaProfile.objects.get_or_create(code=code, defaults={"name": name, "is_default": is_default})
        for stage, (amount, unit) in stages.items():
            SlaStage.objects.get_or_create(profile=profile, stage=stage, defaults={"amount": amount, "unit": unit})


def unload(apps, schema_editor):
    apps.get_model("cases", "SlaProfile").objects.filter(code__in=[p[0] for p in PROFILES]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(load, unload)]
