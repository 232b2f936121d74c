from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from whistle.org.models import Unit

from . import deadlines
from .models import SlaProfile, SlaStage, clear_prefixes

# Sent inside the transaction that wrote them, once per write, with `events`: the case events just appended (CaseEvent
# instances from the engine, EventRow tuples from the sweeper's set-based write; both have case_id, seq, action,
# from_state, to_state, actor_id, actor_label, at, payload). A receiver that writes (the notices outbox) commits or
# rolls back with the step. Every path that appends case events sends it.
events_written = Signal()


@receiver([post_save, post_delete], sender=SlaStage)
@receiver([post_save, post_delete], sender=SlaProfile)
def _sla_changed(**kwargs):
    # An SLA edit in the admin applies to the next deadline computed, not after a restart.
    deadlines.clear_cache()


@receiver([post_save, post_delete], sender=Unit)
def _unit_changed(**kwargs):
    # A city's case-number prefix, set in the admin, names its next case page at once in this process.
    clear_prefixes()
