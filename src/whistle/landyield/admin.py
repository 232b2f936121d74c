"""The rules of 亩产效益 are edited here: figure kinds, schemes with their indicators and items, surcharges, class
policies, customer numbers. A locked scheme (used by a signed-off round) is read-only: a change is a new version."""

from django.contrib import admin

from .models import (
    ClassPolicy,
    FigureKind,
    Indicator,
    Round,
    RoundOwner,
    Scheme,
    SchemeItem,
    Surcharge,
    UtilityAccount,
)


@admin.register(FigureKind)
class FigureKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "owner_label", "owner_function", "enterprise_files", "order"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


class ItemInline(admin.TabularInline):
    model = SchemeItem
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "county", "version", "cut_mode", "a_max_pct", "b_upto_pct", "d_min_pct", "locked"]
    list_filter = ["year", "locked"]
    inlines = [IndicatorInline, ItemInline]
    actions = ["copy_to_next_year"]

    @admin.action(description="复制为下一年度（新版本）")
    def copy_to_next_year(self, request, queryset):
        from .services import scheme_copy

        for scheme in queryset:
            copy = scheme_copy(scheme, scheme.year + 1, county=scheme.county)
            self.message_user(request, f"已建立 {copy}")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.locked or obj.rounds.exists()):
            return False
        return super().has_delete_permission(request, obj)


class OwnerInline(admin.TabularInline):
    model = RoundOwner
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "county", "state", "score_runs", "publicity_ends_on", "signed_off_at"]
    list_filter = ["year", "state"]
    readonly_fields = ["state", "scored_at", "score_runs", "publicity_starts_on", "publicity_ends_on", "signed_off_at"]
    fields = ["scheme", "county", "year", "lead_unit", *readonly_fields]
    inlines = [OwnerInline]

    def has_add_permission(self, request):
        return False  # a round is opened on its page, which draws the participant list

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Surcharge)
class SurchargeAdmin(admin.ModelAdmin):
    list_display = ["utility", "klass", "min_years", "amount", "unit", "county", "basis"]
    list_filter = ["utility", "klass"]


@admin.register(ClassPolicy)
class ClassPolicyAdmin(admin.ModelAdmin):
    list_display = ["klass", "name", "effect"]


@admin.register(UtilityAccount)
class UtilityAccountAdmin(admin.ModelAdmin):
    list_display = ["customer_number", "utility", "enterprise", "other_surcharge", "other_basis"]
    list_filter = ["utility"]
    search_fields = ["customer_number", "enterprise__name", "enterprise__uscc"]
    raw_id_fields = ["enterprise"]
