from django.apps import AppConfig


class SeedConfig(AppConfig):
    """The Heze demo and the synthetic benchmark data: `whistle seed` and `whistle demo_logins`. It sits above the
    domain apps it fills (org, enterprises, cases, and the apps' own `demo_seeders`), so nothing imports it."""

    name = "whistle.seed"
    label = "seed"
    verbose_name = "演示数据"
