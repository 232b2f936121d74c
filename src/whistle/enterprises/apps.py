from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "whistle.enterprises"
    label = "enterprises"
    verbose_name = "企业"
