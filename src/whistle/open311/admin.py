from django.contrib import admin, messages

from . import services
from .models import AttributeValue, Integration, Jurisdiction, ServiceAttribute


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "endpoint_type", "changed_at"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """The api_key is made here and shown once, in the message after saving; only its hash is kept."""

    list_display = ["name", "prefix", "county", "kind", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active", "county"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["reissue_key"]

    def _show_key(self, request, integration, key):
        messages.warning(request, f"“{integration.name}”的 api_key：{key} —— 只显示这一次，请立即交给接入方妥善保存。")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            self._show_key(request, obj, services.integration_key_issue(obj))

    @admin.action(description="重新生成 api_key（旧密钥立即失效）")
    def reissue_key(self, request, queryset):
        for integration in queryset:
            self._show_key(request, integration, services.integration_key_issue(integration))


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 0


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "order", "code", "description", "datatype", "variable", "required"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__name", "category__code"]
    autocomplete_fields = ["category"]
    inlines = [AttributeValueInline]
