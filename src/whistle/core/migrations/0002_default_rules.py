from django.db import migrations

DEFAULTS = [
    ("auth.lockout_threshold", 5, "连续登录失败多少次锁定账号"),
    ("auth.lockout_minutes", 15, "账号锁定分钟数"),
    ("auth.token_days", 30, "API访问令牌有效天数（0为不过期）"),
    ("escalation.returns_to_city", 2, "退单达到多少次自动提级至市级协调"),
    ("escalation.county_to_city_after_supervision_wd", 3, "县级督办后多少个工作日仍未办结，提级至市级协调"),
    ("escalation.city_limit_wd", 5, "市级协调受理后限时办结的工作日数"),
    ("escalation.green_channel_after_supervision_wd", 3, "市级督办后多少个工作日仍未办结，转入绿色通道"),
]


def load(apps, schema_editor):
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description in DEFAULTS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
