from django.contrib import admin, messages

from .models import HolidayOverride, JobHeartbeat, RuleOverride, RuleParameter, Wording, WorkerJob

admin.site.site_header = "企业吹哨·部门报到 管理后台"
admin.site.site_title = "企业吹哨 管理后台"
admin.site.index_title = "系统管理"


def warn_missing_holidays(request) -> None:
    """Next year's holidays and 调休 not entered yet (see `core.calendar.next_year_missing`): say so on the admin's
    first page and on the holiday list, where it is fixed."""
    from .calendar import next_year_missing

    year = next_year_missing()
    if year:
        messages.warning(
            request,
            f"{year}年的法定节假日和调休尚未录入（节假日程序包也还不知道）：在录入前，落在{year}年的"
            f"工作日时限只跳过元旦、劳动节、国庆节等固定日期的假日。请在“节假日调整”中逐日录入。",
        )


_index = admin.site.index


def _index_with_warnings(request, extra_context=None):
    warn_missing_holidays(request)
    return _index(request, extra_context)


admin.site.index = _index_with_warnings  # type: ignore[method-assign]  # the default site, with one warning added


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        warn_missing_holidays(request)
        return super().changelist_view(request, extra_context)


class RuleOverrideInline(admin.TabularInline):
    """A city's own value of the parameter (a province deployment's cities; empty for one city)."""

    model = RuleOverride
    extra = 0
    autocomplete_fields = ["city"]


@admin.register(RuleParameter)
class RuleParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "min_value", "max_value", "description"]
    search_fields = ["key", "description"]
    inlines = [RuleOverrideInline]


@admin.register(WorkerJob)
class WorkerJobAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "every_seconds", "max_backoff_seconds", "is_active", "description"]
    list_editable = ["every_seconds", "is_active"]
    list_filter = ["group", "is_active"]
    # The callable is code's business: an administrator tunes when a job runs, not what it runs.
    readonly_fields = ["target"]


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "last_success_at",
        "last_error_at",
        "last_duration_seconds",
        "runs",
        "failures",
        "consecutive_failures",
        "next_run_at",
        "lease_owner",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Wording)
class WordingAdmin(admin.ModelAdmin):
    """The city's name and the names its pages and letters carry. The keys are what the code reads: edit the text,
    never add or delete a row."""

    list_display = ("key", "text", "description")
    list_editable = ("text",)
    readonly_fields = ("key", "description")
    search_fields = ("key", "text", "description")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
