"""领导包保: key projects, assignments (one leader, one lead unit, one task force per object), visits and the problems
raised on them. An assignment is never edited away: changing it ends the old row and starts a new one."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Project(models.Model):
    """A key project (重点项目). Whether it is behind plan is computed from its dates, milestones and progress."""

    code = models.CharField("项目编号", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=120)
    county = models.ForeignKey("org.Unit", verbose_name="所属县区", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="建设企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    investment = models.DecimalField("总投资（万元）", max_digits=14, decimal_places=2, default=0)
    planned_start = models.DateField("计划开工")
    planned_end = models.DateField("计划竣工")
    progress = models.PositiveSmallIntegerField("形象进度（%）", default=0)
    is_active = models.BooleanField("在建", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "重点项目"
        verbose_name_plural = "重点项目"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="project_dates_in_order", condition=Q(planned_end__gte=models.F("planned_start"))
            ),
            models.CheckConstraint(name="project_progress_percent", condition=Q(progress__lte=100)),
        ]

    def __str__(self):
        return self.name


class Milestone(models.Model):
    """A planned node of a project (开工、主体完工、投产 …); `done_on` empty means not reached yet."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField("节点", max_length=60)
    planned_on = models.DateField("计划日期")
    done_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        verbose_name = "项目节点"
        verbose_name_plural = "项目节点"
        ordering = ["project", "planned_on", "pk"]

    def __str__(self):
        return f"{self.project} · {self.name}"


class Patronage(models.Model):
    """One assignment: an enterprise or a project → a responsible leader and a lead unit, from a date until ended.

    "一个项目、一名包保领导、一个牵头部门、一套班子、一抓到底": at most one active assignment per object, held by
    the database; history stays as ended rows with their dates and reasons.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patronages",
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT, related_name="patronages"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="包保领导", on_delete=models.PROTECT, related_name="patronages"
    )
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name="牵头部门", on_delete=models.PROTECT, related_name="patronages"
    )
    started_on = models.DateField("包保起始日")
    start_reason = models.CharField("确定/调整原因", max_length=200, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "包保关系"
        verbose_name_plural = "包保关系"
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="patronage_one_object",
                condition=Q(enterprise__isnull=False, project__isnull=True)
                | Q(enterprise__isnull=True, project__isnull=False),
            ),
            models.CheckConstraint(
                name="patronage_dates_in_order",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(ended_on__isnull=True, enterprise__isnull=False),
                name="patronage_one_active_per_enterprise",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(ended_on__isnull=True, project__isnull=False),
                name="patronage_one_active_per_project",
            ),
        ]
        indexes = [models.Index(fields=["leader", "ended_on"], name="patronage_leader")]

    def __str__(self):
        return f"{self.target} ← {self.leader}"

    @property
    def target(self):
        return self.enterprise if self.enterprise_id else self.project

    @property
    def county(self):
        return self.target.county

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class TaskForceMember(models.Model):
    """A member of the patronage's 专班 (task force)."""

    patronage = models.ForeignKey(Patronage, on_delete=models.CASCADE, related_name="task_force")
    name = models.CharField("姓名", max_length=40)
    unit = models.ForeignKey(
        "org.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duty = models.CharField("职务/分工", max_length=60, blank=True)
    phone = models.CharField("电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "专班成员"
        verbose_name_plural = "专班成员"
        ordering = ["patronage", "pk"]

    def __str__(self):
        return self.name


class Visit(models.Model):
    """A visit (走访) under one patronage. `enterprise` is the visited enterprise (the project's builder for a project
    without one it is empty), kept on the row so coverage (遍访率) is one query."""

    patronage = models.ForeignKey(Patronage, on_delete=models.PROTECT, related_name="visits")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField("走访日期", db_index=True)
    participants = models.CharField("参加人员", max_length=200)
    raised = models.TextField("企业反映的问题", blank=True)
    decided = models.TextField("议定事项", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["enterprise", "visited_on"], name="visit_enterprise_day")]

    def __str__(self):
        return f"{self.visited_on} {self.patronage.target}"


class VisitProblem(models.Model):
    """One problem the enterprise raised on a visit; turned into a case (channel 走访) with one click."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField("问题")
    case = models.OneToOneField(
        "cases.Case", verbose_name="工单", null=True, blank=True, on_delete=models.PROTECT, related_name="visit_problem"
    )

    class Meta:
        verbose_name = "走访问题"
        verbose_name_plural = "走访问题"
        ordering = ["visit", "pk"]

    def __str__(self):
        return self.description[:30]
