from django.contrib import admin

from .models import ApiToken, Level, Membership, Unit, UnitKind


def county_filter(field: str, title: str = "属地县区"):
    """A list filter over the counties and zones only (a plain filter on a unit field offers every unit of the tree,
    hundreds of lines)."""

    class CountyFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            counties = Unit.objects.filter(level=Level.COUNTY, kind__in=[UnitKind.GOVERNMENT, UnitKind.ZONE], is_active=True)
            return [("none", "全市（不分县区）"), *[(str(u.pk), u.name) for u in counties.order_by("path")]]

        def queryset(self, request, queryset):
            if self.value() == "none":
                return queryset.filter(**{f"{field}__isnull": True})
            if self.value():
                return queryset.filter(**{f"{field}_id": self.value()})
            return queryset

    CountyFilter.title = title
    return CountyFilter


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "kind", "parent", "leader", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent", "county"]
    raw_id_fields = ["leader"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "role", "unit", "enterprise", "locked_until"]
    list_filter = ["role"]
    search_fields = ["user__username", "display_name", "unit__name", "enterprise__name"]
    autocomplete_fields = ["unit", "enterprise"]
    readonly_fields = ["failed_logins"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix_", "user", "name", "created_", "expires_at", "last_used_"]
    readonly_fields = ["prefix_", "created_", "last_used_"]

    # These columns have no Chinese name on the model (a token is the auth engineer's); the admin names them.
    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "user" in form.base_fields:
            form.base_fields["user"].label = "用户"
        return form

    @admin.display(description="令牌前缀")
    def prefix_(self, token):
        return token.prefix

    @admin.display(description="创建时间", ordering="created_at")
    def created_(self, token):
        return token.created_at

    @admin.display(description="最近使用", ordering="last_used_at")
    def last_used_(self, token):
        return token.last_used_at
