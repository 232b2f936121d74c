from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP
from django.urls import reverse
from django.utils.html import format_html

from .models import Cadre, ContactRead, Rating, RatingRollup, Window


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ["name", "post", "unit", "is_party_member", "supervision_phone", "card_code", "is_active"]
    search_fields = ["name", "post"]
    autocomplete_fields = ["unit"]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["name", "hall", "unit", "supervision_phone", "card_code", "is_active"]
    search_fields = ["name", "hall"]
    autocomplete_fields = ["unit"]


RATER_CONTACT = {"rater_phone_hash", "rater_phone_masked"}


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    # No rater contact here at all: staff read it only through services.rater_contact, which logs every read.
    list_display = [
        "created_at",
        "cadre",
        "window",
        "unit",
        "level",
        "status",
        "channel",
        "external_id",
        "rectification",
    ]
    list_filter = ["status", "level", "channel"]
    exclude = sorted(RATER_CONTACT)
    readonly_fields = [f.name for f in Rating._meta.fields if f.name not in RATER_CONTACT] + ["rater_contact"]

    # Ratings are never added by hand nor deleted: they enter through the ratings service (card page, import) and
    # leave the figures only by appeal (申诉复核 → 作废), which keeps the row and its history.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def lookup_allowed(self, lookup, value, request=None):
        # Django lets any local field be filtered through the query string (?rater_phone_hash=…), which finds every
        # rating of one person with no read logged. Refused: the admin answers 400.
        if lookup.split(LOOKUP_SEP)[0] in RATER_CONTACT:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_sortable_by(self, request):
        return [name for name in super().get_sortable_by(request) if name not in RATER_CONTACT]

    @admin.display(description="评价人电话")
    def rater_contact(self, rating):
        if not rating.rater_phone_masked:
            return "评价人未留联系电话"
        return format_html(
            '<a href="{}">查看评价人电话</a>（须选择事由，每次查看都会记录）',
            reverse("ratings:rater_contact", args=[rating.pk]),
        )


@admin.register(ContactRead)
class ContactReadAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "rating", "purpose"]
    search_fields = ["actor_label", "purpose"]
    readonly_fields = [f.name for f in ContactRead._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RatingRollup)
class RatingRollupAdmin(admin.ModelAdmin):
    list_display = ["month", "kind", "target_id", "unit", "n1", "n2", "n3", "n4", "n5"]
    list_filter = ["kind", "month"]
    readonly_fields = [f.name for f in RatingRollup._meta.fields]
