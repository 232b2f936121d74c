from django.contrib import admin

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
    # No rater contact here at all: staff read it only through selectors.rater_contact, which logs every read.
    list_display = ["created_at", "cadre", "window", "unit", "level", "status", "channel", "external_id", "rectification"]
    list_filter = ["status", "level", "channel"]
    exclude = sorted(RATER_CONTACT)
    readonly_fields = [f.name for f in Rating._meta.fields if f.name not in RATER_CONTACT]


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
