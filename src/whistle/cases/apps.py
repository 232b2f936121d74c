from django.apps import AppConfig
from django.conf import settings


class CasesConfig(AppConfig):
    name = "whistle.cases"
    label = "cases"
    verbose_name = "诉求工单"
    # The worker's jobs from this app: {dotted path of a callable taking `now`, returning {name: count}: defaults}.
    # The defaults become a row of core_workerjob after migrate; the interval is then the table's (a city edits it).
    # The sweep's own group, so it can run in a process of its own: `whistle worker --jobs sweep`.
    worker_jobs: dict[str, dict] = {
        "whistle.cases.sweeper.sweep": {
            "name": "deadline_sweep",
            "group": "sweep",
            "every_seconds": None,
            "description": "时限巡检：黄牌、红牌、督办单、提级与绿色通道",
        },
        # 回访抽查 (rules.md §8.5): the last complete month's random sample, drawn once.
        "whistle.cases.callbacks.draw_job": {
            "name": "callback_sample",
            "group": "cases",
            "every_seconds": 3600,
            "description": "回访抽查：每月随机抽取企业自评的已办结工单",
        },
        # Signed checkpoints of the audit chain heads that moved (cases.audit). WHISTLE_AUDIT_CHECKPOINT_MINUTES is the
        # row's first interval, and the least spacing the job keeps when forced (`worker --once`).
        "whistle.cases.audit.checkpoint_job": {
            "name": "audit_checkpoint",
            "group": "audit",
            "every_seconds": settings.WHISTLE_AUDIT_CHECKPOINT_MINUTES * 60,
            "description": "审计链签名检查点",
        },
    }
    # Facts of the metric `callback_consistency` (回访一致率, rules.md §8.5) for the rankings, read by this path.
    metric_facts: dict[str, str] = {
        "callback_checked": "whistle.cases.selectors.callback_facts",
        "callback_consistent": "whistle.cases.selectors.callback_facts",
    }
    # Monthly partitions on PostgreSQL (core.partitions): a case's events are filed under its submission month, so a
    # case's chain stays in one partition and (case, seq) stays unique with the partition column in the key.
    partitioned_tables: dict[str, dict] = {
        "cases_caseevent": {"column": "case_submitted_at", "open_cases": True},
    }
    # Scrape-time gauges for /metrics: dotted paths of callables taking `now`, yielding (name, help, value).
    metrics_gauges: tuple[str, ...] = ("whistle.cases.monitoring.gauges",)

    def ready(self):
        from . import signals  # noqa: F401
