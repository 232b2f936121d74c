from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from whistle.cases.models import Category

from .models import AttributeValue, Jurisdiction, ServiceAttribute


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=ServiceAttribute)
@receiver([post_save, post_delete], sender=AttributeValue)
def _services_changed(**kwargs):
    """Move discovery's changeset, so clients that cache services and definitions fetch them again."""
    Jurisdiction.objects.update(changed_at=timezone.now())
