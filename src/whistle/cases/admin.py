from django.contrib import admin

from whistle.org.admin import county_filter

from .models import Case, CaseEvent, Category, DispatchRule, SlaProfile, SlaStage, State


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "city", "sla_profile", "is_active"]
    search_fields = ["code", "name", "keywords"]
    list_filter = ["is_active", "city"]  # a city's own categories, or the province's (空)


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "unit"]
    list_filter = [county_filter("area")]
    list_select_related = ["category", "area", "unit"]
    search_fields = ["category__name", "category__code", "unit__name", "unit__short_name", "area__name"]
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
    fields = readonly_fields = ("seq_", "action_", "from_state_", "to_state_", "actor_", "at_", "payload_")
    verbose_name = "办理记录"
    verbose_name_plural = "办理记录（只读，哈希链保护）"

    # The event columns carry no Chinese names of their own (they are the audit chain's, not a form's).
    @admin.display(description="序号")
    def seq_(self, e):
        return e.seq

    @admin.display(description="动作")
    def action_(self, e):
        from .workflow import TRANSITIONS

        found = TRANSITIONS.get(e.action)
        return found.label if found is not None else e.action  # sweeper events (黄牌 …) have no row

    @admin.display(description="原状态")
    def from_state_(self, e):
        return State(e.from_state).label if e.from_state in State.values else e.from_state

    @admin.display(description="新状态")
    def to_state_(self, e):
        return State(e.to_state).label if e.to_state in State.values else e.to_state

    @admin.display(description="操作人")
    def actor_(self, e):
        return e.actor_label

    @admin.display(description="时间")
    def at_(self, e):
        return e.at

    @admin.display(description="内容")
    def payload_(self, e):
        return e.payload

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: a case changes only through the workflow, never by editing a row."""

    list_display = ["number_", "title", "state", "level", "card", "lead_unit", "county", "next_due_at"]
    list_select_related = ["lead_unit", "county"]

    @admin.display(description="工单编号", ordering="pk")
    def number_(self, case):
        return case.number

    list_filter = ["state", "level", "card", "kind", "channel"]
    search_fields = ["title", "contact_name"]
    inlines = [CaseEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
