"""亩产效益 (land yield): the figure catalogue, yearly scoring schemes, rounds, participants, their figures with
each step of 企业填报 → 部门核实 → 企业确认, 异议 with files, cross-check flags, and what follows the class
(surcharges, policy flags, utility customer numbers, visit plans for D-class firms).

Rules are rows: the scheme (indicators, weights, benchmarks, items, quotas, publicity days) is a table per year and
county; a round keeps a snapshot of the scheme it was scored with (`Round.spec`), so a past result recomputes exactly.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class Klass(models.TextChoices):
    A = "A", "A类 优先发展"
    B = "B", "B类 支持发展"
    C = "C", "C类 提升发展"
    D = "D", "D类 限制发展"


class Group(models.TextChoices):
    ABOVE = "above", "规上企业"
    BELOW = "below", "规下企业"


class FigureKind(models.Model):
    """One figure a round collects (税收, 用地面积 …), the department function that owns it, and whether the
    enterprise files it itself."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=40)
    unit = models.CharField("计量单位", max_length=20)
    owner_function = models.CharField(
        "责任部门职能", max_length=20, help_text="部门编码后缀，如 tax、zrzy、power；新建轮次时按县区找到对应单位"
    )
    owner_label = models.CharField("责任部门", max_length=30)
    enterprise_files = models.BooleanField("企业填报", default=False, help_text="由企业填报、部门核实的数据项")
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "数据项"
        verbose_name_plural = "数据项"
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.name}（{self.unit}）"


class Scheme(models.Model):
    """评价办法: one year's rules for a county (or the whole city when `county` is empty). A scheme a signed-off round
    used is locked: a change is a new version."""

    class CutMode(models.TextChoices):
        QUOTA = "quota", "按比例（A≤、D≥）"
        SCORE = "score", "按分数线"

    year = models.PositiveSmallIntegerField("评价年度")
    county = models.ForeignKey(
        "org.Unit",
        verbose_name="县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="为空：全市通用",
    )
    version = models.PositiveSmallIntegerField("版本", default=1)
    name = models.CharField("名称", max_length=80)
    basis = models.CharField("依据", max_length=200, blank=True)
    cut_mode = models.CharField("分类方式", max_length=8, choices=CutMode.choices, default=CutMode.QUOTA)
    a_max_pct = models.DecimalField("A类上限（%）", max_digits=5, decimal_places=2, default=20)
    b_upto_pct = models.DecimalField("B类累计至（%）", max_digits=5, decimal_places=2, default=75)
    d_min_pct = models.DecimalField("D类下限（%）", max_digits=5, decimal_places=2, default=5)
    a_min_score = models.DecimalField("A类分数线", max_digits=8, decimal_places=2, null=True, blank=True)
    b_min_score = models.DecimalField("B类分数线", max_digits=8, decimal_places=2, null=True, blank=True)
    c_min_score = models.DecimalField("C类分数线", max_digits=8, decimal_places=2, null=True, blank=True)
    below_min_land_mu = models.DecimalField("规下企业用地下限（亩）", max_digits=8, decimal_places=2, default=3)
    excluded_industries = models.CharField(
        "不参评行业关键词",
        max_length=200,
        default="电力,热力,燃气,自来水,供水",
        help_text="逗号分隔；行业含这些词的企业（专营单位）采集数据但不参评",
    )
    crosscheck_k = models.DecimalField(
        "交叉核验阈值（MAD倍数）",
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.5"),
        help_text="同行业比值偏离中位数超过此倍数的中位绝对偏差即提示核查",
    )
    publicity_days = models.PositiveSmallIntegerField("公示天数", default=5)
    publicity_working_days = models.BooleanField("公示按工作日计", default=True)
    locked = models.BooleanField("已锁定", default=False, editable=False)

    class Meta:
        verbose_name = "评价办法"
        verbose_name_plural = "评价办法"
        ordering = ["-year", "county__path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "county", "version"], name="landyield_scheme_unique"),
            models.CheckConstraint(
                name="landyield_publicity_3_to_7", condition=Q(publicity_days__gte=3, publicity_days__lte=7)
            ),
            models.CheckConstraint(
                name="landyield_quota_in_order",
                condition=Q(a_max_pct__gte=0, d_min_pct__gte=0, b_upto_pct__gte=models.F("a_max_pct"))
                & Q(b_upto_pct__lte=100),
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.year}年 第{self.version}版）"


class Indicator(models.Model):
    """One term of the score: value = numerator / denominator × scale; score = min(value / benchmark, cap) × weight."""

    class Benchmark(models.TextChoices):
        FIXED = "fixed", "固定基准值"
        AVERAGE = "average", "参评企业平均值×倍数"

    class Missing(models.TextChoices):
        ZERO = "zero", "缺数据得0分"
        AVERAGE = "average", "缺数据得该项平均分"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    group = models.CharField("企业类别", max_length=8, choices=Group.choices)
    code = models.SlugField("编码", max_length=30)
    name = models.CharField("名称", max_length=40)
    numerator = models.ForeignKey(FigureKind, verbose_name="分子", on_delete=models.PROTECT, related_name="+")
    denominator = models.ForeignKey(
        FigureKind, verbose_name="分母", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scale = models.DecimalField("换算系数", max_digits=12, decimal_places=4, default=1)
    value_unit = models.CharField("指标单位", max_length=20, blank=True)
    weight = models.DecimalField("权重（分）", max_digits=6, decimal_places=2)
    benchmark_mode = models.CharField("基准", max_length=8, choices=Benchmark.choices, default=Benchmark.AVERAGE)
    benchmark_value = models.DecimalField("基准值", max_digits=16, decimal_places=4, null=True, blank=True)
    benchmark_factor = models.DecimalField("平均值倍数", max_digits=6, decimal_places=2, default=2)
    cap = models.DecimalField(
        "单项封顶（基准的倍数）", max_digits=6, decimal_places=2, null=True, blank=True, help_text="为空：不封顶"
    )
    missing = models.CharField("缺数据", max_length=8, choices=Missing.choices, default=Missing.ZERO)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "评价指标"
        verbose_name_plural = "评价指标"
        ordering = ["group", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "group", "code"], name="landyield_indicator_unique"),
            models.CheckConstraint(name="landyield_weight_positive", condition=Q(weight__gt=0)),
            models.CheckConstraint(
                name="landyield_fixed_benchmark_given",
                condition=~Q(benchmark_mode="fixed") | Q(benchmark_value__gt=0),
            ),
        ]

    def __str__(self):
        return self.name


class SchemeItem(models.Model):
    """加分/扣分 items, 一票否决 vetoes (bar A and B) and protections (never D unless vetoed)."""

    class Kind(models.TextChoices):
        BONUS = "bonus", "加分"
        PENALTY = "penalty", "扣分"
        VETO = "veto", "一票否决（不得评为A、B类）"
        PROTECTION = "protection", "保护（不评为D类）"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    code = models.SlugField("编码", max_length=30)
    name = models.CharField("名称", max_length=60)
    points = models.DecimalField("分值", max_digits=6, decimal_places=2, default=0, help_text="扣分项填正数")

    class Meta:
        verbose_name = "加减分、否决与保护项"
        verbose_name_plural = "加减分、否决与保护项"
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="landyield_item_unique")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.name}"


class RoundState(models.TextChoices):
    COLLECTING = "collecting", "数据采集"
    SCORED = "scored", "已评分（待公示）"
    PUBLICITY = "publicity", "公示中"
    REVIEW = "review", "公示期满（处理异议）"
    FROZEN = "frozen", "已审定"


class Round(models.Model):
    """A yearly evaluation of one county's (or the city's) enterprises."""

    scheme = models.ForeignKey(Scheme, verbose_name="评价办法", on_delete=models.PROTECT, related_name="rounds")
    county = models.ForeignKey("org.Unit", verbose_name="县区", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("评价年度")
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name="牵头部门", on_delete=models.PROTECT, related_name="+", help_text="通常为工信部门"
    )
    state = models.CharField("状态", max_length=12, choices=RoundState.choices, default=RoundState.COLLECTING)
    spec = models.JSONField("评分参数快照", default=dict, blank=True, editable=False)
    benchmarks = models.JSONField("本轮基准值", default=dict, blank=True, editable=False)
    floors = models.JSONField("各类最低分", default=dict, blank=True, editable=False)
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)
    score_runs = models.PositiveIntegerField("评分次数", default=0)
    needs_rescore = models.BooleanField("数据已变更待重新评分", default=False)
    publicity_starts_on = models.DateField("公示开始", null=True, blank=True)
    publicity_ends_on = models.DateField("公示截止", null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField("审定时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评价轮次"
        verbose_name_plural = "评价轮次"
        ordering = ["-year", "county__path"]
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="landyield_round_unique")]

    def __str__(self):
        return f"{self.county.display_name}{self.year}年度亩产效益评价"

    @property
    def is_frozen(self) -> bool:
        return self.state == RoundState.FROZEN


class RoundOwner(models.Model):
    """Which unit answers for a figure in this round (税务 for tax, 自然资源 for land …)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="owners")
    kind = models.ForeignKey(FigureKind, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "数据责任单位"
        verbose_name_plural = "数据责任单位"
        constraints = [models.UniqueConstraint(fields=["round", "kind"], name="landyield_owner_unique")]


class ParticipantStatus(models.TextChoices):
    EVALUATED = "evaluated", "参评"
    T_CLASS = "t_class", "T类（暂不评价）"
    EXCLUDED = "excluded", "不参评（采集数据）"


class Participant(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participants")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="land_yield_participations"
    )
    group = models.CharField("类别", max_length=8, choices=Group.choices)
    status = models.CharField("参评状态", max_length=10, choices=ParticipantStatus.choices)
    reason = models.CharField("原因", max_length=200, blank=True)
    park = models.ForeignKey(
        "org.Unit", verbose_name="所在园区/乡镇", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    items = models.JSONField("加减分、否决与保护项", default=list, blank=True)
    confirmed_at = models.DateTimeField("企业确认时间", null=True, blank=True)
    # The result of the last scoring run.
    score = models.DecimalField("得分", max_digits=10, decimal_places=4, null=True, blank=True)
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    klass = models.CharField("类别", max_length=1, choices=Klass.choices, blank=True)
    provisional_klass = models.CharField("公示类别", max_length=1, choices=Klass.choices, blank=True)
    quota_klass = models.CharField("按比例类别", max_length=1, choices=Klass.choices, blank=True)
    detail = models.JSONField("分项得分", default=dict, blank=True)
    consecutive_d = models.PositiveSmallIntegerField("连续D类年数", default=0)

    class Meta:
        verbose_name = "参评企业"
        verbose_name_plural = "参评企业"
        ordering = ["round", "rank", "enterprise__name"]
        constraints = [models.UniqueConstraint(fields=["round", "enterprise"], name="landyield_participant_unique")]
        indexes = [models.Index(fields=["enterprise", "round"], name="landyield_part_ent")]

    def __str__(self):
        return f"{self.enterprise.name}（{self.round.year}）"


class ParticipantChange(models.Model):
    """The participant list adjusted by hand, with the reason (added, set to T 类, excluded, restored)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="changes")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("调整为", max_length=10, choices=ParticipantStatus.choices)
    reason = models.CharField("原因", max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = "名单调整"
        verbose_name_plural = "名单调整"
        ordering = ["-at"]


class FigureState(models.TextChoices):
    FILED = "filed", "已填报"
    VERIFIED = "verified", "部门已核实"
    CONFIRMED = "confirmed", "企业已确认"
    DISPUTED = "disputed", "企业有异议"


class Figure(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="figures")
    kind = models.ForeignKey(FigureKind, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField("数值", max_digits=18, decimal_places=4, null=True, blank=True)
    state = models.CharField("状态", max_length=10, choices=FigureState.choices, default=FigureState.FILED)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "评价数据"
        verbose_name_plural = "评价数据"
        constraints = [
            models.UniqueConstraint(fields=["participant", "kind"], name="landyield_figure_unique"),
            models.CheckConstraint(name="landyield_figure_not_negative", condition=Q(value__gte=0) | Q(value=None)),
        ]
        indexes = [models.Index(fields=["round", "kind"], name="landyield_fig_round")]


class FigureStep(models.Model):
    """Each step of a figure, append-only: filed, verified, imported, confirmed, disputed, answered, corrected."""

    class Step(models.TextChoices):
        FILED = "filed", "企业填报"
        VERIFIED = "verified", "部门核实"
        IMPORTED = "imported", "部门导入"
        API = "api", "接口报送"
        CONFIRMED = "confirmed", "企业确认"
        DISPUTED = "disputed", "企业提出异议"
        CORRECTED = "corrected", "部门更正"
        UPHELD = "upheld", "部门维持原值"

    figure = models.ForeignKey(Figure, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField("步骤", max_length=10, choices=Step.choices)
    value = models.DecimalField("数值", max_digits=18, decimal_places=4, null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_label = models.CharField("操作人", max_length=120)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "数据记录"
        verbose_name_plural = "数据记录"
        ordering = ["at", "id"]


class Objection(models.Model):
    """异议: during data collection (a disputed figure) or on 公示 (the published class), in writing, with files."""

    class Stage(models.TextChoices):
        DATA = "data", "数据确认"
        PUBLICITY = "publicity", "公示期"

    class State(models.TextChoices):
        OPEN = "open", "待答复"
        CORRECTED = "corrected", "已更正"
        UPHELD = "upheld", "维持原值"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="objections")
    figure = models.ForeignKey(Figure, null=True, blank=True, on_delete=models.CASCADE, related_name="objections")
    stage = models.CharField("阶段", max_length=10, choices=Stage.choices)
    text = models.TextField("异议内容")
    claimed_value = models.DecimalField("企业认为的数值", max_digits=18, decimal_places=4, null=True, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    answer = models.TextField("部门答复", blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filed_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"
        ordering = ["-filed_at"]


class ObjectionFile(models.Model):
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="landyield/%Y/%m/")
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = "异议附件"
        verbose_name_plural = "异议附件"


class CrossCheck(models.Model):
    """A figure out of line with its industry before scoring (税收/用电、销售/用电、销售/能耗 …), for review."""

    class State(models.TextChoices):
        OPEN = "open", "待核查"
        CLEARED = "cleared", "已核查无误"
        CORRECTED = "corrected", "已更正"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="crosschecks")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="crosschecks")
    check_code = models.CharField("核验项", max_length=30)
    label = models.CharField("核验项名称", max_length=60)
    detail = models.CharField("说明", max_length=300)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    note = models.CharField("核查说明", max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "交叉核验"
        verbose_name_plural = "交叉核验"
        ordering = ["state", "check_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "check_code"], name="landyield_crosscheck_unique")
        ]


class Utility(models.TextChoices):
    POWER = "power", "电"
    WATER = "water", "水"
    GAS = "gas", "天然气"


class Surcharge(models.Model):
    """差别化价格: the surcharge a class pays after N consecutive years in it (D: +0.05/+0.10/+0.15 元/kWh after
    1/2/3+ years). Only the highest row that applies is charged; surcharges never stack."""

    utility = models.CharField("品种", max_length=8, choices=Utility.choices)
    klass = models.CharField("类别", max_length=1, choices=Klass.choices, default=Klass.D)
    min_years = models.PositiveSmallIntegerField("连续年数≥")
    amount = models.DecimalField("加价", max_digits=8, decimal_places=4)
    unit = models.CharField("单位", max_length=20)
    county = models.ForeignKey(
        "org.Unit",
        verbose_name="县区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="为空：全市；县区行（如水、气由县区发改部门定价）优先",
    )
    basis = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "差别化价格"
        verbose_name_plural = "差别化价格"
        ordering = ["utility", "klass", "min_years"]
        constraints = [
            models.UniqueConstraint(
                fields=["utility", "klass", "min_years", "county"], name="landyield_surcharge_unique"
            ),
            models.CheckConstraint(name="landyield_surcharge_positive", condition=Q(amount__gt=0, min_years__gte=1)),
        ]

    def __str__(self):
        return f"{self.get_utility_display()} {self.klass}类 连续{self.min_years}年 +{self.amount}{self.unit}"


class ClassPolicy(models.Model):
    """What a class brings (用地、用能、信贷、奖励 …): a policy flag per enterprise of that class."""

    klass = models.CharField("类别", max_length=1, choices=Klass.choices)
    code = models.SlugField("编码", max_length=30)
    name = models.CharField("政策", max_length=60)
    effect = models.CharField("内容", max_length=200)

    class Meta:
        verbose_name = "分类政策"
        verbose_name_plural = "分类政策"
        ordering = ["klass", "code"]
        constraints = [models.UniqueConstraint(fields=["klass", "code"], name="landyield_policy_unique")]

    def __str__(self):
        return f"{self.klass}类：{self.name}"


class UtilityAccount(models.Model):
    """An enterprise's customer number with a utility (用户编号), and any other surcharge already charged there
    (差别、惩罚性或阶梯电价): the price list charges only the highest."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    utility = models.CharField("品种", max_length=8, choices=Utility.choices)
    customer_number = models.CharField("用户编号", max_length=40)
    other_surcharge = models.DecimalField("已执行的其他加价", max_digits=8, decimal_places=4, default=0)
    other_basis = models.CharField("其他加价依据", max_length=100, blank=True)

    class Meta:
        verbose_name = "用户编号"
        verbose_name_plural = "用户编号"
        constraints = [models.UniqueConstraint(fields=["utility", "customer_number"], name="landyield_account_unique")]


class VisitPlan(models.Model):
    """A planned visit to a D-class firm put into 领导包保 (the visit itself is logged in patronage)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="visit_plans")
    patronage = models.ForeignKey("patronage.Patronage", on_delete=models.PROTECT, related_name="+")
    planned_on = models.DateField("计划走访日期")
    purpose = models.CharField("走访重点", max_length=200)

    class Meta:
        verbose_name = "走访计划"
        verbose_name_plural = "走访计划"
        ordering = ["planned_on"]
