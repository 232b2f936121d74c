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
        return f"{self.description or self.key}（{self.key} = {self.value.normalize() if self.value is not None else ''}）"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.value is None:
            return
        if self.min_value is not None and self.value < self.min_value:
            raise ValidationError({"value": f"取值不能小于 {self.min_value.normalize()}"}, code="below_minimum")
        if self.max_value is not None and self.value > self.max_value:
            raise ValidationError({"value": f"取值不能大于 {self.max_value.normalize()}"}, code="above_maximum")
