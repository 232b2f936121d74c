from django.apps import AppConfig


class ReformsConfig(AppConfig):
    name = "whistle.reforms"
    label = "reforms"
    verbose_name = "改革任务与交办单"
    # The light sweep: 红黄绿灯 from working-day dates, 提醒/预警函/督办函 once per lapse, repeated red → 约谈 proposal.
    worker_jobs: dict[str, dict] = {
        "whistle.reforms.lights.sweep": {
            "name": "reform_lights",
            "group": "analytics",
            "every_seconds": 600,
            "description": "改革任务亮灯、提醒与督办函",
        },
    }
    # (role values as plain strings: org.models cannot be imported while the app registry loads)
    nav_links: dict = {
        "reform_office": [("reforms:board", "改革任务"), ("reforms:mine", "本级报送"), ("reforms:sheets", "交办单")],
        "leader": [("reforms:board", "改革任务")],
        "coordinator": [("reforms:board", "改革任务")],
        "handler": [("reforms:mine", "改革任务")],
        "unit_admin": [("reforms:mine", "改革任务")],
        "auditor": [("reforms:board", "改革任务")],
        "sysadmin": [("reforms:board", "改革任务")],
    }
    demo_seeders: tuple[str, ...] = ("whistle.reforms.demo.seed_reforms",)
    # Facts of the metric `reform_on_time` (issue 16 item 10) for the rankings, which read them by this path.
    metric_facts: dict[str, str] = {
        "reform_due": "whistle.reforms.selectors.on_time_by_unit",
        "reform_on_time": "whistle.reforms.selectors.on_time_by_unit",
    }
