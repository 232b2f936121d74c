from django.apps import AppConfig


class ChainsConfig(AppConfig):
    name = "whistle.chains"
    label = "chains"
    verbose_name = "链长制与链式招商"
    # The pipeline's lights: 黄灯/红灯 from each stage's working-day deadline, one 督办 per lapse.
    worker_jobs: dict[str, dict] = {
        "whistle.chains.lights.sweep": {
            "name": "chain_lights",
            "group": "analytics",
            "every_seconds": 600,
            "description": "招商项目亮灯与督办",
        },
    }
    # (role values as plain strings: org.models cannot be imported while the app registry loads)
    nav_links: dict = {
        "chain_office": [("chains:board", "产业链"), ("chains:investment", "招商统计")],
        "leader": [("chains:board", "产业链")],
        "coordinator": [("chains:board", "产业链")],
        "auditor": [("chains:board", "产业链")],
        "sysadmin": [("chains:board", "产业链")],
    }
    demo_seeders: tuple[str, ...] = ("whistle.chains.demo.seed_chains",)

    def ready(self):
        from . import mapcache

        mapcache.connect()
