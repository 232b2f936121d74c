from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "whistle.org"
    label = "org"
    verbose_name = "组织与用户"

    def ready(self):
        from . import signals  # noqa: F401  (connects the password-change receivers)
