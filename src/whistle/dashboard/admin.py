from django.contrib import admin

from .models import CaseMonthFact, MetricDefinition, RankingClass


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(admin.ModelAdmin):
    """A city edits its definitions here; saving a changed computation bumps the version every figure cites."""

    list_display = ("code", "name", "kind", "version", "is_active", "source")
    list_filter = ("kind", "is_active")
    readonly_fields = ("version", "updated_at")
    fields = ("code", "name", "kind", "params", "is_active", "source", "order", "version", "updated_at")


@admin.register(RankingClass)
class RankingClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kinds", "group_by", "metric", "min_cases", "window_months", "list_length")


@admin.register(CaseMonthFact)
class CaseMonthFactAdmin(admin.ModelAdmin):
    list_display = ("month", "county", "lead_unit", "cases", "due", "on_time", "followed")
    list_filter = ("month",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
