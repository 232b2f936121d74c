from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import calendar, rules, wording
from .models import HolidayOverride, RuleOverride, RuleParameter, Wording


@receiver([post_save, post_delete], sender=HolidayOverride)
def _holidays_changed(**kwargs):
    calendar.clear_cache()


@receiver([post_save, post_delete], sender=RuleOverride)
@receiver([post_save, post_delete], sender=RuleParameter)
def _rules_changed(**kwargs):
    rules.clear_cache()


@receiver([post_save, post_delete], sender=Wording)
def _wording_changed(**kwargs):
    wording.clear_cache()
