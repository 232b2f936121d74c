from django.apps import AppConfig


class PatronageConfig(AppConfig):
    name = "whistle.patronage"
    label = "patronage"
    verbose_name = "领导包保"
    # Dotted paths of callables the worker runs after each sweep: each takes `now` and returns {name: count}.
    worker_jobs: tuple[str, ...] = ()
    # Extra navigation links by role: {role: [(url name, label)]}, appended after the core pages' links.
    # (role values as plain strings: org.models cannot be imported while the app registry loads)
    nav_links: dict = {"leader": [("patronage:home", "包保")], "coordinator": [("patronage:home", "包保")]}
    # Demo data added by `whistle seed` after the organisation and its year of cases: dotted paths of callables
    # taking the loaded Heze and `seed=`, returning one line to print.
    demo_seeders: tuple[str, ...] = ("whistle.patronage.demo.seed_patronage",)
