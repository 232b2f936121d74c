from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "whistle.accountability"
    label = "accountability"
    verbose_name = "问责"
    # Dotted paths of callables the worker runs after each sweep: each takes `now` and returns {name: count}.
    worker_jobs: tuple[str, ...] = ("whistle.accountability.evaluation.evaluate_rules",)
    # Extra navigation links by role: {role: [(url name, label)]}, appended after the core pages' links.
    # (role values as plain strings: org.models cannot be imported while the app registry loads)
    nav_links: dict = {role: [("accountability:proposals", "问责")] for role in ("coordinator", "leader", "auditor", "sysadmin")}
    # Demo data added by `whistle seed` after the organisation and its year of cases: dotted paths of callables
    # taking the loaded Heze and `seed=`, returning one line to print.
    demo_seeders: tuple[str, ...] = ("whistle.accountability.demo.seed_demo",)
