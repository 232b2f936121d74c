from django.contrib import admin

from .models import (
    Condition,
    CorrectionOrder,
    Finding,
    FindingNote,
    Inspection,
    ItemFlag,
    LegalityReview,
    ListField,
    ListItem,
    ListVersion,
    OrderNotice,
)


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "method", "order"]


class ReviewInline(admin.TabularInline):
    model = LegalityReview
    extra = 0
    readonly_fields = ["recorded_by", "reviewed_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a review is never edited: a new one is recorded

    def has_delete_permission(self, request, obj=None):
        return False


class FieldInline(admin.TabularInline):
    model = ListField
    extra = 0


@admin.register(ListVersion)
class ListVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "region", "effective_from", "effective_to"]
    list_filter = ["level"]
    inlines = [FieldInline, ReviewInline]


@admin.register(ListItem)
class ListItemAdmin(admin.ModelAdmin):
    list_display = ["version", "number", "field", "treatment", "violation"]
    list_filter = ["version", "treatment"]
    search_fields = ["violation", "legal_basis"]
    filter_horizontal = ["conditions"]

    def has_change_permission(self, request, obj=None):
        # A reviewed version is frozen: its items change only through a new version and a new review.
        return super().has_change_permission(request, obj) and not (obj and obj.version.reviews.exists())

    def save_model(self, request, obj, form, change):
        from . import matching

        obj.words = matching.item_words(obj.violation, obj.keywords)
        super().save_model(request, obj, form, change)


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["inspected_on", "enterprise", "department", "kind", "subject"]
    list_filter = ["kind"]
    raw_id_fields = ["enterprise", "department", "county", "inspector"]

    def has_add_permission(self, request):
        return False  # inspections are recorded by inspectors, through the services


class NoteInline(admin.TabularInline):
    model = FindingNote
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "text", "author_label", "created_at"]
    exclude = ["author"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["inspected_on", "enterprise", "department", "decision", "state", "deviation"]
    list_filter = ["state", "decision", "deviation"]
    inlines = [NoteInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CorrectionOrder)
class CorrectionOrderAdmin(admin.ModelAdmin):
    list_display = ["finding", "due_on", "state"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrderNotice)
class OrderNoticeAdmin(admin.ModelAdmin):
    """What the correction sweep told, once per order and kind (the messages are under 消息发送)."""

    list_display = ["order", "kind", "lapse_on", "recipients", "issued_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ItemFlag)
class ItemFlagAdmin(admin.ModelAdmin):
    list_display = ["year", "kind", "item", "matched", "applied", "deviated"]
    list_filter = ["year", "kind"]
