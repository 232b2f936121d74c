from django.apps import AppConfig


class LeniencyConfig(AppConfig):
    name = "whistle.leniency"
    label = "leniency"
    verbose_name = "不罚轻罚"
    # The worker's jobs: {dotted path of a callable taking `now`, returning {name: count}: defaults}.
    worker_jobs: dict[str, dict] = {
        "whistle.leniency.jobs.correction_sweep": {
            "name": "leniency_corrections",
            "group": "leniency",
            "every_seconds": 300,
            "description": "责令改正期限与复查提醒",
        },
        "whistle.leniency.jobs.yearly_review": {
            "name": "leniency_review",
            "group": "leniency",
            "every_seconds": 86400,
            "description": "不罚轻罚清单动态评估标记",
        },
    }
    # Extra navigation links by role (role values as plain strings: org.models cannot be imported here).
    nav_links: dict = {
        "inspector": [("leniency:home", "行政检查"), ("leniency:versions", "不罚轻罚清单")],
        "unit_admin": [("leniency:home", "行政检查")],
        "enterprise": [("leniency:home", "检查记录")],
        "coordinator": [("leniency:figures", "不罚轻罚")],
        "leader": [("leniency:figures", "不罚轻罚")],
        "auditor": [("leniency:figures", "不罚轻罚")],
        "sysadmin": [("leniency:figures", "不罚轻罚"), ("leniency:versions", "清单管理")],
    }
    # Demo data added by `whistle seed`: the Shandong list, a Heze addition, months of inspections.
    demo_seeders: tuple[str, ...] = ("whistle.leniency.demo.seed_leniency",)

    def ready(self):
        from . import signals  # noqa: F401  (the matching caches follow the tables)
