from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from whistle.core.errors import Problem

from .models import ApiToken, Level, LoginThrottle, Membership, Unit, UnitKind
from .services import login_check, password_change_required


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in goes through `login_check` like the web form and the token endpoint: the same throttle,
    the same answers. An account that must change its password does that on the web page first."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = login_check(username, password, self.request)
            except Problem as refused:
                raise forms.ValidationError(refused.detail, code=refused.code) from None
            self.confirm_login_allowed(self.user_cache)
            if password_change_required(self.user_cache):
                raise forms.ValidationError(
                    "首次登录须先修改密码：请先在 /login 登录并修改密码", code="password_change_required"
                )
        return self.cleaned_data


admin.site.login_form = ThrottledAdminLoginForm


def county_filter(field: str, title: str = "属地县区"):
    """A list filter over the counties and zones only (a plain filter on a unit field offers every unit of the tree,
    hundreds of lines)."""

    class CountyFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            counties = Unit.objects.filter(
                level=Level.COUNTY, kind__in=[UnitKind.GOVERNMENT, UnitKind.ZONE], is_active=True
            )
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
    list_display = ["user", "display_name", "role", "unit", "enterprise", "must_change_password"]
    list_filter = ["role", "must_change_password"]
    search_fields = ["user__username", "display_name", "unit__name", "enterprise__name"]
    autocomplete_fields = ["unit", "enterprise"]

    def save_model(self, request, obj, form, change):
        # The administrator chose (and knows) the first password: the person changes it on first sign-in.
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Who is being slowed down; deleting a row lets that account or address try again at once."""

    list_display = ["scope", "label", "failures", "last_failure_at", "blocked_until"]
    list_filter = ["scope"]
    readonly_fields = ["scope", "label", "failures", "last_failure_at", "blocked_until"]

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix_", "user", "name", "created_", "expires_at", "last_used_"]
    readonly_fields = ["prefix_", "created_", "last_used_"]

    # These columns have no Chinese name on the model (a token is the auth engineer's); the admin names them.
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
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
