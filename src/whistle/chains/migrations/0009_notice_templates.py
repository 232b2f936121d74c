"""The words of a stalled project's 提醒 (yellow light) and 督办 (red light), told to the responsible unit's people and
the chain's office through the notices app (data a city edits in the admin: 消息模板). Variables: {{ title }} the
project, {{ chain }}, {{ step }} its stage, {{ deadline }} the stage's last day, {{ unit }} the responsible unit,
{{ kind }}, {{ link }} the project's page."""

from django.db import migrations

TEMPLATES = [
    # code, name, subject, body
    (
        "chains_reminder",
        "招商项目预警提醒（黄灯）",
        "项目即将超期：{{ title }}",
        "{{ chain }}产业链项目“{{ title }}”处于“{{ step }}”阶段，本阶段时限为{{ deadline }}，即将到期（黄灯）。"
        "请{{ unit }}抓紧推进。",
    ),
    (
        "chains_letter",
        "招商项目督办（红灯）",
        "项目督办：{{ title }}",
        "{{ chain }}产业链项目“{{ title }}”在“{{ step }}”阶段已超过时限（{{ deadline }}），亮红灯，现予督办。"
        "请{{ unit }}加快推进并及时反馈进展。",
    ),
]


def load(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    for code, name, subject, body in TEMPLATES:
        NoticeTemplate.objects.get_or_create(code=code, defaults={"name": name, "subject": subject, "body": body})


def unload(apps, schema_editor):
    apps.get_model("notices", "NoticeTemplate").objects.filter(code__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("chains", "0008_notice_recipients"), ("notices", "0002_defaults")]
    operations = [migrations.RunPython(load, unload)]
