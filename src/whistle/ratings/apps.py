from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "whistle.ratings"
    label = "ratings"
    verbose_name = "三亮与好差评"
