from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "whistle.indicators"
    label = "indicators"
    verbose_name = "指标监测与预警"
    # The derivations (published points, ranks, runs, whistle's own three rates) and the warning sweep; each
    # returns {name: count}. Intervals become rows of core_workerjob (a city edits them there).
    worker_jobs: dict[str, dict] = {
        "whistle.indicators.derive.worker_job": {
            "name": "indicator_derivations",
            "group": "analytics",
            "every_seconds": 300,
            "description": "指标派生值、排名与本平台三率指标",
        },
        "whistle.indicators.warnings.sweep": {
            "name": "indicator_warnings",
            "group": "analytics",
            "every_seconds": 600,
            "description": "指标预警规则：预警函、逾期未答复、累计预警提出约谈建议",
        },
    }
    nav_links: dict = {
        "leader": [("indicators:home", "指标监测")],
        "coordinator": [("indicators:home", "指标监测")],
        "auditor": [("indicators:home", "指标监测")],
        "sysadmin": [("indicators:home", "指标监测")],
        "handler": [("indicators:owe", "指标填报")],
        "unit_admin": [("indicators:owe", "指标填报")],
        "data_reviewer": [("indicators:review", "指标审核"), ("indicators:home", "指标监测")],
    }
    demo_seeders: tuple[str, ...] = ("whistle.indicators.demo.seed_indicators",)
