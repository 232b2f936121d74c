"""Indicator monitoring (指标监测): the catalogue as data, figures by period with their versions and review, the
published points with what is derived from them (growth, ytd, rank, runs), the warning rules, the warning letters
(预警函) and the towns' reward/penalty schemes.

Periods are stored as the first day of the period's last month: 2026年1-3月 (or 一季度) is 2026-03-01, a year is
its December. That keeps every frequency on one axis and makes "the same period last year" a year back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from whistle.core import wording


class Frequency(models.TextChoices):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class Direction(models.TextChoices):
    HIGHER = "higher", "越高越好"
    LOWER = "lower", "越低越好"


class Derivation(models.TextChoices):
    REPORTED = "reported", "填报值"
    SHARE = "share", "占比（分子指标/分母指标）"
    COMPOSITE = "composite", "综合指数（Σ 权重×分项/标准值）"
    WHISTLE_RATE = "whistle_rate", "本平台三率（由工单汇总计算）"


class Aggregation(models.TextChoices):
    """How the periods of a year add up to the year to date, for figures reported per period (not cumulative)."""

    SUM = "sum", "累加（流量）"
    MEAN = "mean", "平均（浓度、比率）"
    LAST = "last", "取最新（存量、时点值）"


class PeerSet(models.TextChoices):
    PROVINCE = "province", "全省16市"
    COUNTY = "county", "全市县区"
    TOWN = "town", "乡镇（街道、园区）"


class RankBasis(models.TextChoices):
    GROWTH = "growth", "按累计增速"
    VALUE = "value", "按数值（累计值）"
    SINGLE = "single", "按当期值"


class Category(models.TextChoices):
    ECONOMY = "economy", "主要经济指标"
    ENVIRONMENT = "environment", "生态环境"
    SERVICE = "service", "政务服务"
    WHISTLE = "whistle", "企业吹哨三率"


class Region(models.Model):
    """A place figures are kept for: a city of the province, a county of Heze, a town or park. Heze's own places
    name their unit (the responsible unit a warning letter goes to); other cities name none."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    peer_set = models.CharField("比较范围", max_length=10, choices=PeerSet.choices)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="本市的地区：预警函发往此单位；外市留空",
    )
    reporter = models.ForeignKey(
        "org.Unit",
        verbose_name="填报单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空则由指标的填报单位填报",
    )
    parent = models.ForeignKey(
        "self", verbose_name="所属县区", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_home = models.BooleanField("本市", default=False, help_text="全省比较中代表本市的一行")
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "地区"
        verbose_name_plural = "地区"
        ordering = ["peer_set", "order", "code"]

    def __str__(self):
        return self.name


class Indicator(models.Model):
    """One indicator of the catalogue (rules.md §9). Every number here is editable; `version` goes up on edit,
    and the 通报 cites it."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    category = models.CharField("类别", max_length=12, choices=Category.choices)
    measure = models.CharField("计量单位", max_length=16, blank=True, help_text="亿元、%、μg/m³ …")
    frequency = models.CharField("周期", max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    cumulative = models.BooleanField("累计值", default=True, help_text="按“1-N月”累计填报（否则填报当期值）")
    aggregation = models.CharField(
        "年内汇总",
        max_length=6,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
        help_text="非累计值如何汇总到年内累计",
    )
    direction = models.CharField("方向", max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    derivation = models.CharField("计算方式", max_length=14, choices=Derivation.choices, default=Derivation.REPORTED)
    params = models.JSONField(
        "计算参数",
        default=dict,
        blank=True,
        help_text='占比：{"numerator": 编码, "denominator": 编码}；综合指数：{"parts": {编码: {"weight": 1, "divisor": 35}}}；'
        '三率：{"metric": "response"}',
    )
    rank_basis = models.CharField("排名依据", max_length=8, choices=RankBasis.choices, default=RankBasis.GROWTH)
    peer_sets = models.JSONField("比较范围", default=list, help_text="province / county / town 的列表")
    reporting_unit = models.ForeignKey(
        "org.Unit", verbose_name="填报单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_unit = models.ForeignKey(
        "org.Unit",
        verbose_name="牵头单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="本市全省位次的预警函发往此单位",
    )
    jump_pct = models.DecimalField(
        "异常波动阈值（%）",
        max_digits=7,
        decimal_places=2,
        default=30,
        help_text="当期值较上期或上年同期变动超过此比例，提交审核时标记“异常波动”",
    )
    report_due_days = models.PositiveSmallIntegerField("报送时限（工作日）", default=10, help_text="期末后第N个工作日")
    skip_january = models.BooleanField("1月免报", default=False)
    decimals = models.PositiveSmallIntegerField("小数位", default=2)
    caption = models.CharField("口径说明", max_length=200, blank=True, help_text="通报上印发的说明")
    source = models.CharField("出处备注", max_length=300, blank=True, help_text="研究出处，只在后台显示")
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    # The latest period with a published point, kept by `derive.recompute` (the overview reads it, not a GROUP BY).
    last_period = models.DateField("最新期别", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标目录"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.pk:
            self.version = (Indicator.objects.filter(pk=self.pk).values_list("version", flat=True).first() or 0) + 1
            self.last_period = Indicator.objects.filter(pk=self.pk).values_list("last_period", flat=True).first()
        super().save(*args, **kwargs)

    @property
    def is_derived(self) -> bool:
        return self.derivation != Derivation.REPORTED


class Target(models.Model):
    """The year's target of an indicator for a region (none: for the city itself in the province set)."""

    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField("年度")
    region = models.ForeignKey(Region, verbose_name="地区", on_delete=models.CASCADE, related_name="+")
    basis = models.CharField("目标口径", max_length=8, choices=RankBasis.choices, default=RankBasis.GROWTH)
    value = models.DecimalField("目标值", max_digits=16, decimal_places=4)

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        constraints = [models.UniqueConstraint(fields=["indicator", "year", "region"], name="target_once")]

    def __str__(self):
        return f"{self.year} {self.indicator} {self.region}"


class FigureState(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已发布"
    REJECTED = "rejected", "已退回"


class Origin(models.TextChoices):
    FORM = "form", "页面填报"
    IMPORT = "import", "Excel导入"
    API = "api", "系统推送"
    BULK = "bulk", "监测数据批量导入"


class Figure(models.Model):
    """One version of one figure (indicator × region × period). A revision is a new row with the next version;
    nothing is overwritten. The published figure is the latest approved version."""

    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="figures")
    region = models.ForeignKey(Region, verbose_name="地区", on_delete=models.PROTECT, related_name="figures")
    period = models.DateField("期别", help_text="期末月的1日")
    version = models.PositiveIntegerField("版本", default=1)
    value = models.DecimalField("数值", max_digits=20, decimal_places=4, null=True, blank=True)
    growth = models.DecimalField(
        "同比增长（%）",
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="公布的可比价增速；留空则由上年同期计算",
    )
    state = models.CharField("状态", max_length=10, choices=FigureState.choices, default=FigureState.PENDING)
    origin = models.CharField("来源", max_length=8, choices=Origin.choices, default=Origin.FORM)
    source_note = models.CharField("数据来源说明", max_length=300, blank=True)
    file = models.FileField("佐证材料", upload_to="indicators/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    batch = models.CharField("导入批次", max_length=40, blank=True, db_index=True)
    reporter = models.ForeignKey(
        "org.Unit", verbose_name="填报单位", on_delete=models.PROTECT, related_name="+", help_text="填报时的填报单位"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("填报时间")
    jump_flag = models.BooleanField("异常波动", default=False)
    jump_detail = models.CharField("波动说明", max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "指标数据"
        verbose_name_plural = "指标数据（含历次版本）"
        ordering = ["-period", "indicator", "region", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "period", "version"], name="figure_version_once"),
            models.CheckConstraint(
                name="figure_has_a_number", condition=Q(value__isnull=False) | Q(growth__isnull=False)
            ),
            models.CheckConstraint(
                name="figure_review_complete",
                condition=Q(state="pending", reviewed_at__isnull=True)
                | (~Q(state="pending") & Q(reviewed_at__isnull=False)),
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "region", "period"], name="figure_series"),
            models.Index(fields=["state", "entered_at"], name="figure_state"),
        ]

    def __str__(self):
        return f"{self.indicator} {self.region} {self.period:%Y-%m} v{self.version}"


class Point(models.Model):
    """The published figure of a series for a period with what monitoring derives from it. Rebuilt by
    `derive.recompute` whenever a figure is approved (and by the worker for derived indicators), so the leader's
    page and the warning sweep read one indexed table."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="points")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="points")
    period = models.DateField()
    figure = models.ForeignKey(Figure, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True)  # as reported (or derived)
    single = models.DecimalField(max_digits=20, decimal_places=4, null=True)  # this period alone (当月/当季)
    ytd = models.DecimalField(max_digits=20, decimal_places=4, null=True)  # year to date (累计)
    growth = models.DecimalField(max_digits=12, decimal_places=4, null=True)  # 累计同比 %
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    gap = models.DecimalField(max_digits=16, decimal_places=4, null=True)  # ranked figure − target (signed "better")
    progress = models.DecimalField(max_digits=10, decimal_places=2, null=True)  # ytd / value target %
    rank = models.PositiveSmallIntegerField(null=True)
    rank_of = models.PositiveSmallIntegerField(null=True)
    rank_change = models.SmallIntegerField(null=True)  # + = moved up
    below_target_run = models.PositiveSmallIntegerField(default=0)
    decline_run = models.PositiveSmallIntegerField(default=0)
    derived = models.BooleanField(default=False)

    class Meta:
        verbose_name = "发布数据"
        verbose_name_plural = "发布数据"
        constraints = [models.UniqueConstraint(fields=["indicator", "region", "period"], name="point_once")]
        indexes = [models.Index(fields=["indicator", "period"], name="point_period")]


class RuleKind(models.TextChoices):
    BELOW_TARGET = "below_target", "连续N期低于目标"
    RANK_DROP = "rank_drop", "位次较上期下降N位及以上"
    BOTTOM = "bottom", "排名后N位"
    DECLINE = "decline", "增速连续N期回落"
    PROJECTION = "projection", "年末预计完成目标的可能性低于P%"


class Counting(models.TextChoices):
    RUN = "run", "连续计：一段连续不达标只发一次"
    EACH = "each", "逐期计：每期不达标各发一次"


def default_issuer() -> str:
    """A new rule's issuer: the city's own wording (core_wording), never a name in code."""
    return wording.text("warning_issuer")


def default_letter_prefix() -> str:
    return wording.text("warning_prefix")


class WarningRule(models.Model):
    """A warning rule (rules.md §9.2: "EscalationRule(metric_set, list_size, window, consecutive|cumulative,
    action, target_role)"). A hit issues a 预警函 to the responsible unit; `escalate_after` letters to the same unit
    within `escalate_months` raise a 约谈 proposal in the accountability app."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("规则类型", max_length=12, choices=RuleKind.choices)
    indicators = models.JSONField("适用指标", default=list, blank=True, help_text="指标编码列表；空为全部")
    peer_set = models.CharField("比较范围", max_length=10, choices=PeerSet.choices, default=PeerSet.PROVINCE)
    periods = models.PositiveSmallIntegerField("期数N", default=2)
    places = models.PositiveSmallIntegerField("下降位次N", default=3)
    bottom_n = models.PositiveSmallIntegerField("后N位", default=10)
    chance_pct = models.PositiveSmallIntegerField("完成可能性低于（%）", default=30)
    counting = models.CharField("计次方式", max_length=4, choices=Counting.choices, default=Counting.RUN)
    lookback = models.PositiveSmallIntegerField("回看期数", default=3, help_text="只对最近几期的数据发函")
    answer_days = models.PositiveSmallIntegerField("答复时限（工作日）", default=5)
    escalate_after = models.PositiveSmallIntegerField("累计几次提出约谈", default=3, help_text="0 为不提出")
    escalate_months = models.PositiveSmallIntegerField("累计期间（月）", default=12)
    issuer = models.CharField("发函单位", max_length=60, default=default_issuer)
    letter_prefix = models.CharField("文号前缀", max_length=20, default=default_letter_prefix)
    letter_text = models.TextField(
        "预警函正文",
        max_length=1000,
        default="经监测，{region}{indicator}{fact}。请你单位高度重视，认真分析原因，研究提出整改措施，"
        "并于{due}前将整改措施书面报送。",
        help_text="可用 {region} {indicator} {fact} {due}",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "预警规则"
        verbose_name_plural = "预警规则"
        ordering = ["code"]

    def __str__(self):
        return self.name


class WarningState(models.TextChoices):
    ISSUED = "issued", "待答复"
    ANSWERED = "answered", "已答复"


class Warning(models.Model):
    """A 预警函 to the responsible unit; `lapse_key` is unique per rule, so the sweep never writes the same letter
    twice (a run of bad periods is one lapse, or each period is, by the rule's counting)."""

    rule = models.ForeignKey(WarningRule, verbose_name="规则", on_delete=models.PROTECT, related_name="warnings")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, verbose_name="地区", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    period = models.DateField("期别")
    lapse_key = models.CharField(max_length=120, editable=False)
    number = models.CharField("文号", max_length=40)
    summary = models.CharField("事由", max_length=300)
    body = models.TextField("正文")
    evidence = models.JSONField("依据数据", default=dict)
    issued_at = models.DateTimeField("发函时间")
    due_at = models.DateTimeField("答复期限")
    state = models.CharField("状态", max_length=10, choices=WarningState.choices, default=WarningState.ISSUED)
    answer = models.TextField("整改措施", max_length=3000, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposal = models.ForeignKey(
        "accountability.Proposal",
        verbose_name="约谈建议",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "预警函"
        verbose_name_plural = "预警函"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "lapse_key"], name="warning_once_per_lapse"),
            models.CheckConstraint(
                name="warning_answer_complete",
                condition=Q(state="issued", answered_at__isnull=True)
                | Q(state="answered", answered_at__isnull=False) & ~Q(answer=""),
            ),
        ]
        indexes = [models.Index(fields=["unit", "state"], name="warning_unit_state")]

    def __str__(self):
        return f"{self.number} {self.summary}"


class RewardScheme(models.Model):
    """Money rewards and penalties by rank (rules.md §9.2: 日照, 枣庄, 安阳 …), as data: `rewards` and `penalties`
    are [[from rank, to rank, amount in 万元]], penalties counted from the bottom."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    indicator = models.ForeignKey(Indicator, verbose_name="排名指标", on_delete=models.PROTECT, related_name="+")
    peer_set = models.CharField("比较范围", max_length=10, choices=PeerSet.choices, default=PeerSet.TOWN)
    rewards = models.JSONField("奖励", default=list, help_text="[[起始名次, 截止名次, 万元]]")
    penalties = models.JSONField("扣缴", default=list, help_text="[[倒数起始, 倒数截止, 万元]]")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "奖惩办法"
        verbose_name_plural = "奖惩办法"

    def __str__(self):
        return self.name
