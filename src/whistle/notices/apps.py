from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "whistle.notices"
    label = "notices"
    verbose_name = "消息通知"
    # See docs/architecture.md. The sender turns outbox rows into deliveries and delivers them; the digest gathers a
    # day's batched notices into one message per person and channel.
    worker_jobs: dict[str, dict] = {
        "whistle.notices.sender.worker_job": {
            "name": "notices_send",
            "group": "notices",
            "every_seconds": 10,
            "description": "发送消息通知（短信、微信、邮件、站内、推送）",
        },
        "whistle.notices.sender.digest_job": {
            "name": "notices_digest",
            "group": "notices",
            "every_seconds": 600,
            "description": "每日消息汇总",
        },
    }
    # Monthly partitions on PostgreSQL (core.partitions): the outbox is filed under its case's submission month, as
    # the case's events are.
    partitioned_tables: dict[str, dict] = {"notices_notice": {"column": "case_submitted_at", "open_cases": True}}
    nav_links: dict = {
        role: [("notices:inbox", "消息")]
        for role in ("enterprise", "handler", "unit_admin", "coordinator", "leader", "auditor", "sysadmin", "inspector")
    } | {"coordinator": [("notices:inbox", "消息"), ("notices:failed", "发送失败")]}
    demo_seeders: tuple[str, ...] = ()

    def ready(self):
        from . import outbox  # noqa: F401  (connects the receiver of cases.signals.events_written)
