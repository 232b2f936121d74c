from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "whistle.open311"
    label = "open311"
    verbose_name = "Open311 接口"

    def ready(self):
        from . import signals  # noqa: F401
