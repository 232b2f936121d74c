"""Who is told what by default (issue 12, rules.md §11.6), the Chinese wording, and the sender's parameters.

Everything here is data a city edits in the admin (通知规则, 消息模板, 规则参数); the SMS and WeChat template ids are
left empty because each city's are approved for its own account.
"""

from django.db import migrations

ALL = ["inapp", "sms", "wechat", "email"]

TEMPLATES = [
    # code, name, subject, body
    ("dispatch", "派单通知", "新派单：{{ number }}",
     "您单位收到派单 {{ number }}「{{ title }}」，请及时签收，并在时限内联系企业（当前环节时限：{{ deadline }}）。"),
    ("yellow_card", "黄牌预警", "黄牌预警：{{ number }}",
     "诉求 {{ number }}「{{ title }}」距办理时限不足1个工作日，已黄牌预警，请抓紧办理（时限：{{ deadline }}）。"),
    ("red_card", "红牌警示", "红牌警示：{{ number }}",
     "诉求 {{ number }}「{{ title }}」已超过办理时限，已红牌警示，请立即办理。"),
    ("supervise", "督办通知", "督办：{{ number }}",
     "诉求 {{ number }}「{{ title }}」已下达督办单，请立即办理并反馈（当前环节时限：{{ deadline }}）。"),
    ("reopen", "重办通知", "重办：{{ number }}",
     "企业对诉求 {{ number }}「{{ title }}」的办理结果不满意或问题未解决，已转为重办，请重新办理（时限：{{ deadline }}）。"),
    ("extension_approved", "延期获批", "延期已批准：{{ number }}",
     "诉求 {{ number }}「{{ title }}」的延期申请已批准，新的办结时限：{{ deadline }}。"),
    ("extension_rejected", "延期被驳回", "延期被驳回：{{ number }}",
     "诉求 {{ number }}「{{ title }}」的延期申请被驳回，请按原时限办结（{{ deadline }}）。"),
    ("accepted", "诉求已签收", "您的诉求已签收：{{ number }}",
     "您的诉求 {{ number }}「{{ title }}」已由{{ unit }}签收，将尽快与您联系。"),
    ("contacted", "承办单位已联系", "承办单位已联系：{{ number }}",
     "{{ unit }}已就诉求 {{ number }}「{{ title }}」与您联系。如需补充说明，请打开链接回复。"),
    ("replied", "诉求已答复", "您的诉求已答复：{{ number }}",
     "{{ unit }}已答复诉求 {{ number }}「{{ title }}」。请打开链接查看办理结果并评价。"),
    ("closed", "诉求已办结", "诉求已办结：{{ number }}", "您的诉求 {{ number }}「{{ title }}」已办结。感谢您的监督。"),
    ("withdrawn", "诉求已撤回", "诉求已撤回：{{ number }}", "诉求 {{ number }}「{{ title }}」已撤回。"),
    ("rerate", "差评整改答复", "您的评价已有答复",
     "您对{{ unit }}的评价已有整改答复，请打开链接查看并再次评价：{{ link }}"),
    ("returned", "退单通知", "退单待重新派单：{{ number }}",
     "诉求 {{ number }}「{{ title }}」被承办单位退回，请重新派单。"),
    ("escalated", "提级协调", "提级至市级协调：{{ number }}",
     "诉求 {{ number }}「{{ title }}」已提级至市级协调，请跟进。"),
    ("waiting_dispatch", "待派单", "待派单：{{ number }}",
     "新诉求 {{ number }}「{{ title }}」未能按派单目录自动派单，请人工派单（时限：{{ deadline }}）。"),
    ("dispatch_card", "待派单预警", "{{ step }}：待派单 {{ number }}",
     "诉求 {{ number }}「{{ title }}」仍待派单，已{{ step }}，请尽快派单。"),
    ("green_channel", "绿色通道", "绿色通道：{{ number }}",
     "诉求 {{ number }}「{{ title }}」已转入绿色通道，由您分签协调（承办单位：{{ unit }}）。"),
    ("visit_closed", "走访问题办结", "走访问题已办结：{{ number }}",
     "您包保走访中发现的问题 {{ number }}「{{ title }}」已办结。"),
    ("digest", "每日汇总", "{{ date }}消息汇总（{{ count }}条）", "{{ lines }}"),
    ("verify_code", "手机验证码", "手机验证码", "您的验证码为{{ code }}，{{ minutes }}分钟内有效。如非本人操作，请忽略。"),
]

RULES = [
    # action, to_state, condition, audience, template, channels, timing
    ("dispatch", "", "", "unit", "dispatch", ALL, "urgent"),
    ("redispatch", "", "", "unit", "dispatch", ALL, "urgent"),
    ("yellow_card", "", "", "unit", "yellow_card", ALL, "normal"),
    ("red_card", "", "", "unit", "red_card", ALL, "urgent"),
    ("supervise", "", "", "unit", "supervise", ALL, "urgent"),
    ("follow_up", "reopened", "", "unit", "reopen", ALL, "normal"),
    ("approve_extension", "", "", "unit", "extension_approved", ALL, "normal"),
    ("reject_extension", "", "", "unit", "extension_rejected", ALL, "normal"),
    ("accept", "", "not_rating_case", "enterprise", "accepted", ALL, "normal"),
    ("contact", "", "not_rating_case", "enterprise", "contacted", ALL, "normal"),
    ("reply", "", "not_rating_case", "enterprise", "replied", ALL, "normal"),
    ("follow_up", "closed", "not_rating_case", "enterprise", "closed", ALL, "digest"),
    ("withdraw", "", "", "enterprise", "withdrawn", ["inapp"], "normal"),
    ("reply", "", "rating_case", "rater", "rerate", ["sms"], "normal"),
    ("return", "", "", "office", "returned", ALL, "urgent"),
    ("escalate", "", "", "office", "escalated", ALL, "urgent"),
    ("submit", "", "waiting_dispatch", "office", "waiting_dispatch", ALL, "normal"),
    ("yellow_card", "", "waiting_dispatch", "office", "dispatch_card", ALL, "normal"),
    ("red_card", "", "waiting_dispatch", "office", "dispatch_card", ALL, "urgent"),
    ("green_channel", "", "", "leader", "green_channel", ALL, "urgent"),
    ("follow_up", "closed", "visit_case", "patron", "visit_closed", ALL, "digest"),
]

PARAMETERS = [
    ("notices.quiet_start_hour", 22, "免打扰时段开始（北京时间，时）：一般通知在此后不发短信、微信、邮件；相同的开始与结束为不设免打扰"),
    ("notices.quiet_end_hour", 7, "免打扰时段结束（北京时间，时）"),
    ("notices.digest_hour", 8, "每日汇总发送时间（北京时间，时）"),
    ("notices.max_attempts", 6, "一条消息最多尝试发送次数，之后放弃并提示吹哨办"),
    ("notices.retry_base_seconds", 60, "首次重试等待秒数，之后每次加倍（最长6小时）"),
    ("notices.claim_lease_seconds", 300, "发送进程领取消息后多久未完成视为中断（秒）"),
    ("notices.verify_code_minutes", 10, "手机验证码有效分钟数"),
    ("notices.verify_max_attempts", 5, "一个验证码最多输错次数"),
]


def forwards(apps, schema_editor):
    Template = apps.get_model("notices", "NoticeTemplate")
    Rule = apps.get_model("notices", "NoticeRule")
    RuleParameter = apps.get_model("core", "RuleParameter")
    templates = {}
    for code, name, subject, body in TEMPLATES:
        templates[code], _ = Template.objects.get_or_create(
            code=code, defaults={"name": name, "subject": subject, "body": body}
        )
    for action, to_state, condition, audience, template, channels, timing in RULES:
        Rule.objects.get_or_create(
            action=action,
            to_state=to_state,
            condition=condition,
            audience=audience,
            defaults={"template": templates[template], "channels": channels, "timing": timing},
        )
    for key, value, description in PARAMETERS:
        RuleParameter.objects.get_or_create(key=key, defaults={"value": value, "description": description})


def backwards(apps, schema_editor):
    apps.get_model("notices", "NoticeRule").objects.all().delete()
    apps.get_model("notices", "NoticeTemplate").objects.all().delete()
    apps.get_model("core", "RuleParameter").objects.filter(key__in=[k for k, _, _ in PARAMETERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial"), ("core", "0004_calendar_warning_parameter")]
    operations = [migrations.RunPython(forwards, backwards)]
