from django.contrib import admin

from .models import Milestone, Patronage, Project, TaskForceMember, Visit, VisitProblem


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "county", "investment", "planned_start", "planned_end", "progress", "is_active"]
    list_filter = ["county", "is_active"]
    search_fields = ["code", "name"]
    inlines = [MilestoneInline]


class TaskForceInline(admin.TabularInline):
    model = TaskForceMember
    extra = 0


@admin.register(Patronage)
class PatronageAdmin(admin.ModelAdmin):
    """Read-mostly: assignments are made, changed and ended through the pages, which keep the history."""

    list_display = ["__str__", "leader", "lead_unit", "started_on", "ended_on"]
    list_filter = ["ended_on"]
    search_fields = ["enterprise__name", "enterprise__uscc", "project__name", "project__code", "leader__username"]
    raw_id_fields = ["enterprise", "project", "leader", "lead_unit", "created_by"]
    inlines = [TaskForceInline]


class VisitProblemInline(admin.TabularInline):
    model = VisitProblem
    extra = 0
    raw_id_fields = ["case"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_on", "patronage", "participants"]
    date_hierarchy = "visited_on"
    raw_id_fields = ["patronage", "enterprise", "created_by"]
    inlines = [VisitProblemInline]
