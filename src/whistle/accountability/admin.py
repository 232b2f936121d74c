from django.contrib import admin

from .models import AccountabilityAction, Proposal, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "action",
        "months",
        "threshold",
        "bottom_n",
        "min_ratings",
        "every_minutes",
        "is_active",
        "evaluated_at",
    ]
    list_editable = ["months", "threshold", "bottom_n", "min_ratings", "every_minutes", "is_active"]
    readonly_fields = ["evaluated_at"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read-only here: proposals come from the rules and are decided on the coordinators' page, with a reason."""

    list_display = ["id", "action", "subject", "unit", "summary", "state", "created_at"]
    list_filter = ["state", "action", "subject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountabilityAction)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["id", "proposal", "kind", "held_on", "participants", "recorded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
