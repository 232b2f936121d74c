from django.contrib import admin

from .models import HolidayOverride, RuleParameter

admin.site.site_header = "whistle 企业吹哨·部门报到 管理后台"
admin.site.site_title = "whistle 管理后台"
admin.site.index_title = "系统管理"


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"


@admin.register(RuleParameter)
class RuleParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "description"]
    search_fields = ["key", "description"]
