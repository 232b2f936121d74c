from django.contrib import admin

from .models import Area, Milestone, Outcome, Task, TaskEvent, TaskNotice, TaskStatus


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order", "is_active")
    list_editable = ("order", "is_active")


@admin.register(TaskStatus)
class TaskStatusAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "progress", "order")
    list_editable = ("progress", "order")


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Tasks are changed through the pages (every step is an event in the chain); here the office corrects what
    the plan says — dates, people, weight, publication — and the next sweep redraws the lights."""

    list_display = ("code", "title", "kind", "lead_unit", "due_on", "progress", "state", "light")
    list_filter = ("kind", "state", "light", "area", "year")
    search_fields = ("code", "title")
    raw_id_fields = ("parent", "owner", "lead_unit", "assisting_units", "source_category")
    readonly_fields = ("state", "light", "progress", "submitted_on", "closed_at")
    inlines = [MilestoneInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        from .lights import schedule

        schedule(obj, timezone.localdate())
        super().save_model(request, obj, form, change)


@admin.register(TaskEvent)
class TaskEventAdmin(admin.ModelAdmin):
    list_display = ("task", "seq", "kind", "at", "actor_label")
    list_filter = ("kind",)
    search_fields = ("task__code",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaskNotice)
class TaskNoticeAdmin(admin.ModelAdmin):
    list_display = ("task", "kind", "lapse_on", "reason", "unit", "issued_at")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ("title", "task", "stage", "proposed_on", "pushed_level", "pushed_on")
    list_filter = ("stage", "pushed_level")
