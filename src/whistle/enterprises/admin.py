from django.contrib import admin

from whistle.org.admin import county_filter

from .models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "county", "industry", "above_scale", "is_key"]
    list_filter = ["above_scale", "is_key", county_filter("county")]
    search_fields = ["name", "uscc"]
