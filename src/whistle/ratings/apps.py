from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "whistle.ratings"
    label = "ratings"
    verbose_name = "三亮与好差评"
    # See docs/architecture.md: periodic jobs for the worker, extra navigation links, demo data for `whistle seed`.
    worker_jobs: tuple[str, ...] = ()
    nav_links: dict = {}
    demo_seeders: tuple[str, ...] = ("whistle.ratings.demo.seed_demo",)
