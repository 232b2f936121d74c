from django.contrib import admin

from .models import ApiToken, Membership, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "kind", "parent", "leader", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent", "county"]
    raw_id_fields = ["leader"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "role", "unit", "enterprise", "locked_until"]
    list_filter = ["role"]
    search_fields = ["user__username", "display_name", "unit__name", "enterprise__name"]
    autocomplete_fields = ["unit", "enterprise"]
    readonly_fields = ["failed_logins"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
