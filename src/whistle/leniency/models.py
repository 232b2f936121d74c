"""不罚/轻罚 (leniency lists) as data, and the inspections that apply them.

A list is published as versions: a province list (山东省 2020, 2021 …), a city's additions, a county's additions. Each
version has fields (领域) and items: the minor violation, its conditions (structured, `Condition` codes), legal basis
and treatment (不予处罚 / 从轻减轻处罚 with the reduced range / 首违不罚). A version applies from its effective date
once its legality review (合法性审查) is recorded as approved.

At an inspection (`Inspection`) an inspector records findings (`Finding`); each finding carries the decision
(不罚, 轻罚, or ordinary punishment with the reason no item applies), the item and legal basis cited, the answers to
the item's conditions, and — for 不罚 and 轻罚 — an order to correct (`CorrectionOrder`) with a working-day deadline,
then a re-check. A decision that departs from a matching item needs a reason and the approval of the level above.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ListLevel(models.TextChoices):
    PROVINCE = "province", "省级清单"
    CITY = "city", "市级补充"
    COUNTY = "county", "县区补充"


class Treatment(models.TextChoices):
    NO_PENALTY = "no_penalty", "不予处罚"
    LIGHT_PENALTY = "light_penalty", "从轻/减轻处罚"
    FIRST_OFFENCE = "first_offence_waiver", "首违不罚"


class ConditionCheck(models.TextChoices):
    HISTORY = "history", "按企业检查记录核验"
    ANSWER = "answer", "检查时现场确认"
    FOLLOW_UP = "follow_up", "复查时核验"


class Condition(models.Model):
    """One kind of condition an item can require (适用条件): how whistle checks it is data, so a city can add its own
    phrasing. `history`: from the enterprise's record (首次违法); `answer`: the inspector confirms it on site (没有造成
    危害后果); `follow_up`: decided at the re-check (在责令改正期限内改正)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    label = models.CharField("条件", max_length=60)
    method = models.CharField("核验方式", max_length=12, choices=ConditionCheck.choices)
    question = models.CharField("现场确认的问题", max_length=120, blank=True)
    # Phrases in a published 适用条件 that name this condition (one a line): the import reads them.
    phrases = models.TextField("清单原文中的表述", blank=True, help_text="每行一个，导入清单时据此识别条件")
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "适用条件"
        verbose_name_plural = "适用条件"
        ordering = ["order", "code"]

    def __str__(self):
        return self.label


class ListVersion(models.Model):
    """One published list: a province version, or a city's or county's additions (which apply together with the
    province version in force on the same day)."""

    code = models.SlugField("编号", max_length=60, unique=True)
    name = models.CharField("名称", max_length=120)
    level = models.CharField("层级", max_length=10, choices=ListLevel.choices)
    region = models.ForeignKey(
        "org.Unit",
        verbose_name="适用地区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="市级补充为市政府，县区补充为县区政府；省级清单为空",
    )
    issuer = models.CharField("发布机关", max_length=120, blank=True)
    document = models.CharField("文号", max_length=80, blank=True)
    effective_from = models.DateField("施行日期")
    effective_to = models.DateField("废止日期", null=True, blank=True, help_text="不含当日；为空表示现行有效")
    replaces = models.ForeignKey(
        "self", verbose_name="替代版本", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "不罚轻罚清单版本"
        verbose_name_plural = "不罚轻罚清单版本"
        ordering = ["level", "-effective_from", "code"]
        constraints = [
            models.CheckConstraint(
                name="leniency_version_region_matches_level",
                condition=Q(level="province", region__isnull=True) | Q(~Q(level="province"), region__isnull=False),
            ),
            models.CheckConstraint(
                name="leniency_version_dates_in_order",
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def review(self):
        """The latest legality review, if any."""
        return self.reviews.order_by("-reviewed_at", "-pk").first()

    @property
    def approved(self) -> bool:
        review = self.review
        return review is not None and review.approved


class LegalityReview(models.Model):
    """合法性审查: who reviewed a version, when, with what result. A version applies only after an approval."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="reviews")
    approved = models.BooleanField("审查通过")
    reviewer_unit = models.CharField("审查机关", max_length=80)
    reviewer_name = models.CharField("审查人", max_length=40)
    reviewed_on = models.DateField("审查日期")
    opinion = models.TextField("审查意见", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "合法性审查"
        verbose_name_plural = "合法性审查"
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self):
        return f"{self.version} · {'通过' if self.approved else '未通过'}"


class ListField(models.Model):
    """A field (领域) of a version: 市场监管, 生态环境 …; `functions` names the departments that enforce in it (the
    unit codes' function part, e.g. `scjg`), which is how a finding's department suggests its field."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField("领域", max_length=60)
    functions = models.CharField("执法部门", max_length=120, blank=True, help_text="单位编码中的职能部分，逗号分隔")
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "清单领域"
        verbose_name_plural = "清单领域"
        ordering = ["version", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="leniency_field_unique_name")]

    def __str__(self):
        return self.name

    @property
    def function_list(self) -> list[str]:
        return [f.strip() for f in self.functions.replace("，", ",").split(",") if f.strip()]


class ListItem(models.Model):
    """One minor violation of a version with its conditions, legal basis and treatment."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="items")
    field = models.ForeignKey(ListField, verbose_name="领域", on_delete=models.PROTECT, related_name="items")
    number = models.CharField("序号", max_length=20)
    treatment = models.CharField("处理方式", max_length=24, choices=Treatment.choices)
    violation = models.TextField("违法行为")
    conditions = models.ManyToManyField(Condition, verbose_name="适用条件", related_name="items", blank=True)
    condition_text = models.TextField("适用条件（原文）", blank=True)
    legal_basis = models.TextField("法定依据")
    penalty_basis = models.TextField("处罚依据", blank=True)
    fine_min = models.DecimalField("从轻/减轻罚款下限（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    fine_max = models.DecimalField("从轻/减轻罚款上限（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    correction_days = models.PositiveSmallIntegerField(
        "责令改正期限（工作日）", null=True, blank=True, help_text="为空时用规则参数 leniency.correction_days"
    )
    keywords = models.CharField("检索词", max_length=200, blank=True, help_text="补充的匹配用词，空格分隔")
    # The item's words as the matcher cuts them (violation + keywords), kept so matching never re-cuts the list.
    words = models.TextField(editable=False, blank=True)

    class Meta:
        verbose_name = "清单事项"
        verbose_name_plural = "清单事项"
        ordering = ["version", "field__order", "field_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="leniency_item_unique_number"),
            models.CheckConstraint(
                name="leniency_item_fine_range",
                condition=Q(fine_min__isnull=True) | Q(fine_max__isnull=True) | Q(fine_max__gte=models.F("fine_min")),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.violation[:30]}"

    @property
    def is_no_penalty(self) -> bool:
        return self.treatment in (Treatment.NO_PENALTY, Treatment.FIRST_OFFENCE)


class InspectionKind(models.TextChoices):
    RANDOM = "random", "双随机抽查"
    ROUTINE = "routine", "日常检查"
    SPECIAL = "special", "专项检查"
    COMPLAINT = "complaint", "投诉举报核查"


class Inspection(models.Model):
    """An enforcement inspection of one enterprise by one department (行政检查)."""

    department = models.ForeignKey("org.Unit", verbose_name="检查部门", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("org.Unit", verbose_name="企业所在县区", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="执法人员", on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField("检查类型", max_length=12, choices=InspectionKind.choices, default=InspectionKind.ROUTINE)
    inspected_on = models.DateField("检查日期")
    subject = models.CharField("检查事项", max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "行政检查"
        verbose_name_plural = "行政检查"
        ordering = ["-inspected_on", "-pk"]
        indexes = [
            # The monthly counts and the repeated inspections read a month from this index alone on PostgreSQL.
            models.Index(
                fields=["inspected_on", "department"],
                name="inspection_day_department",
                include=["id", "county", "enterprise"],
            ),
            models.Index(fields=["enterprise", "inspected_on"], name="inspection_enterprise_day"),
        ]

    def __str__(self):
        return f"{self.inspected_on} {self.enterprise} · {self.department}"


class Decision(models.TextChoices):
    NO_PENALTY = "no_penalty", "不予处罚"
    LIGHT_PENALTY = "light_penalty", "从轻/减轻处罚"
    ORDINARY = "ordinary", "依法处罚"


class FindingState(models.TextChoices):
    DRAFT = "draft", "待决定"
    PENDING_APPROVAL = "pending_approval", "待上级审批"
    ORDERED = "ordered", "责令改正中"
    REPORTED = "reported", "企业已报告改正"
    CLOSED = "closed", "已按期改正，结案"
    REOPENED = "reopened", "逾期未改正，转一般程序"
    PUNISHED = "punished", "依法处罚"


OPEN_STATES = (FindingState.DRAFT, FindingState.PENDING_APPROVAL, FindingState.ORDERED, FindingState.REPORTED)


class Approval(models.TextChoices):
    NONE = "", "无需审批"
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class Finding(models.Model):
    """One violation found at an inspection and what was decided about it.

    The department, county, enterprise and day are copied from the inspection so the monthly figures are one
    GROUP BY over this table (a million findings, docs/benchmarks.md)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    department = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    inspected_on = models.DateField("检查日期")
    description = models.TextField("发现的问题")
    state = models.CharField("状态", max_length=20, choices=FindingState.choices, default=FindingState.DRAFT)
    # What whistle suggested when the decision was taken (the best matching item whose conditions held), and what
    # was decided: the item applied (None for ordinary punishment), the decision, the legal basis cited.
    suggested_item = models.ForeignKey(
        ListItem, verbose_name="建议适用事项", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        ListItem, verbose_name="适用事项", null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    decision = models.CharField("处理决定", max_length=16, choices=Decision.choices, blank=True)
    answers = models.JSONField("条件确认", default=dict, blank=True)
    first_offence = models.BooleanField("首次违法", null=True)
    legal_basis = models.TextField("引用依据", blank=True)
    reason = models.TextField("不适用清单的理由", blank=True)
    fine_standard = models.DecimalField("按一般程序应处罚款（元）", max_digits=12, decimal_places=2, default=0)
    fine_imposed = models.DecimalField("实际罚款（元）", max_digits=12, decimal_places=2, default=0)
    deviation = models.BooleanField("偏离建议", default=False)
    approval = models.CharField("审批", max_length=10, choices=Approval.choices, default=Approval.NONE, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.CharField("审批意见", max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "检查发现"
        verbose_name_plural = "检查发现"
        ordering = ["-inspected_on", "-pk"]
        indexes = [
            # The monthly figures read a month's findings from this index alone on PostgreSQL (an index-only scan):
            # with the heap, one month of a million findings took 27 times a bare COUNT (docs/benchmarks.md).
            models.Index(
                fields=["inspected_on", "department"],
                name="finding_day_department",
                include=[
                    "id",
                    "county",
                    "decision",
                    "state",
                    "deviation",
                    "approval",
                    "fine_standard",
                    "fine_imposed",
                ],
            ),
            models.Index(fields=["enterprise", "inspected_on"], name="finding_enterprise_day"),
            models.Index(fields=["item", "inspected_on"], name="finding_item_day"),
        ]
        constraints = [
            models.CheckConstraint(
                name="finding_item_matches_decision",
                condition=Q(decision__in=["", "ordinary"]) | Q(item__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.description[:30]}"

    @property
    def amount_not_imposed(self):
        return max(self.fine_standard - self.fine_imposed, 0) if self.decision else 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class OrderState(models.TextChoices):
    OPEN = "open", "改正中"
    REPORTED = "reported", "企业已报告改正"
    CORRECTED = "corrected", "按期改正"
    NOT_CORRECTED = "not_corrected", "逾期未改正"


class CorrectionOrder(models.Model):
    """责令改正: what to correct by when (working days from the decision, core/calendar.py), the enterprise's report
    and the inspector's re-check. `overdue_at`/`reminded_at` are the worker's marks (no report by the deadline; the
    inspector reminded to re-check)."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="order")
    content = models.TextField("改正要求")
    days = models.PositiveSmallIntegerField("期限（工作日）")
    ordered_on = models.DateField("责令日期")
    due_on = models.DateField("改正期限", db_index=True)
    state = models.CharField("状态", max_length=16, choices=OrderState.choices, default=OrderState.OPEN)
    reported_at = models.DateTimeField("企业报告时间", null=True, blank=True)
    report = models.TextField("企业改正情况", blank=True)
    rechecked_on = models.DateField("复查日期", null=True, blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recheck_note = models.CharField("复查意见", max_length=200, blank=True)
    overdue_at = models.DateTimeField("逾期标记", null=True, blank=True)
    reminded_at = models.DateTimeField("复查提醒", null=True, blank=True)

    class Meta:
        verbose_name = "责令改正"
        verbose_name_plural = "责令改正"
        ordering = ["due_on", "pk"]

    def __str__(self):
        return f"{self.finding} · 期限 {self.due_on}"

    @property
    def corrected_in_time(self) -> bool:
        return self.state == OrderState.CORRECTED


class OrderNoticeKind(models.TextChoices):
    CORRECTION_DUE = "correction_due", "改正期限提醒（企业）"
    RECHECK_DUE = "recheck_due", "复查提醒（执法人员）"
    RECHECK_OVERDUE = "recheck_overdue", "复查逾期（部门负责人）"


class OrderNotice(models.Model):
    """That a lapse of an order was told (the worker's `correction_sweep`): the enterprise before its deadline, the
    inspector when the re-check falls due, the department's head when the re-check is overdue. One row per order and
    kind — the unique constraint is what keeps a rerun, or a second worker, from telling anyone twice; the messages
    themselves are the notices app's deliveries, written in the same transaction."""

    order = models.ForeignKey(CorrectionOrder, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("类型", max_length=16, choices=OrderNoticeKind.choices)
    lapse_on = models.DateField("事由日期", help_text="改正期限、复查到期日或复查逾期日")
    recipients = models.PositiveSmallIntegerField("通知人数", default=0)
    issued_at = models.DateTimeField("通知时间")

    class Meta:
        verbose_name = "责令改正通知"
        verbose_name_plural = "责令改正通知"
        ordering = ["order", "issued_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="leniency_order_notice_once")]

    def __str__(self):
        return f"{self.order} · {self.get_kind_display()}"


class NoteKind(models.TextChoices):
    REPLY = "reply", "企业回复"
    REPORT = "report", "改正报告"
    RECHECK = "recheck", "复查"
    DECISION = "decision", "处理决定"
    APPROVAL = "approval", "审批"


class FindingNote(models.Model):
    """The finding's history as people read it: decisions, approvals, the enterprise's answers, re-checks."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField("类型", max_length=10, choices=NoteKind.choices)
    text = models.TextField("内容")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "处理记录"
        verbose_name_plural = "处理记录"
        ordering = ["finding", "created_at", "pk"]


class InspectionCase(models.Model):
    """A 吹哨 case the enterprise raised about an inspection (多头检查, repeated inspections …), linked both ways (the
    case's `external_ref` names the inspection)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="cases")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="inspection_link")

    class Meta:
        verbose_name = "检查相关诉求"
        verbose_name_plural = "检查相关诉求"


class FlagKind(models.TextChoices):
    OFTEN_DEVIATED = "often_deviated", "常被匹配且常被偏离"
    UNUSED = "unused", "全年未适用"


class ItemFlag(models.Model):
    """动态评估调整: an item flagged for the next review of its list, from a year's findings (worker job)."""

    item = models.ForeignKey(ListItem, on_delete=models.CASCADE, related_name="flags")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类型", max_length=16, choices=FlagKind.choices)
    matched = models.PositiveIntegerField("建议适用次数", default=0)
    applied = models.PositiveIntegerField("实际适用次数", default=0)
    deviated = models.PositiveIntegerField("偏离次数", default=0)
    reasons = models.JSONField("偏离理由", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "清单评估标记"
        verbose_name_plural = "清单评估标记"
        ordering = ["-year", "kind", "item"]
        constraints = [models.UniqueConstraint(fields=["item", "year", "kind"], name="leniency_flag_unique")]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()} · {self.item}"
