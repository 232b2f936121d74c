"""The outbox and what it delivers (issue 12).

`Notice` is the outbox: one row per case event someone is to be told about, written in the transaction that appended
the event (`outbox.py`), so a step that rolls back leaves none and a step that commits cannot lose its notices.
The sender (`sender.py`, a worker job) expands a notice into `Delivery` rows — one per person (or integrator) and
channel, by the rules in `NoticeRule` — and delivers them with retries, each at most once.
Who is told what, the Chinese wording, quiet hours, the digest and urgency are data (`NoticeRule`, `NoticeTemplate`,
`RuleParameter notices.*`), with defaults from migration 0002, edited in the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from whistle.org.models import city_key


class Channel(models.TextChoices):
    INAPP = "inapp", "站内消息"
    SMS = "sms", "短信"
    WECHAT = "wechat", "微信"
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "推送接口"


PERSONAL_CHANNELS = [Channel.INAPP, Channel.SMS, Channel.WECHAT, Channel.EMAIL]


class Audience(models.TextChoices):
    UNIT = "unit", "承办单位人员"
    ENTERPRISE = "enterprise", "诉求企业"
    RATER = "rater", "差评评价人"
    OFFICE = "office", "吹哨办协调员"
    LEADER = "leader", "绿色通道领导"
    PATRON = "patron", "包保领导"


class Condition(models.TextChoices):
    ANY = "", "任何诉求"
    WAITING_DISPATCH = "waiting_dispatch", "仍待派单的诉求"
    RATING_CASE = "rating_case", "差评整改工单"
    NOT_RATING_CASE = "not_rating_case", "差评整改以外的诉求"
    VISIT_CASE = "visit_case", "走访发现问题形成的诉求"


class Timing(models.TextChoices):
    URGENT = "urgent", "紧急：立即发送（不受免打扰时段限制）"
    NORMAL = "normal", "一般：免打扰时段结束后发送"
    DIGEST = "digest", "汇总：并入每日汇总"


class NoticeTemplate(models.Model):
    """The Chinese wording of a notice. `subject` and `body` are Django templates over the notice's context
    (case, step, unit, link, deadline …); SMS and WeChat need their provider's approved template ids."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    subject = models.CharField("标题", max_length=120)
    body = models.TextField(
        "正文",
        help_text="可用变量：{{ number }} {{ title }} {{ step }} {{ unit }} {{ deadline }} {{ link }} {{ actor }} {{ level }}",
    )
    sms_template_code = models.CharField(
        "短信模板编号", max_length=40, blank=True, help_text="短信服务商审核通过的模板编号，如 SMS_123456789"
    )
    wechat_template_id = models.CharField("微信模板消息编号", max_length=64, blank=True)

    class Meta:
        verbose_name = "消息模板"
        verbose_name_plural = "消息模板"
        ordering = ["code"]

    def __str__(self):
        return self.name


class NoticeRule(models.Model):
    """Who is told of which step: a case event with `action` (and `to_state`, when given) on a case meeting
    `condition` tells `audience` with `template` on `channels`, at once, after quiet hours, or in the daily digest."""

    action = models.CharField("环节", max_length=24, help_text="办理环节的操作编码，如 dispatch、yellow_card、reply")
    to_state = models.CharField(
        "到达状态", max_length=12, blank=True, help_text="留空为任何状态，如 reopened 只在重办时通知"
    )
    condition = models.CharField("适用诉求", max_length=20, choices=Condition.choices, blank=True, default="")
    audience = models.CharField("通知对象", max_length=12, choices=Audience.choices)
    template = models.ForeignKey(
        NoticeTemplate, verbose_name="消息模板", on_delete=models.PROTECT, related_name="rules"
    )
    channels = models.JSONField(
        "渠道", default=list, help_text='可用渠道，如 ["inapp", "sms", "wechat", "email"]；每人按本人设置从中选择'
    )
    timing = models.CharField("时效", max_length=8, choices=Timing.choices, default=Timing.NORMAL)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "通知规则"
        verbose_name_plural = "通知规则"
        ordering = ["action", "audience"]

    def __str__(self):
        return f"{self.action} → {self.get_audience_display()}（{self.template}）"


class Notice(models.Model):
    """The outbox: a case event whose people are to be told. Written with the event; expanded by the sender."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24)
    to_state = models.CharField(max_length=12, blank=True)
    at = models.DateTimeField("事件时间")
    expanded_at = models.DateTimeField("分发时间", null=True, blank=True)
    # The event's: on PostgreSQL the outbox is partitioned by month on the case's submission time, as the events are
    # (the unique (case, seq) holds with it added), and `city` is its distribution key (docs/architecture.md).
    case_submitted_at = models.DateTimeField()
    city = city_key(models.DO_NOTHING)

    class Meta:
        verbose_name = "待发通知"
        verbose_name_plural = "待发通知"
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="notice_one_per_event")]
        indexes = [models.Index(fields=["id"], name="notice_pending", condition=Q(expanded_at__isnull=True))]

    def __str__(self):
        return f"{self.case_id}#{self.seq} {self.action}"


class Status(models.TextChoices):
    QUEUED = "queued", "待发送"
    CLAIMED = "claimed", "已领取"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败（将重试）"
    GIVEN_UP = "given_up", "已放弃"
    DIGEST = "digest", "待汇总"
    DIGESTED = "digested", "已并入汇总"


RETRYABLE = [Status.QUEUED, Status.FAILED]
PROBLEM = [Status.FAILED, Status.GIVEN_UP]


class WebhookEndpoint(models.Model):
    """An integrator's receiver (a 12345 hotline system …): case events as signed JSON (docs/api.md)."""

    name = models.CharField("名称", max_length=60)
    url = models.URLField("接收地址", max_length=300)
    secret = models.CharField("签名密钥", max_length=128, help_text="HMAC-SHA256 签名用，对方凭此核验")
    actions = models.JSONField("推送环节", default=list, blank=True, help_text="留空为全部环节")
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="只推送该单位辖区内的诉求；留空为全市",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "推送接口"
        verbose_name_plural = "推送接口"

    def __str__(self):
        return self.name


class Delivery(models.Model):
    """One message to one person (or integrator) on one channel. In-app messages are these rows themselves."""

    # No database foreign key: notices are partitioned on PostgreSQL, and a key cannot point at a partitioned table
    # whose primary key is (id, case_submitted_at). Deliveries are made from a notice in the expander's transaction
    # and notices are never deleted by whistle (the ORM's CASCADE still applies to a deletion through it).
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    rule = models.ForeignKey(NoticeRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    recipient_label = models.CharField("接收人", max_length=120)
    # A phone, an e-mail address, an openid or a URL; for a rater "rating:<id>" (the phone stays encrypted).
    address = models.CharField("地址", max_length=300, blank=True)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    link = models.CharField("链接", max_length=300, blank=True)
    payload = models.JSONField("发送参数", default=dict, blank=True)
    urgent = models.BooleanField("紧急", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间")
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    last_error = models.CharField("失败原因", max_length=300, blank=True)
    external_id = models.CharField("服务商回执编号", max_length=80, blank=True)
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts")
    created_at = models.DateTimeField("生成时间")

    class Meta:
        verbose_name = "消息发送"
        verbose_name_plural = "消息发送"
        indexes = [
            models.Index(fields=["next_attempt_at"], name="delivery_due", condition=Q(status__in=["queued", "failed"])),
            models.Index(
                fields=["claimed_at"], name="delivery_in_flight", condition=Q(status__in=["claimed", "sending"])
            ),
            models.Index(fields=["recipient", "channel", "-created_at"], name="delivery_inbox"),
            # The bell on every page counts one's unread in-app messages.
            models.Index(
                fields=["recipient"], name="delivery_unread", condition=Q(channel="inapp", read_at__isnull=True)
            ),
            models.Index(fields=["case", "created_at"], name="delivery_case"),
            models.Index(
                fields=["status", "created_at"], name="delivery_problem", condition=Q(status__in=["failed", "given_up"])
            ),
        ]
        constraints = [
            # The sender expands a notice once; should it run twice, a person is still told once per channel.
            models.UniqueConstraint(
                fields=["notice", "rule", "recipient", "channel"],
                name="delivery_once_per_person",
                condition=Q(notice__isnull=False, recipient__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["notice", "endpoint"], name="delivery_once_per_endpoint", condition=Q(endpoint__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient_label}：{self.subject}"


class NoticeProfile(models.Model):
    """A person's channels: a verified phone for SMS, a bound WeChat openid, whether e-mail is wanted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_profile")
    phone = models.CharField("手机号", max_length=20, blank=True)
    phone_verified_at = models.DateTimeField("手机验证时间", null=True, blank=True)
    wechat_openid = models.CharField("微信 openid", max_length=64, blank=True)
    sms = models.BooleanField("接收短信", default=True)
    wechat = models.BooleanField("接收微信", default=True)
    email = models.BooleanField("接收邮件", default=True)

    class Meta:
        verbose_name = "个人通知设置"
        verbose_name_plural = "个人通知设置"

    def __str__(self):
        return f"{self.user}的通知设置"


class PhoneVerification(models.Model):
    """A code sent by SMS to prove a phone is the user's before notices go to it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "手机验证码"
        verbose_name_plural = "手机验证码"
