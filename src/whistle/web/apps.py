from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "whistle.web"
    label = "web"
    verbose_name = "页面"
    # The worker writes the queued ledger exports (see whistle.web.exports).
    worker_jobs: tuple[str, ...] = ("whistle.web.exports.run_pending_exports",)
