from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "whistle.web"
    label = "web"
    verbose_name = "页面"
    # The worker writes the queued ledger exports (see whistle.web.exports); often, since a coordinator is waiting.
    worker_jobs: dict[str, dict] = {
        "whistle.web.exports.run_pending_exports": {
            "name": "ledger_exports",
            "group": "exports",
            "every_seconds": 10,
            "description": "台账后台导出",
        },
    }
