from django.contrib import admin, messages
from django.utils import timezone

from .models import Delivery, NoticeRule, NoticeTemplate, Status, WebhookEndpoint


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "subject", "sms_template_code", "wechat_template_id"]
    search_fields = ["code", "name", "subject"]


@admin.register(NoticeRule)
class NoticeRuleAdmin(admin.ModelAdmin):
    list_display = ["action", "to_state", "condition", "audience", "template", "channels", "timing", "is_active"]
    list_filter = ["audience", "timing", "is_active"]
    list_editable = ["timing", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "unit", "is_active"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient_label",
        "subject",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["subject", "recipient_label"]
    # The address may be a phone or "rating:<id>": not searchable, not shown in the list.
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="重新发送所选消息")
    def requeue(self, request, queryset):
        n = queryset.filter(status__in=[Status.FAILED, Status.GIVEN_UP]).update(
            status=Status.QUEUED, next_attempt_at=timezone.now(), claimed_by="", claimed_at=None
        )
        self.message_user(request, f"已重新排队 {n} 条消息", messages.SUCCESS)
