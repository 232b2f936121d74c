from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "whistle.web"
    label = "web"
    verbose_name = "页面"
