"""The demo history's bulk path writes exactly what the services would (issue 15): one history played twice from
the same seed, once on the seeder's bulk path (the engine's planning, writes batched) and once through
`cases.services` (scope look-up, row lock, one write per step), leaves the same cases with the same events — actions,
states, actors, moments, payloads — and chains that `whistle audit verify` accepts."""

import pytest
from django.db import transaction

from tests.conftest import at
from whistle.cases.audit import verify
from whistle.cases.models import Case, CaseEvent
from whistle.seed.heze import load_heze
from whistle.seed.history import generate_history

END = at(2026, 11, 30)
EVENT = ("seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "payload")
CASE = ("state", "level", "card", "lead_unit_id", "returns_count", "extensions_count", "reopen_count", "event_seq")


def _played() -> list[tuple]:
    """Every case in the order it was raised, its columns and events (the content hash, made from the case number,
    set apart: numbers are drawn afresh on the second play)."""
    played = []
    for case in Case.objects.order_by("pk"):
        events = []
        for row in CaseEvent.objects.filter(case_id=case.pk).order_by("seq").values_list(*EVENT):
            payload = dict(row[-1])
            assert payload.pop("content_hash", "x")  # a submit event carries one
            events.append((*row[:-1], payload))
        played.append(([getattr(case, name) for name in CASE], events))
    return played


@pytest.mark.django_db
def test_seeded_history_is_what_the_services_write():
    with transaction.atomic():
        heze = load_heze(enterprises=30, seed=1)
        before = transaction.savepoint()
        bulk_result = generate_history(heze, cases=40, seed=3, end=END)
        bulk = _played()
        assert verify().ok
        transaction.savepoint_rollback(before)
        assert not Case.objects.exists()
        services_result = generate_history(heze, cases=40, seed=3, end=END, through_services=True)
        through_services = _played()
        assert verify().ok
        transaction.set_rollback(True)
    assert len(bulk) == 40 and sum(len(events) for _, events in bulk) > 200
    assert {e[1] for _, events in bulk for e in events} >= {"submit", "dispatch", "accept", "reply", "follow_up"}
    assert bulk_result == services_result
    for raised, (mine, theirs) in enumerate(zip(bulk, through_services, strict=True)):
        assert mine == theirs, f"case {raised}"
