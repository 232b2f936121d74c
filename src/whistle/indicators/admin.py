from django.contrib import admin

from .models import Figure, Indicator, Region, RewardScheme, Target, Warning, WarningRule


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "category",
        "frequency",
        "cumulative",
        "direction",
        "derivation",
        "rank_basis",
        "version",
        "is_active",
    ]
    list_filter = ["category", "frequency", "derivation", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["version"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "peer_set", "unit", "reporter", "parent", "is_home", "is_active"]
    list_filter = ["peer_set", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["year", "indicator", "region", "basis", "value"]
    list_filter = ["year", "indicator"]


@admin.register(WarningRule)
class WarningRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "peer_set", "counting", "answer_days", "escalate_after", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(RewardScheme)
class RewardSchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "indicator", "peer_set", "is_active"]


@admin.register(Figure)
class FigureAdmin(admin.ModelAdmin):
    """History is kept: versions are added by the services, never edited or deleted here."""

    list_display = ["indicator", "region", "period", "version", "value", "growth", "state", "origin", "jump_flag"]
    list_filter = ["state", "origin", "jump_flag", "indicator"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ["number", "unit", "indicator", "region", "period", "state", "issued_at", "due_at"]
    list_filter = ["state", "rule"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
