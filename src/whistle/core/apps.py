from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "whistle.core"
    label = "core"
    verbose_name = "基础设置"

    def ready(self):
        from . import signals  # noqa: F401
