from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import deadlines
from .models import SlaStage


@receiver([post_save, post_delete], sender=SlaStage)
def _sla_changed(**kwargs):
    # An SLA edit in the admin applies to the next deadline computed, not after a restart.
    deadlines.clear_cache()
