"""Who is told of an order to correct, and in what words (data a city edits in the admin: 消息模板, 规则参数).

The enterprise is reminded `leniency.remind_before_working_days` working days before its correction deadline; the
inspector is told when the re-check falls due (the enterprise reported, or the deadline passed); the re-check is
overdue `leniency.recheck_within_working_days` working days after that, and the department's head is told."""

from django.db import migrations

TEMPLATES = [
    # code, name, subject, body
    ("leniency_correction_due", "责令改正期限提醒", "改正期限提醒：{{ deadline }}前完成改正",
     "{{ unit }}于{{ ordered }}责令贵单位改正：{{ title }}。改正期限为{{ deadline }}，请按期改正，并在手机上报告改正情况。"),
    ("leniency_recheck_due", "复查提醒", "待复查：{{ enterprise }}",
     "{{ enterprise }}的责令改正（{{ title }}）{{ step }}，请在{{ deadline }}前复查并登记结果。"),
    ("leniency_recheck_overdue", "复查逾期", "复查逾期：{{ enterprise }}",
     "{{ enterprise }}的责令改正（{{ title }}）应于{{ deadline }}前复查，执法人员{{ inspector }}尚未登记复查结果，请督促办理。"),
]
PARAMETERS = [
    ("leniency.remind_before_working_days", 2, "不罚轻罚：改正期限届满前几个工作日提醒企业"),
    ("leniency.recheck_within_working_days", 5, "不罚轻罚：复查到期后几个工作日内须完成复查，逾期通知部门负责人"),
]


def load(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    for code, name, subject, body in TEMPLATES:
        NoticeTemplate.objects.get_or_create(code=code, defaults={"name": name, "subject": subject, "body": body})
    RuleParameter = apps.get_model("core", "RuleParameter")
    for key, value, description in PARAMETERS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})


def unload(apps, schema_editor):
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in PARAMETERS]).delete()
    apps.get_model("notices", "NoticeTemplate").objects.filter(code__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("leniency", "0004_order_notices"), ("notices", "0002_defaults"), ("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
