"""The chains' data in the back office: the chains with their chiefs, parks, 链主 firms and offices; list types and
pipeline stages (rules as data). Maps, lists and projects are kept on the chain pages, through the services."""

from django.contrib import admin

from .models import Chain, Chief, KpiDefinition, ListType, Officer, Owner, Park, Stage


class ChiefInline(admin.TabularInline):
    model = Chief
    extra = 0
    raw_id_fields = ("user",)


class ParkInline(admin.TabularInline):
    model = Park
    extra = 0


class OwnerInline(admin.TabularInline):
    model = Owner
    extra = 0
    raw_id_fields = ("enterprise",)


class OfficerInline(admin.TabularInline):
    model = Officer
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "layout", "lead_unit", "order", "is_active")
    list_editable = ("order", "is_active")
    raw_id_fields = ("lead_unit",)
    inlines = [ChiefInline, ParkInline, OwnerInline, OfficerInline]


@admin.register(ListType)
class ListTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order", "is_active")
    list_editable = ("order", "is_active")


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "pipeline", "code", "order", "limit_working_days", "is_signed")
    list_editable = ("limit_working_days",)
    list_filter = ("pipeline",)


@admin.register(KpiDefinition)
class KpiDefinitionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "source", "unit", "order", "is_active")
    list_editable = ("order", "is_active")
