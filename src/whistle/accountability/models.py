"""Accountability (问责): rules over ratings as data, the proposals they raise with their evidence, and the actions
(约谈, 通报, 调整) a coordinator records once a proposal is confirmed."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ActionKind(models.TextChoices):
    RECTIFICATION = "rectification", "差评整改"
    ADMONITION = "admonition", "约谈"
    CIRCULAR = "circular", "通报"
    REASSIGNMENT = "reassignment", "调整"
    # rules.md §1, §2, §8.1: suspected misconduct (弄虚作假, repeated poor ratings) is referred to 纪检监察 (追责).
    REFERRAL = "referral", "移送纪检监察"


class RuleKind(models.TextChoices):
    """How a rule is evaluated; its numbers are the row's parameters."""

    POOR_RATING = "poor_rating", "差评即整改（评价时由好差评模块执行）"
    BOTTOM_MONTHS = "bottom_months", "同类排名末位连续N个月"
    REPEATED_POOR = "repeated_poor", "M个月内有效差评达N条"
    INDICATOR_WARNINGS = "indicators", "指标预警函累计（由指标监测模块提出）"
    REPEATED_RED = "repeated_red", "改革任务M个月内N次亮红灯（改革任务模块评估）"
    MANUAL = "manual", "吹哨办按证据人工提出（不自动评估）"


class Subject(models.TextChoices):
    CADRE = "cadre", "干部"
    WINDOW = "window", "窗口"
    UNIT = "unit", "单位"


class Rule(models.Model):
    """One accountability rule (rules.md §8.4). Heze's thresholds are unknown, so every number is editable here."""

    code = models.SlugField("规则编码", max_length=40, unique=True)
    name = models.CharField("规则名称", max_length=80)
    kind = models.CharField("规则类型", max_length=16, choices=RuleKind.choices)
    action = models.CharField("建议措施", max_length=16, choices=ActionKind.choices)
    subjects = models.JSONField("适用对象", default=list, help_text="cadre / window / unit 的列表")
    months = models.PositiveSmallIntegerField("月数", default=2, help_text="连续末位的月数，或统计差评的月数")
    threshold = models.PositiveSmallIntegerField("差评条数", default=0, help_text="M个月内有效差评达到此数即提出建议")
    bottom_n = models.PositiveSmallIntegerField("末位名次数", default=1, help_text="同类排名最后几名算末位")
    min_ratings = models.PositiveSmallIntegerField("参与排名最少评价数", default=3)
    is_active = models.BooleanField("启用", default=True)
    description = models.CharField("说明", max_length=300, blank=True)
    # The worker runs every minute; an evaluation aggregates months of ratings, so a rule is evaluated at most this
    # often (its result can only change as ratings, appeals and months go by).
    every_minutes = models.PositiveIntegerField("评估间隔（分钟）", default=60)
    evaluated_at = models.DateTimeField("上次评估", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "问责规则"
        verbose_name_plural = "问责规则"
        ordering = ["code"]

    def __str__(self):
        return self.name


class ProposalState(models.TextChoices):
    PENDING = "pending", "待确认"
    CONFIRMED = "confirmed", "已确认"
    DISMISSED = "dismissed", "不予问责"


class Proposal(models.Model):
    """What a rule found: a suggested action against a cadre, window or unit, with the evidence it rests on.
    `evidence_key` is unique per rule, so the worker can run any number of times: the same evidence never
    proposes twice."""

    rule = models.ForeignKey(Rule, verbose_name="规则", on_delete=models.PROTECT, related_name="proposals")
    action = models.CharField("建议措施", max_length=16, choices=ActionKind.choices)
    subject = models.CharField("对象类型", max_length=8, choices=Subject.choices)
    cadre = models.ForeignKey(
        "ratings.Cadre", verbose_name="干部", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        "ratings.Window", verbose_name="窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="单位",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="对象本身（单位）或对象所属单位：决定谁能看到和处理",
    )
    summary = models.CharField("事由", max_length=300)
    evidence = models.JSONField("依据", default=dict)
    evidence_key = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField("提出时间")
    state = models.CharField("状态", max_length=10, choices=ProposalState.choices, default=ProposalState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    decision_reason = models.CharField("确认意见", max_length=500, blank=True)

    class Meta:
        verbose_name = "问责建议"
        verbose_name_plural = "问责建议"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "evidence_key"], name="proposal_once_per_evidence"),
            models.CheckConstraint(
                name="proposal_subject_matches",
                condition=(
                    Q(subject="cadre", cadre__isnull=False, window__isnull=True)
                    | Q(subject="window", window__isnull=False, cadre__isnull=True)
                    | Q(subject="unit", cadre__isnull=True, window__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="proposal_decision_complete",
                condition=(
                    Q(state="pending", decided_at__isnull=True)
                    | (
                        ~Q(state="pending")
                        & Q(decided_at__isnull=False, decided_by__isnull=False)
                        & ~Q(decision_reason="")
                    )
                ),
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="proposal_state")]

    def __str__(self):
        return f"{self.get_action_display()}：{self.subject_name}"

    @property
    def target(self):
        return self.cadre or self.window or self.unit

    @property
    def subject_name(self) -> str:
        if self.subject == Subject.UNIT:
            return self.unit.name
        return f"{self.unit.name} {self.get_subject_display()} {self.target.name}"


class AccountabilityAction(models.Model):
    """A confirmed accountability action (问责动作: 约谈, 通报, 调整) as it took place: when, who took part, what came
    of it. The case-level ones (urge, supervision notice, cards) are the case's own events."""

    proposal = models.ForeignKey(Proposal, verbose_name="问责建议", on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField("措施", max_length=16, choices=[c for c in ActionKind.choices if c[0] != "rectification"])
    held_on = models.DateField("日期")
    participants = models.CharField("参加人员", max_length=300)
    outcome = models.TextField("结果", max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "问责记录"
        verbose_name_plural = "问责记录"
        ordering = ["-held_on", "-id"]
        db_table = "accountability_action"

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on}"
