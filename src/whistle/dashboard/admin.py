from django.contrib import admin

from whistle.org.admin import county_filter

from .case_rollup import FACT_LABELS
from .models import CaseMonthFact, MetricDefinition, RankingClass, RollupState


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(admin.ModelAdmin):
    """A city edits its definitions here; saving a changed computation bumps the version every figure cites."""

    list_display = ("code", "name", "kind", "version", "is_active", "source")
    list_filter = ("kind", "is_active")
    readonly_fields = ("version", "updated_at")
    fields = ("code", "name", "kind", "params", "is_active", "caption", "source", "order", "version", "updated_at")


@admin.register(RankingClass)
class RankingClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kinds", "group_by", "metric", "min_cases", "window_months", "list_length")


def _fact(name: str):
    """A rollup column under its Chinese name (the columns are counters named by `case_rollup.FACT_LABELS`)."""

    @admin.display(description=FACT_LABELS[name], ordering=name)
    def column(row):
        return getattr(row, name)

    column.__name__ = f"fact_{name}"
    return column


@admin.register(CaseMonthFact)
class CaseMonthFactAdmin(admin.ModelAdmin):
    list_display = (
        "month",
        "county",
        "lead_unit",
        "state",
        *[_fact(n) for n in ("cases", "due", "on_time", "followed", "closed", "withdrawn")],
    )
    list_filter = ("month", county_filter("county"))
    list_select_related = ("county", "lead_unit")

    def get_fields(self, request, obj=None):
        return ["month", "county", "lead_unit", "state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ("__str__", "last_event_id_", "refreshed_at_", "checked_at_")

    @admin.display(description="已汇总到的事件号")
    def last_event_id_(self, row):
        return row.last_event_id

    @admin.display(description="汇总行最后变化")
    def refreshed_at_(self, row):
        return row.refreshed_at

    @admin.display(description="数据截至")
    def checked_at_(self, row):
        return row.checked_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
