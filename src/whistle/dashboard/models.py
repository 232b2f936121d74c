"""Metric definitions and ranking classes as data, and the monthly rollup of case facts the figures read.

A published figure always names the definition it used as `code@version`; editing a definition in the admin
bumps its version, so an old report and a new one never silently disagree about what a rate meant.
"""

from django.db import models
from django.db.models import Q


class MetricKind(models.TextChoices):
    RATIO = "ratio", "比率（分子/分母）"
    COMPOSITE = "composite", "综合得分（加权）"


class MetricDefinition(models.Model):
    """One rate, defined over the columns of `CaseMonthFact` (see `case_rollup.facts`).

    ratio: params = {"numerator": {fact: weight}, "denominator": {fact: weight}}
    composite: params = {"weights": {metric code: weight}, "missing": "renormalize" | "null"}
    """

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    kind = models.CharField("计算方式", max_length=12, choices=MetricKind.choices)
    params = models.JSONField("参数", default=dict)
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    is_active = models.BooleanField("启用", default=True)
    source = models.CharField("口径来源", max_length=200, blank=True, help_text="研究出处与备注，只在后台显示")
    caption = models.CharField(
        "通报说明",
        max_length=200,
        blank=True,
        help_text="印发的考核通报和排名页上对本指标的说明（本市自己的表述）；综合得分留空时按权重自动生成",
    )
    order = models.PositiveSmallIntegerField("排序", default=100)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "指标口径"
        verbose_name_plural = "指标口径"
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.name}（{self.label}）"

    @property
    def label(self) -> str:
        return f"{self.code}@{self.version}"

    def display_caption(self, names: dict[str, str] | None = None) -> str:
        """What an official page says about this figure: the city's caption, else (a composite) its weights in words.
        `names` maps metric codes to names (the composite's parts); without it they are read from the table."""
        if self.caption:
            return self.caption
        if self.kind != MetricKind.COMPOSITE:
            return ""
        weights = self.params.get("weights", {}) if isinstance(self.params, dict) else {}
        if names is None:
            names = dict(MetricDefinition.objects.filter(code__in=list(weights)).values_list("code", "name"))
        total = sum(float(w) for w in weights.values()) or 1
        parts = [f"{names.get(code, code)}×{float(w) * 100 / total:g}%" for code, w in weights.items()]
        return " + ".join(parts)

    def clean(self):
        """Refuse parameters the computation cannot read, naming the field (the admin shows it there)."""
        from django.core.exceptions import ValidationError

        from .case_rollup import FACT_NAMES
        from .metrics import outside_fact_names

        facts = set(FACT_NAMES) | outside_fact_names()
        p = self.params if isinstance(self.params, dict) else None
        if p is None:
            raise ValidationError({"params": "参数应为 JSON 对象"})

        def weights(key, allowed, what):
            found = p.get(key)
            if not isinstance(found, dict) or not found:
                raise ValidationError({"params": f"缺少 {key}：应为 {{{what}: 权重}}"})
            for name, w in found.items():
                if name not in allowed:
                    raise ValidationError(
                        {"params": f"{key} 中的 {name} 不是可用的{what}：{'、'.join(sorted(allowed))}"}
                    )
                if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
                    raise ValidationError({"params": f"{key} 中 {name} 的权重应为非负数"})

        if self.kind == MetricKind.RATIO:
            weights("numerator", facts, "统计项")
            weights("denominator", facts, "统计项")
        elif self.kind == MetricKind.COMPOSITE:
            ratios = set(MetricDefinition.objects.filter(kind=MetricKind.RATIO).values_list("code", flat=True))
            weights("weights", ratios, "比率指标")
            if p.get("missing", "renormalize") not in ("renormalize", "null"):
                raise ValidationError({"params": "missing 只能是 renormalize 或 null"})

    def save(self, *args, **kwargs):
        """Every save (the admin, a script) goes through the one writer of definitions, which bumps the version."""
        from .services import metric_definition_save

        metric_definition_save(self, *args, **kwargs)


class GroupBy(models.TextChoices):
    COUNTY = "county", "属地县区"
    UNIT = "unit", "主办单位"
    # A province's cities ranked against each other: each city's counties summed (issue 21).
    CITY = "city", "所属市"


class RankingClass(models.Model):
    """Units ranked against each other (县区, 市直部门, 县直部门, 乡镇街道), chosen by level and kind.

    A county is ranked on every case in its territory (`group_by=county`); a department or township on the
    cases it leads (`group_by=unit`).
    """

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    level = models.CharField("单位层级", max_length=10)
    kinds = models.JSONField("单位类型", default=list)
    group_by = models.CharField("统计口径", max_length=8, choices=GroupBy.choices)
    metric = models.ForeignKey(MetricDefinition, verbose_name="排名指标", on_delete=models.PROTECT, related_name="+")
    min_cases = models.PositiveIntegerField("最少件数", default=5, help_text="窗口期内件数少于此数的单位不参与排名")
    window_months = models.PositiveSmallIntegerField("滚动窗口（月）", default=3)
    list_length = models.PositiveSmallIntegerField("红黑榜长度", default=3)
    order = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "排名类别"
        verbose_name_plural = "排名类别"
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(name="ranking_window_positive", condition=Q(window_months__gte=1)),
        ]

    def __str__(self):
        return self.name


class CaseMonthFact(models.Model):
    """Counts per (month of submission, county, lead unit, state): everything every definition and the cockpit need.

    Maintained by the worker (`case_rollup.refresh`) for the months touched since the watermark, rebuilt by
    `whistle metrics rebuild`, checked against the raw rows by `whistle metrics verify`. The counts are those at
    the rollup's measuring moment (`RollupState.checked_at`): a case not yet contacted (answered) whose deadline
    is still ahead is pending (`contact_pending`, `opinion_pending`), in neither the numerator nor the
    denominator of its rate. `stale_at` is the earliest moment a clock-driven fact of the row changes (a pending
    deadline passes, an open case falls overdue): once it has passed, the next refresh recomputes the month.
    """

    month = models.DateField("月份")
    county = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    lead_unit = models.ForeignKey("org.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    state = models.CharField("状态", max_length=12, default="")
    cases = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    accept_due = models.IntegerField(default=0)
    accept_in_time = models.IntegerField(default=0)
    accept_pending = models.IntegerField(default=0)
    contact_due = models.IntegerField(default=0)
    contact_in_time = models.IntegerField(default=0)
    contact_pending = models.IntegerField(default=0)
    opinion_due = models.IntegerField(default=0)
    opinion_in_time = models.IntegerField(default=0)
    opinion_pending = models.IntegerField(default=0)
    followed = models.IntegerField(default=0)
    res_resolved = models.IntegerField(default=0)
    res_partly = models.IntegerField(default=0)
    res_unresolved = models.IntegerField(default=0)
    res_unreachable = models.IntegerField(default=0)
    sat_satisfied = models.IntegerField(default=0)
    sat_basic = models.IntegerField(default=0)
    sat_unsatisfied = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    supervised = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    rect_cases = models.IntegerField(default=0)
    rect_contacted = models.IntegerField(default=0)
    rect_open = models.IntegerField(default=0)
    rect_overdue = models.IntegerField(default=0)
    stale_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"{self.month:%Y年%m月} {self.county} {self.lead_unit or '未派单'} {self.state}"

    class Meta:
        verbose_name = "月度工单汇总"
        verbose_name_plural = "月度工单汇总"
        indexes = [models.Index(fields=["month", "county"], name="fact_month_county")]
        constraints = [
            models.UniqueConstraint(fields=["month", "county", "lead_unit", "state"], name="fact_unique_group_state"),
            models.UniqueConstraint(
                fields=["month", "county", "state"],
                condition=Q(lead_unit__isnull=True),
                name="fact_unique_undispatched_state",
            ),
        ]


class RollupState(models.Model):
    """The watermark: the last case event the rollup has seen. One row.

    `refreshed_at`: when rollup rows last changed (what a cached page built on them checks);
    `checked_at`: the measuring moment, the last refresh, when every row equalled the raw rows (the "as of" shown)."""

    last_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    checked_at = models.DateTimeField(null=True)
    # Event ids at most `last_event_id` not visible at a refresh (a transaction still in flight, or rolled back):
    # [first, last, ISO moment first missed] runs, looked for again by the next refreshes for an hour.
    holes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "汇总水位"
        verbose_name_plural = "汇总水位"

    def __str__(self):
        return "月度汇总水位"


class UnitRollupStamp(models.Model):
    """When rollup rows with this unit as their county or lead unit last changed: a scope (a unit subtree) has
    changed since a page was computed when a stamp in its subtree is newer (`cockpit.scope_stamp`)."""

    unit = models.OneToOneField("org.Unit", primary_key=True, on_delete=models.CASCADE, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "汇总变动时间"
        verbose_name_plural = "汇总变动时间"

    def __str__(self):
        return f"{self.unit} {self.changed_at:%Y-%m-%d %H:%M:%S}"
