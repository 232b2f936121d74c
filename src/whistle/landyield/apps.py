from django.apps import AppConfig


class LandYieldConfig(AppConfig):
    name = "whistle.landyield"
    label = "landyield"
    verbose_name = "亩产效益评价"
    # The worker's jobs: {dotted path of a callable taking `now`, returning {name: count}: defaults}.
    worker_jobs: dict[str, dict] = {
        "whistle.landyield.jobs.publicity_sweep": {
            "name": "landyield_publicity",
            "group": "analytics",
            "every_seconds": 300,
            "description": "亩产效益：公示期届满、待重新评分的轮次",
        },
    }
    # (role values as plain strings: org.models cannot be imported while the app registry loads)
    nav_links: dict = {
        "enterprise": [("landyield:mine", "亩产效益")],
        "handler": [("landyield:home", "亩产效益")],
        "unit_admin": [("landyield:home", "亩产效益")],
        "coordinator": [("landyield:home", "亩产效益")],
        "leader": [("landyield:home", "亩产效益")],
        "auditor": [("landyield:home", "亩产效益")],
        "sysadmin": [("landyield:home", "亩产效益")],
    }
    demo_seeders: tuple[str, ...] = ("whistle.landyield.demo.seed_demo",)
