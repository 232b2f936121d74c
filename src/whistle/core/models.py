"""Tables that hold rules as data: the holiday overrides and the tunable parameters.

A city changes these in the admin; nothing here needs a release.
"""

from django.db import models


class HolidayOverride(models.Model):
    """One day whose working status differs from what `chinese-calendar` says, or a day of a year it does not know.

    The State Council publishes next year's holidays each November; until the package catches up,
    an administrator enters them here.
    """

    date = models.DateField("日期", unique=True)
    is_working_day = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y年%m月%d日} {'上班' if self.is_working_day else '放假'} {self.note}".strip()


def city_override(*, required: bool = False, **options) -> models.ForeignKey:
    """The city government a row of a city's own applies to (a rule value, a phrase, an SLA profile): empty, unless
    `required`, for the deployment's own row. One declaration for the tables where a province's cities override the
    deployment's rules (issue 21); a reference by name, so core imports no app."""
    return models.ForeignKey(
        "org.Unit",
        verbose_name="适用市",
        null=not required,
        blank=not required,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": "city", "kind": "government"},
        **options,
    )


class RuleParameter(models.Model):
    """A named number that a rule reads: lockout threshold, escalation delay, return limit …

    Defaults arrive by migration; the code reads them through `core.rules.param()`.
    """

    key = models.CharField("参数", max_length=80, unique=True)
    value = models.DecimalField("取值", max_digits=12, decimal_places=4)
    description = models.CharField("说明", max_length=200)
    # The range a value may take: a count or a duration is never negative (a lockout after -3 failures, an
    # escalation -3 days after a notice mean nothing). Empty: no bound on that side.
    min_value = models.DecimalField("最小值", max_digits=12, decimal_places=4, null=True, blank=True, default=0)
    max_value = models.DecimalField("最大值", max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = "规则参数"
        verbose_name_plural = "规则参数"
        ordering = ["key"]

    def __str__(self):
        return (
            f"{self.description or self.key}（{self.key} = {self.value.normalize() if self.value is not None else ''}）"
        )

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.value is None:
            return
        if self.min_value is not None and self.value < self.min_value:
            raise ValidationError({"value": f"取值不能小于 {self.min_value.normalize()}"}, code="below_minimum")
        if self.max_value is not None and self.value > self.max_value:
            raise ValidationError({"value": f"取值不能大于 {self.max_value.normalize()}"}, code="above_maximum")


class RuleOverride(models.Model):
    """A city's own value of a rule parameter (a province's cities share the parameters; issue 21): read through
    `core.rules.param(key, city_id)` wherever the rule applies to one city's case."""

    parameter = models.ForeignKey(
        RuleParameter, verbose_name="参数", on_delete=models.CASCADE, related_name="overrides"
    )
    city = city_override(required=True)
    value = models.DecimalField("本市取值", max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = "规则参数（本市）"
        verbose_name_plural = "规则参数（本市）"
        constraints = [models.UniqueConstraint(fields=["parameter", "city"], name="rule_override_unique")]

    def __str__(self):
        return f"{self.parameter.key} = {self.value.normalize() if self.value is not None else ''}"

    def clean(self):
        if self.parameter_id is not None and self.value is not None:
            RuleParameter(
                key=self.parameter.key,
                value=self.value,
                min_value=self.parameter.min_value,
                max_value=self.parameter.max_value,
            ).clean()


class WorkerJob(models.Model):
    """One periodic job of `whistle worker`, and how often it runs: an interval a city changes here, no release.

    Rows for the jobs the apps declare (`worker_jobs` on their AppConfig) are added after every `migrate` with the
    declared defaults (core.jobs.sync_declared); an edited row is never overwritten. `target` is the dotted path of
    a callable taking `now` and returning {name: count}; it is shown but not editable in the admin.
    """

    name = models.SlugField("任务", max_length=60, unique=True)
    target = models.CharField("调用路径", max_length=200)
    group = models.SlugField("分组", max_length=40, help_text="whistle worker --jobs 分组名 只运行该组任务")
    every_seconds = models.PositiveIntegerField("间隔（秒）", default=60)
    max_backoff_seconds = models.PositiveIntegerField("失败后最长等待（秒）", default=600)
    is_active = models.BooleanField("启用", default=True)
    position = models.PositiveSmallIntegerField("顺序", default=100)
    description = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(every_seconds__gte=1), name="worker_job_every_positive")
        ]

    def __str__(self):
        return f"{self.name} 每{self.every_seconds}秒"


class JobHeartbeat(models.Model):
    """What the last runs of one job did, written outside the job's own transaction (a failed job still leaves its
    error here). `lease_owner`/`lease_until` keep two worker processes from running the same job at once; `next_run_at`
    is shared, so a second worker does not re-run a job the first has just run."""

    name = models.SlugField("任务", max_length=60, unique=True)
    last_started_at = models.DateTimeField("最近开始", null=True, blank=True)
    last_finished_at = models.DateTimeField("最近结束", null=True, blank=True)
    last_success_at = models.DateTimeField("最近成功", null=True, blank=True)
    last_error_at = models.DateTimeField("最近失败", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    last_duration_seconds = models.FloatField("最近用时（秒）", null=True, blank=True)
    last_result = models.JSONField("最近结果", default=dict, blank=True)
    runs = models.PositiveIntegerField("运行次数", default=0)
    failures = models.PositiveIntegerField("失败次数", default=0)
    consecutive_failures = models.PositiveIntegerField("连续失败", default=0)
    next_run_at = models.DateTimeField("下次运行", null=True, blank=True)
    lease_owner = models.CharField("运行者", max_length=120, blank=True)
    lease_until = models.DateTimeField("占用至", null=True, blank=True)

    class Meta:
        verbose_name = "任务心跳"
        verbose_name_plural = "任务心跳"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Wording(models.Model):
    """A phrase of the city's own — its name, the platform's name, the issuer of its letters — printed on pages and on
    official output. Defaults by migration (Heze's, the demo city's); a city changes them in the admin, and the code
    and templates carry none of them (issue 21: cities in one deployment). Read through `core.wording`."""

    key = models.CharField("用语", max_length=80)
    text = models.CharField("文字", max_length=200)
    description = models.CharField("说明", max_length=200)
    # Empty: the deployment's own phrase (a one-city deployment's, or a province's default). A city government here:
    # that city's override, read by its staff's pages and its own official output.
    city = city_override()

    class Meta:
        verbose_name = "本市用语"
        verbose_name_plural = "本市用语"
        ordering = ["key", "city"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=models.Q(city__isnull=True), name="wording_key_unique"),
            models.UniqueConstraint(fields=["key", "city"], name="wording_city_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.text}"
