from django.contrib import admin

from .models import Cadre, Rating, Window


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


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    # No rater contact beyond the masked number: the hash is never shown.
    list_display = ["created_at", "cadre", "window", "unit", "level", "status", "rater_phone_masked", "rectification"]
    list_filter = ["status", "level", "channel"]
    readonly_fields = [f.name for f in Rating._meta.fields]
