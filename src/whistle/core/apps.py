from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_tables(using="default", **kwargs):
    """The database caches' tables (settings.CACHES without Redis) come with `migrate`, so `whistle demo`, a new
    deployment and the test databases need no extra step. `createcachetable` skips tables that exist."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "whistle.core"
    label = "core"
    verbose_name = "基础设置"
    # Monthly partitions of the tables that grow (core.partitions), created ahead; the months are a rule parameter.
    worker_jobs: dict[str, dict] = {
        "whistle.core.partitions.ahead_job": {
            "name": "partitions_ahead",
            "group": "maintenance",
            "every_seconds": 86400,
            "description": "分区表：提前建好未来几个月的分区（PostgreSQL）",
        },
    }

    def ready(self):
        from . import signals  # noqa: F401
        from .jobs import sync_declared

        post_migrate.connect(_create_cache_tables, sender=self, dispatch_uid="whistle.core.cache_tables")
        post_migrate.connect(sync_declared, sender=self, dispatch_uid="whistle.core.jobs.sync_declared")
