from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from whistle.cases.models import Category

from .models import AttributeValue, ServiceAttribute
from .services import services_changed


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=ServiceAttribute)
@receiver([post_save, post_delete], sender=AttributeValue)
def _services_changed(**kwargs):
    services_changed()
