from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "whistle.open311"
    label = "open311"
    verbose_name = "Open311 接口"
    # A lost database answers GeoReport's `errors` document, not the API's problem+json (core.unavailable).
    unavailable_responses = {"/open311/": "whistle.open311.views.unavailable"}

    def ready(self):
        from . import signals  # noqa: F401
