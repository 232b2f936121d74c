"""Keep this process's matching caches in step with the tables they are read from (other processes re-read them
after the caches' TTL): the tokenizer's user dictionary (unit and category names), the approved versions and the
lists' items."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from whistle.cases.models import Category
from whistle.org.models import Unit

from . import matching, selectors
from .models import Condition, LegalityReview, ListField, ListItem, ListVersion


@receiver([post_save, post_delete], sender=Unit)
@receiver([post_save, post_delete], sender=Category)
def _dictionary_changed(**kwargs):
    matching.clear_cache()


@receiver([post_save, post_delete], sender=ListVersion)
@receiver([post_save, post_delete], sender=LegalityReview)
@receiver([post_save, post_delete], sender=Condition)
@receiver([post_save, post_delete], sender=ListField)
@receiver([post_save, post_delete], sender=ListItem)
@receiver(m2m_changed, sender=ListItem.conditions.through)
def _lists_changed(**kwargs):
    selectors.clear_lists_cache()
