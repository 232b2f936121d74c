from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "whistle.dashboard"
    label = "dashboard"
    verbose_name = "领导驾驶舱与排名"
    # Dotted paths of callables the worker runs after each sweep: each takes `now` and returns {name: count}.
    # The cockpit is warmed last: it reads the refreshed rollup and the hot topics' counts.
    worker_jobs: tuple[str, ...] = ("whistle.dashboard.rollup.worker_job", "whistle.dashboard.topics.refresh_topics",
                                    "whistle.dashboard.cockpit.warm")
    # Extra navigation links by role: {role: [(url name, label)]}, appended after the core pages' links.
    nav_links: dict = {
        "coordinator": [("dashboard:rankings", "排名"), ("dashboard:report", "考核通报")],
        "leader": [("dashboard:rankings", "排名"), ("dashboard:report", "考核通报")],
    }
    # Demo data added by `whistle seed` after the organisation and its year of cases: dotted paths of callables
    # taking the loaded Heze and `seed=`, returning one line to print.
    demo_seeders: tuple[str, ...] = ("whistle.dashboard.rollup.demo_seed",)
