"""The endpoint's own jurisdiction. A city changes these words in the admin."""
from django.db import migrations

DEFAULT = {
    "code": "heze.gov.cn",
    "name": "菏泽市",
    "contact": "菏泽市企业吹哨办（营商环境诉求受理）",
    "key_service": "提交请求须有 api_key：请向菏泽市企业吹哨办申请，由系统管理员在管理后台“Open311 接入方”中创建并发放。查询无需密钥。",
}


def load(apps, schema_editor):
    apps.get_model("open311", "Jurisdiction").objects.get_or_create(code=DEFAULT["code"], defaults=DEFAULT)


def unload(apps, schema_editor):
    apps.get_model("open311", "Jurisdiction").objects.filter(code=DEFAULT["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("open311", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
