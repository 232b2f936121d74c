from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "whistle.dashboard"
    label = "dashboard"
    verbose_name = "领导驾驶舱与排名"
    # The worker's jobs from this app: {dotted path of a callable taking `now`, returning {name: count}: defaults}.
    # The defaults become rows of core_workerjob after migrate; intervals are then the table's (a city edits them).
    # The cockpit is warmed after the rollup refresh in the same minute: it reads the refreshed rollup and the hot
    # topics' counts. Hot topics tokenise text, the costliest of the three, so they run less often.
    worker_jobs: dict[str, dict] = {
        "whistle.dashboard.case_rollup.worker_job": {
            "name": "metrics_rollup",
            "group": "analytics",
            "every_seconds": 60,
            "description": "三率汇总表增量刷新",
        },
        "whistle.dashboard.topics.refresh_topics": {
            "name": "hot_topics",
            "group": "analytics",
            "every_seconds": 300,
            "description": "热点词统计",
        },
        "whistle.dashboard.cockpit.warm": {
            "name": "cockpit_warm",
            "group": "analytics",
            "every_seconds": 60,
            "description": "预先生成各领导驾驶舱页面",
        },
    }
    # Extra navigation links by role: {role: [(url name, label)]}, appended after the core pages' links.
    nav_links: dict = {
        "coordinator": [("dashboard:rankings", "排名"), ("dashboard:report", "考核通报")],
        "leader": [("dashboard:rankings", "排名"), ("dashboard:report", "考核通报")],
    }
    # Demo data added by `whistle seed` after the organisation and its year of cases: dotted paths of callables
    # taking the loaded Heze and `seed=`, returning one line to print.
    demo_seeders: tuple[str, ...] = ("whistle.dashboard.case_rollup.demo_seed",)

    def ready(self):
        # 差评回访率 moves with a recorded call-back, which appends no case event: recompute that month.
        from whistle.ratings.callbacks import callback_recorded

        from .case_rollup import callback_recorded as mark_stale

        callback_recorded.connect(mark_stale, dispatch_uid="dashboard-callback-recorded")
