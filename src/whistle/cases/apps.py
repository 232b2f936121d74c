from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "whistle.cases"
    label = "cases"
    verbose_name = "诉求工单"

    def ready(self):
        from . import signals  # noqa: F401
