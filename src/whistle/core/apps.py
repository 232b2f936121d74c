from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "whistle.core"
    label = "core"
    verbose_name = "基础设置"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401
        from .jobs import sync_declared

        post_migrate.connect(sync_declared, sender=self, dispatch_uid="whistle.core.jobs.sync_declared")
