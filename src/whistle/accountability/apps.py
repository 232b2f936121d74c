from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "whistle.accountability"
    label = "accountability"
    verbose_name = "问责"
    # Dotted paths of callables the worker runs after each sweep: each takes `now` and returns {name: count}.
    worker_jobs: tuple[str, ...] = ()
    # Extra navigation links by role: {role: [(url name, label)]}, appended after the core pages' links.
    nav_links: dict = {}
