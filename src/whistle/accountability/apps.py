from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "whistle.accountability"
    label = "accountability"
    verbose_name = "问责"
    # The worker's jobs from this app: {dotted path of a callable taking `now`, returning {name: count}: defaults}.
    # Each rule has its own `every_minutes`; this job only looks for the rules that are due.
    worker_jobs: dict[str, dict] = {
        "whistle.accountability.evaluation.evaluate_rules": {
            "name": "accountability_rules",
            "group": "analytics",
            "every_seconds": 60,
            "description": "问责规则评估",
        },
    }
    # Extra navigation links by role: {role: [(url name, label)]}, appended after the core pages' links.
    # (role values as plain strings: org.models cannot be imported while the app registry loads)
    # The card import page belongs to ratings, whose AppConfig another engineer owns; it is linked from here for now.
    nav_links: dict = {
        "coordinator": [("accountability:proposals", "问责")],
        "leader": [("accountability:proposals", "问责")],
        "auditor": [("accountability:proposals", "问责")],
        "sysadmin": [("accountability:proposals", "问责"), ("ratings:cards_import", "干部窗口导入")],
        "unit_admin": [("ratings:cards_import", "干部窗口导入")],
    }
    # Demo data added by `whistle seed` after the organisation and its year of cases: dotted paths of callables
    # taking the loaded Heze and `seed=`, returning one line to print.
    demo_seeders: tuple[str, ...] = ("whistle.accountability.demo.seed_demo",)
