from django.contrib import admin

from .models import HolidayOverride, JobHeartbeat, RuleParameter, WorkerJob

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


@admin.register(WorkerJob)
class WorkerJobAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "every_seconds", "max_backoff_seconds", "is_active", "description"]
    list_editable = ["every_seconds", "is_active"]
    list_filter = ["group", "is_active"]
    # The callable is code's business: an administrator tunes when a job runs, not what it runs.
    readonly_fields = ["target"]


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_success_at", "last_error_at", "last_duration_seconds", "runs", "failures",
                    "consecutive_failures", "next_run_at", "lease_owner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
