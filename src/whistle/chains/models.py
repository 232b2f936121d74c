"""链长制: the key industry chains, each with its chiefs (总链长, 链长), 链主 firms, lead unit and host parks, its map
(产业链图谱: a tree of segments and nodes with the firms at each node) and its typed lists (N张清单, per year); and the
investment pipeline (招商项目, and 技改 on the same stages) from a target to production, with working-day deadlines
per stage, lights and 督办.

The chains, list types and stages are data with defaults from a migration (`0002_defaults`). A chain office (the
`chain_office` role) sees and keeps only the chains it is named on (`Officer`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Chain(models.Model):
    """One key industry chain (重点产业链) of the city."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=40)
    order = models.PositiveSmallIntegerField("排序", default=100)
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name="牵头部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    layout = models.CharField("空间布局", max_length=100, blank=True, help_text="如“一港四园”“3+N”")
    summary = models.TextField("简介", max_length=2000, blank=True)
    is_active = models.BooleanField("启用", default=True)
    # A new value in the transaction of every write to the map (its nodes, their firms, the lists that name a
    # node): the map's computed payload is cached under it (`mapcache`), so a write is never followed by a stale map.
    map_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "产业链"
        verbose_name_plural = "产业链"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class ChiefKind(models.TextChoices):
    GENERAL = "general", "总链长"
    CHIEF = "chief", "链长"


class Chief(models.Model):
    """A city leader at the head of a chain: 总链长 (the Party secretary, the mayor) or 链长."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="chiefs")
    kind = models.CharField("类型", max_length=8, choices=ChiefKind.choices, default=ChiefKind.CHIEF)
    name = models.CharField("姓名", max_length=40)
    title = models.CharField("职务", max_length=60, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "链长"
        verbose_name_plural = "链长"
        ordering = ["chain", "kind", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class Park(models.Model):
    """A host park (产业主要承载地) of a chain."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="parks")
    name = models.CharField("园区", max_length=60)
    county = models.ForeignKey(
        "org.Unit", verbose_name="所在县区", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "承载园区"
        verbose_name_plural = "承载园区"
        ordering = ["chain", "pk"]
        constraints = [models.UniqueConstraint(fields=["chain", "name"], name="chain_park_unique")]

    def __str__(self):
        return self.name


class Owner(models.Model):
    """A 链主企业 (chain_owner): the leading firm that organises a chain."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="owners")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "链主企业"
        verbose_name_plural = "链主企业"
        constraints = [models.UniqueConstraint(fields=["chain", "enterprise"], name="chain_owner_unique")]

    def __str__(self):
        return str(self.enterprise)


class Officer(models.Model):
    """A chain office's account named on a chain: what scopes the `chain_office` role."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="officers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chain_offices")

    class Meta:
        verbose_name = "产业链办公室人员"
        verbose_name_plural = "产业链办公室人员"
        constraints = [models.UniqueConstraint(fields=["chain", "user"], name="chain_officer_unique")]


class Segment(models.TextChoices):
    UPSTREAM = "up", "上游"
    MIDSTREAM = "mid", "中游"
    DOWNSTREAM = "down", "下游"


class Node(models.Model):
    """A node of a chain's map (产业链图谱): a segment's top node or a sub-node, kept as a materialised path so a
    subtree is one prefix filter and the whole map one ordered query."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", verbose_name="上级节点", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    segment = models.CharField("环节", max_length=4, choices=Segment.choices)
    name = models.CharField("节点", max_length=60)
    order = models.PositiveIntegerField("排序", default=0)
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "图谱节点"
        verbose_name_plural = "图谱节点"
        ordering = ["chain", "path"]
        constraints = [models.UniqueConstraint(fields=["chain", "parent", "name"], name="chain_node_unique")]

    def __str__(self):
        return self.name


class NodeFirm(models.Model):
    """A firm at a node: a registered enterprise of the city (local), or one elsewhere named by its name."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="firms")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_nodes"
    )
    name = models.CharField("企业名称", max_length=120)
    place = models.CharField("所在地", max_length=40, blank=True, help_text="外地企业填写所在城市")

    class Meta:
        verbose_name = "节点企业"
        verbose_name_plural = "节点企业"
        ordering = ["node", "name"]
        indexes = [models.Index(fields=["enterprise"], name="chain_nodefirm_ent")]

    def __str__(self):
        return self.name

    @property
    def is_local(self) -> bool:
        return self.enterprise_id is not None


class ListType(models.Model):
    """A kind of list a chain keeps (龙头企业、配套企业、锻长板、补短板、技术攻关、支持政策、招商目标 …)."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=30)
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "清单类型"
        verbose_name_plural = "清单类型"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class ListEntry(models.Model):
    """One line of a chain's list for a year: a year's list is the entries of that year (版本 = 年度)."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="entries")
    list_type = models.ForeignKey(ListType, verbose_name="清单", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=120)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    node = models.ForeignKey(
        Node, verbose_name="图谱节点", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "清单条目"
        verbose_name_plural = "清单条目"
        ordering = ["chain", "year", "list_type", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "list_type", "year", "name"], name="chain_entry_unique")
        ]
        indexes = [models.Index(fields=["chain", "year", "list_type"], name="chain_entry_year")]

    def __str__(self):
        return self.name


class Pipeline(models.TextChoices):
    INVESTMENT = "investment", "招商项目"
    RENOVATION = "renovation", "技改项目"


class Stage(models.Model):
    """A stage of the pipeline, with the working days a project may stay in it before it is late (empty: no limit,
    the last stage) and whether reaching it counts as signed (签约) in the investment figures."""

    pipeline = models.CharField("类型", max_length=12, choices=Pipeline.choices)
    code = models.SlugField("编码", max_length=30)
    name = models.CharField("名称", max_length=20)
    order = models.PositiveSmallIntegerField("顺序")
    limit_working_days = models.PositiveSmallIntegerField("时限（工作日）", null=True, blank=True)
    is_signed = models.BooleanField("计为签约", default=False)

    class Meta:
        verbose_name = "项目阶段"
        verbose_name_plural = "项目阶段"
        ordering = ["pipeline", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="chain_stage_code_unique"),
            models.UniqueConstraint(fields=["pipeline", "order"], name="chain_stage_order_unique"),
        ]

    def __str__(self):
        return self.name


class Light(models.TextChoices):
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"
    NONE = "none", "—"


class Project(models.Model):
    """An investment project (招商项目: a firm to attract, tied to a gap node) or a renovation project (技改) of a
    local enterprise, moving through its pipeline's stages. `due_on` is the last day of the current stage;
    `yellow_on` and `red_on` are computed from it at every write (`lights.schedule`), so the sweep compares dates."""

    chain = models.ForeignKey(Chain, verbose_name="产业链", on_delete=models.PROTECT, related_name="projects")
    pipeline = models.CharField("类型", max_length=12, choices=Pipeline.choices, default=Pipeline.INVESTMENT)
    name = models.CharField("项目名称", max_length=120)
    target_firm = models.CharField("目标企业", max_length=120, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="本地企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chain_projects",
    )
    node = models.ForeignKey(
        Node, verbose_name="补链节点", null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    county = models.ForeignKey("org.Unit", verbose_name="落地县区", on_delete=models.PROTECT, related_name="+")
    responsible_unit = models.ForeignKey(
        "org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="chain_projects"
    )
    stage = models.ForeignKey(Stage, verbose_name="阶段", on_delete=models.PROTECT, related_name="+")
    stage_since = models.DateField("进入本阶段")
    due_on = models.DateField("本阶段时限", null=True, blank=True)
    yellow_on = models.DateField(null=True, blank=True, editable=False)
    red_on = models.DateField(null=True, blank=True, editable=False)
    light = models.CharField("预警灯", max_length=8, choices=Light.choices, default=Light.GREEN)
    amount = models.DecimalField("投资额（万元）", max_digits=14, decimal_places=2, null=True, blank=True)
    signed_on = models.DateField("签约日期", null=True, blank=True)
    started_on = models.DateField("开工日期", null=True, blank=True)
    is_key = models.BooleanField("重点项目", default=False)
    patronage_project = models.ForeignKey(
        "patronage.Project",
        verbose_name="包保项目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "招商与技改项目"
        verbose_name_plural = "招商与技改项目"
        ordering = ["chain", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="chain_signed_has_amount", condition=Q(signed_on__isnull=True) | Q(amount__isnull=False)
            ),
            models.CheckConstraint(
                name="chain_renovation_has_enterprise",
                condition=~Q(pipeline="renovation") | Q(enterprise__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["red_on"], name="chain_red_on", condition=Q(red_on__isnull=False)),
            models.Index(fields=["yellow_on"], name="chain_yellow_on", condition=Q(yellow_on__isnull=False)),
            models.Index(fields=["chain", "stage"], name="chain_project_stage"),
            models.Index(fields=["signed_on"], name="chain_project_signed"),
        ]

    def __str__(self):
        return self.name


class EventKind(models.TextChoices):
    CREATE = "create", "登记"
    STAGE = "stage", "推进阶段"
    TRIP = "trip", "招商活动"
    PROBLEM = "problem", "问题转工单"
    PATRONAGE = "patronage", "纳入领导包保"


class ProjectEvent(models.Model):
    """A dated line of a project's history (append-only)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("类型", max_length=10, choices=EventKind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField("内容", max_length=500)

    class Meta:
        verbose_name = "项目记录"
        verbose_name_plural = "项目记录"
        ordering = ["project", "at", "pk"]


class Trip(models.Model):
    """A 招商 trip or visit: leaders' trips (市级领导带队) count in the investment figures."""

    chain = models.ForeignKey(Chain, verbose_name="产业链", on_delete=models.PROTECT, related_name="trips")
    went_on = models.DateField("日期")
    city = models.CharField("赴往城市", max_length=40)
    led_by_leader = models.BooleanField("市级领导带队", default=True)
    who = models.CharField("带队及参加人员", max_length=200)
    met = models.CharField("洽谈对象", max_length=300, blank=True)
    projects = models.ManyToManyField(Project, verbose_name="涉及项目", blank=True, related_name="trips")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "招商活动"
        verbose_name_plural = "招商活动"
        ordering = ["-went_on", "-pk"]
        indexes = [models.Index(fields=["went_on"], name="chain_trip_date")]

    def __str__(self):
        return f"{self.went_on} {self.city}"


class ProjectNotice(models.Model):
    """A 提醒 (yellow) or 督办 (red) issued by the sweep to the responsible unit: one per project, kind and lapse, told
    to the unit's people and the chain's office through the notices app (`lights.tell`)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "提醒"
        LETTER = "letter", "督办"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    lapse_on = models.DateField("事由日期")
    unit = models.ForeignKey("org.Unit", verbose_name="发往", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("发出时间")
    recipients = models.PositiveIntegerField("通知人数", default=0)  # people told through the notices app

    class Meta:
        verbose_name = "项目提醒与督办"
        verbose_name_plural = "项目提醒与督办"
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "lapse_on"], name="chain_notice_once_per_lapse")
        ]


class ProjectCase(models.Model):
    """A problem the project met, raised as a 吹哨 case through the case service."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "项目问题工单"
        verbose_name_plural = "项目问题工单"


class KpiSource(models.TextChoices):
    PROJECTS_STARTED = "projects_started", "开工项目数（按开工日期）"
    LIST_COUNT = "list_count", "清单条目数（加项减减项）"
    REPORTED = "reported", "链办填报"


class KpiDefinition(models.Model):
    """A chain KPI's definition (口径) as data: what it counts (`source`) and how (`params`), per chain and year.

    - `projects_started`: projects whose 开工 date falls in the year; `params.pipelines` names the pipelines counted
      (招商 = new projects, 技改 = expansion);
    - `list_count`: entries of the year's lists of the types in `params.plus`, less those in `params.minus` (净增规上
      企业 = 新入规企业 − 退规企业);
    - `reported`: a figure the chain office records for the year (`KpiValue`), such as cluster revenue that only the
      statistics bureau has."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("指标", max_length=40)
    unit = models.CharField("单位", max_length=10, blank=True)
    source = models.CharField("口径来源", max_length=20, choices=KpiSource.choices)
    params = models.JSONField("口径参数", default=dict, blank=True)
    caption = models.CharField("口径说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    def clean(self):
        from django.core.exceptions import ValidationError

        params = self.params if isinstance(self.params, dict) else None
        if params is None:
            raise ValidationError({"params": "口径参数须为 JSON 对象"})
        if self.source == KpiSource.PROJECTS_STARTED:
            pipelines = params.get("pipelines")
            if not pipelines or not set(pipelines) <= set(Pipeline.values):
                raise ValidationError({"params": '须为 {"pipelines": ["investment", "renovation"]} 的形式'})
        if self.source == KpiSource.LIST_COUNT:
            codes = [*params.get("plus", []), *params.get("minus", [])]
            if not params.get("plus") or not all(isinstance(c, str) for c in codes):
                raise ValidationError({"params": '须为 {"plus": ["清单类型编码"], "minus": [...]} 的形式'})
            unknown = set(codes) - set(ListType.objects.filter(code__in=codes).values_list("code", flat=True))
            if unknown:
                raise ValidationError({"params": f"清单类型不存在：{'、'.join(sorted(unknown))}"})

    class Meta:
        verbose_name = "产业链指标口径"
        verbose_name_plural = "产业链指标口径"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class KpiValue(models.Model):
    """A reported KPI's figure for a chain and a year, as the chain office recorded it (latest wins)."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="kpi_values")
    definition = models.ForeignKey(KpiDefinition, verbose_name="指标", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("数值", max_digits=16, decimal_places=2)
    note = models.CharField("来源说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("填报时间")

    class Meta:
        verbose_name = "产业链指标填报值"
        verbose_name_plural = "产业链指标填报值"
        constraints = [models.UniqueConstraint(fields=["chain", "definition", "year"], name="chain_kpi_value_unique")]
