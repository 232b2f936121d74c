from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "whistle.ratings"
    label = "ratings"
    verbose_name = "三亮与好差评"
    # See docs/architecture.md: periodic jobs for the worker, extra navigation links, demo data for `whistle seed`.
    worker_jobs: dict[str, dict] = {
        "whistle.ratings.phones.erase_expired": {
            "name": "rater_phone_erasure",
            "group": "analytics",
            "every_seconds": 3600,
            "description": "删除超过保存期限的评价人电话",
        },
    }
    # Monthly partitions on PostgreSQL (core.partitions); the unique rules are kept by `RatingKey`.
    partitioned_tables: dict[str, dict] = {"ratings_rating": {"column": "created_at"}}
    nav_links: dict = {}
    demo_seeders: tuple[str, ...] = ("whistle.ratings.demo.seed_demo",)
