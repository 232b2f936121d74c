"""Password policy beyond Django's validators: the published demo password is for demo mode only."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare

# Printed by `whistle demo` and in docs/api.md: every demo account shares it, so anyone can read it.
DEMO_PASSWORD = "whistle-demo"


def demo_mode() -> bool:
    return bool(getattr(settings, "DEMO", False))


def is_demo_password(password: str) -> bool:
    return constant_time_compare((password or "").strip().casefold(), DEMO_PASSWORD)


class DemoPasswordValidator:
    """Refuses the published demo password outside demo mode (settings.DEMO, from WHISTLE_DEMO=1)."""

    def validate(self, password, user=None):
        if not demo_mode() and is_demo_password(password):
            raise ValidationError("不能使用公开的演示密码", code="password_is_demo")

    def get_help_text(self):
        return "不能使用公开的演示密码。"
