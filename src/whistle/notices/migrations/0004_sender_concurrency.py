"""Issue 21: how many messages the sender hands to the channels side by side (its pool of threads)."""
from django.db import migrations

KEY = "notices.sender_concurrency"


def load(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.get_or_create(key=KEY, defaults={
        "value": 8, "min_value": 1, "max_value": 64,
        "description": "发送进程同时发送的消息数（短信、邮件、微信、推送接口并行发送的线程数；"
                       "服务商限制并发时调低，为 1 即逐条发送）"})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [("notices", "0003_notice_partitions"), ("core", "0008_partitions_months_ahead")]
    operations = [migrations.RunPython(load, unload)]
