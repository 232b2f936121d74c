from django.contrib import admin

from .models import Case, CaseEvent, Category, DispatchRule, SlaProfile, SlaStage


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "sla_profile", "is_active"]
    search_fields = ["code", "name", "keywords"]
    list_filter = ["is_active"]


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "unit"]
    list_filter = ["area"]
    autocomplete_fields = ["category", "area", "unit"]


class SlaStageInline(admin.TabularInline):
    model = SlaStage
    extra = 0


@admin.register(SlaProfile)
class SlaProfileAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_default"]
    inlines = [SlaStageInline]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["seq", "action", "from_state", "to_state", "actor_label", "at", "payload"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: a case changes only through the workflow, never by editing a row."""

    list_display = ["number", "title", "state", "level", "card", "lead_unit", "county", "next_due_at"]
    list_filter = ["state", "level", "card", "kind", "channel"]
    search_fields = ["title", "contact_name"]
    inlines = [CaseEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
