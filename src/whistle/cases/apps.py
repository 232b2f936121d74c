from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "whistle.cases"
    label = "cases"
    verbose_name = "诉求工单"
    # The worker's jobs from this app (see dashboard.apps): signed checkpoints of the audit chain heads.
    worker_jobs: tuple[str, ...] = ("whistle.cases.audit.checkpoint_job",)

    def ready(self):
        from . import signals  # noqa: F401
