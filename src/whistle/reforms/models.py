"""改革任务 and 书记市长交办单 in one engine: a sheet is a task whose children are its items.

A task has an area (the six fields, a table), a lead unit and assisting units, a responsible leader and person,
dates, targets, a weight and a tree of sub-tasks and milestones. Units report progress on a cycle; every report and
every step of acceptance is a `TaskEvent`, append-only and hash-chained per task like a case's history. The light
(红黄绿灯) follows from three date columns the services compute at every write (`yellow_on`, `red_on`,
`report_missing_on`), so the sweep is a comparison of dates, and a 提醒/预警函/督办函 is a `TaskNotice`, unique per
task, kind and lapse.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q


class Area(models.Model):
    """改革领域: the six fields of the city's plan (economy, rule of law, culture, society, ecology, party building)."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=30)
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "改革领域"
        verbose_name_plural = "改革领域"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class TaskStatus(models.Model):
    """A reported status with its default progress (方案制定 20% …): a report that gives no percent takes it."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=20)
    progress = models.PositiveSmallIntegerField("默认进度（%）")
    order = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "推进状态"
        verbose_name_plural = "推进状态"
        ordering = ["order", "code"]
        constraints = [models.CheckConstraint(name="reform_status_progress_0_100", condition=Q(progress__lte=100))]

    def __str__(self):
        return f"{self.name}（{self.progress}%）"


class Kind(models.TextChoices):
    TASK = "task", "改革任务"
    SHEET = "sheet", "交办单"
    ITEM = "item", "交办事项"


class State(models.TextChoices):
    OPEN = "open", "推进中"
    SUBMITTED = "submitted", "待验收"
    ACCEPTED = "accepted", "已验收"
    CLOSED = "closed", "已销号"


class Light(models.TextChoices):
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"
    NONE = "none", "—"


LIVE_STATES = (State.OPEN,)


class Task(models.Model):
    kind = models.CharField("类型", max_length=8, choices=Kind.choices, default=Kind.TASK)
    parent = models.ForeignKey(
        "self", verbose_name="上级任务", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    year = models.PositiveSmallIntegerField("年度")
    code = models.CharField("编号", max_length=40, unique=True)
    title = models.CharField("任务名称", max_length=200)
    area = models.ForeignKey(Area, verbose_name="改革领域", null=True, blank=True, on_delete=models.PROTECT)
    owner = models.ForeignKey(
        "org.Unit",
        verbose_name="交办方",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="计划所属的市或县区政府：其改革办验收销号",
    )
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name="牵头单位", on_delete=models.PROTECT, related_name="reform_tasks"
    )
    assisting_units = models.ManyToManyField(
        "org.Unit", verbose_name="配合单位", blank=True, related_name="reform_tasks_assisting"
    )
    issuer_title = models.CharField("交办领导", max_length=20, blank=True, help_text="交办单：市委书记、市长")
    leader_name = models.CharField("责任领导", max_length=60, blank=True)
    person_name = models.CharField("责任人", max_length=60, blank=True)
    starts_on = models.DateField("开始日期")
    due_on = models.DateField("完成时限")
    target = models.TextField("目标要求（可衡量）", max_length=2000, blank=True)
    weight = models.PositiveSmallIntegerField("权重", default=1)
    report_every_months = models.PositiveSmallIntegerField("报送周期（月）", default=1)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    status = models.ForeignKey(TaskStatus, verbose_name="推进状态", null=True, blank=True, on_delete=models.PROTECT)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    light = models.CharField("预警灯", max_length=8, choices=Light.choices, default=Light.GREEN)
    # The sweep columns (dates in Beijing time), computed by `lights.schedule` at every write; NULL when not live.
    next_due_on = models.DateField("最近节点", null=True, blank=True)
    yellow_on = models.DateField(null=True, blank=True, editable=False)
    red_on = models.DateField(null=True, blank=True, editable=False)
    report_missing_on = models.DateField(null=True, blank=True, editable=False)
    reported_through = models.DateField("已报送至（周期）", null=True, blank=True, editable=False)
    # The next day the sweep may owe this task a notice: what it selects by (indexed), advanced by the sweep.
    notice_on = models.DateField(null=True, blank=True, editable=False)
    is_public = models.BooleanField("公开进展", default=False)
    source_category = models.ForeignKey(
        "cases.Category", verbose_name="来源问题分类", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_on = models.DateField("提交验收日期", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    review_score = models.DecimalField("年终考评得分", max_digits=5, decimal_places=1, null=True, blank=True)
    review_note = models.CharField("考评意见", max_length=500, blank=True)
    event_seq = models.PositiveIntegerField(default=0, editable=False)
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "改革任务"
        verbose_name_plural = "改革任务与交办单"
        ordering = ["year", "code"]
        constraints = [
            models.CheckConstraint(name="reform_task_progress_0_100", condition=Q(progress__lte=100)),
            models.CheckConstraint(name="reform_task_dates", condition=Q(due_on__gte=models.F("starts_on"))),
            models.CheckConstraint(name="reform_item_has_sheet", condition=~Q(kind="item") | Q(parent__isnull=False)),
            models.CheckConstraint(
                name="reform_closed_has_time", condition=~Q(state="closed") | Q(closed_at__isnull=False)
            ),
            models.CheckConstraint(name="reform_weight_positive", condition=Q(weight__gte=1)),
            models.CheckConstraint(name="reform_cycle_positive", condition=Q(report_every_months__gte=1)),
        ]
        indexes = [
            models.Index(fields=["yellow_on"], name="reform_yellow_on", condition=Q(yellow_on__isnull=False)),
            models.Index(fields=["red_on"], name="reform_red_on", condition=Q(red_on__isnull=False)),
            models.Index(
                fields=["report_missing_on"],
                name="reform_report_missing_on",
                condition=Q(report_missing_on__isnull=False),
            ),
            models.Index(fields=["notice_on"], name="reform_notice_on", condition=Q(notice_on__isnull=False)),
            models.Index(fields=["year", "light", "state"], name="reform_board"),
            models.Index(fields=["lead_unit", "state"], name="reform_lead_state"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def is_live(self) -> bool:
        return self.state == State.OPEN


class Milestone(models.Model):
    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField("节点", max_length=120)
    due_on = models.DateField("计划完成")
    done_on = models.DateField("实际完成", null=True, blank=True)

    class Meta:
        verbose_name = "节点"
        verbose_name_plural = "节点"
        ordering = ["due_on", "pk"]

    def __str__(self):
        return self.name


class EventKind(models.TextChoices):
    CREATE = "create", "立项交办"
    REPORT = "report", "报送进展"
    MILESTONE = "milestone", "完成节点"
    SUBMIT = "submit", "申请验收"
    ACCEPT = "accept", "验收通过"
    SEND_BACK = "send_back", "退回整改"
    CLOSE = "close", "销号"
    REVIEW = "review", "年终考评"


class TaskEvent(models.Model):
    """One dated entry of a task's timeline, chained: hash = HMAC(key, previous hash ‖ canonical record)."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField("类型", max_length=12, choices=EventKind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("经办", max_length=120)
    period = models.DateField("报送周期", null=True, blank=True)
    progress = models.PositiveSmallIntegerField("进度（%）", null=True, blank=True)
    status = models.CharField("推进状态", max_length=30, blank=True)
    text = models.TextField("内容", max_length=4000, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    hash = models.CharField(max_length=64)
    hash_key = models.CharField(max_length=8)

    class Meta:
        verbose_name = "任务记录"
        verbose_name_plural = "任务记录"
        ordering = ["task", "seq"]
        constraints = [models.UniqueConstraint(fields=["task", "seq"], name="reform_event_seq_unique")]

    def __str__(self):
        return f"{self.task_id}#{self.seq} {self.get_kind_display()}"

    def record(self) -> dict:
        """What the hash covers."""
        return {
            "task": self.task_id,
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at.astimezone(dt.UTC).isoformat(),  # as read back from either database
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "period": self.period.isoformat() if self.period else None,
            "progress": self.progress,
            "status": self.status,
            "text": self.text,
            "payload": self.payload,
        }


class TaskFile(models.Model):
    """Evidence attached to a report or an acceptance request (type checked by `core.uploads`)."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="files")
    event = models.ForeignKey(TaskEvent, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to="reforms/%Y/%m/")
    name = models.CharField("文件名", max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self):
        return self.name


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", "提醒"
    WARNING = "warning", "预警函"
    LETTER = "letter", "督办函"


class TaskNotice(models.Model):
    """A 提醒, 预警函 or 督办函 issued by the sweep to the lead unit: one per task, kind and lapse (the date the
    light turned on that lapse: a red_on, a yellow_on or a missing report's date), however often the sweep runs."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField("类型", max_length=10, choices=NoticeKind.choices)
    lapse_on = models.DateField("事由日期")
    reason = models.CharField("事由", max_length=20)
    unit = models.ForeignKey("org.Unit", verbose_name="发往", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("发出时间")

    class Meta:
        verbose_name = "提醒与督办函"
        verbose_name_plural = "提醒与督办函"
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["task", "kind", "lapse_on"], name="reform_notice_once_per_lapse")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.task_id}"


class TaskCase(models.Model):
    """A 吹哨 case linked to a task as its evidence (a recurring problem turned into a reform task)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="case_links")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "关联工单"
        verbose_name_plural = "关联工单"
        constraints = [models.UniqueConstraint(fields=["task", "case"], name="reform_task_case_unique")]


class OutcomeStage(models.TextChoices):
    PROPOSED = "proposed", "已申报"
    REJECTED = "rejected", "未入选"
    INNOVATION = "innovation", "制度性创新成果"
    TYPICAL = "typical", "典型经验"


class PushLevel(models.TextChoices):
    NONE = "", "未报送"
    PROVINCE = "province", "省委改革办"
    CENTRAL = "central", "中央改革办"


class Outcome(models.Model):
    """A task's result on its way: proposed → 制度性创新成果 (reviewed) → 典型经验 (selected) → pushed upward."""

    task = models.ForeignKey(Task, verbose_name="改革任务", on_delete=models.PROTECT, related_name="outcomes")
    title = models.CharField("成果名称", max_length=200)
    summary = models.TextField("成果简介", max_length=4000)
    stage = models.CharField("阶段", max_length=12, choices=OutcomeStage.choices, default=OutcomeStage.PROPOSED)
    proposed_on = models.DateField("申报日期")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_on = models.DateField("认定日期", null=True, blank=True)
    review_note = models.CharField("认定意见", max_length=500, blank=True)
    selected_on = models.DateField("入选典型经验日期", null=True, blank=True)
    pushed_level = models.CharField("报送层级", max_length=10, choices=PushLevel.choices, blank=True, default="")
    pushed_on = models.DateField("报送日期", null=True, blank=True)
    document = models.FileField("报送文件", upload_to="reforms/outcomes/%Y/", blank=True)
    document_name = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "改革成果"
        verbose_name_plural = "改革成果"
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="reform_outcome_pushed_is_typical",
                condition=Q(pushed_level="") | Q(stage="typical", pushed_on__isnull=False),
            ),
            models.CheckConstraint(
                name="reform_outcome_typical_reviewed",
                condition=~Q(stage__in=["innovation", "typical"]) | Q(reviewed_on__isnull=False),
            ),
        ]

    def __str__(self):
        return self.title
