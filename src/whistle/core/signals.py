from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import calendar, rules
from .models import HolidayOverride, RuleParameter


@receiver([post_save, post_delete], sender=HolidayOverride)
def _holidays_changed(**kwargs):
    calendar.clear_cache()


@receiver([post_save, post_delete], sender=RuleParameter)
def _rules_changed(**kwargs):
    rules.clear_cache()
