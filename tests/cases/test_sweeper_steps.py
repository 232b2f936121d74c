"""The sweep takes a rule's step whole, as the engine does (issue 15): follow-ons planned after the rule, each its
own event; after-save hooks run once the cases are written; the columns written are those planning changed.

No sweep rule asks for a follow-on or a hook today. These tests give the yellow card one, in the real table for the
test's duration, so the first rule that comes to ask for one is already covered."""

import dataclasses

import pytest

from tests.cases.flow import act, case_in, reload
from tests.conftest import at
from whistle.cases.models import Case, CaseEvent
from whistle.cases.sweeper import sweep
from whistle.cases.workflow import TRANSITIONS
from whistle.org.models import Unit
from whistle.org.scopes import Actor

MOMENT = at(2026, 11, 20, 10, 0)  # the working day before the solve deadline of `case_in`: a yellow card is due


@pytest.fixture
def yellow_with_a_step(monkeypatch):
    """The yellow-card row, its effect extended: a supervision follows, a hook sets an assisting unit, and it marks
    the case complex (a column the sweep does not load)."""
    row = TRANSITIONS["yellow_card"]
    helper = Unit.objects.get(code="caoxian-scjg")

    def effect(step):
        row.effect(step)
        step.case.is_complex = True
        step.follow_ons.append(("supervise", {"reason": "黄牌后自动督办"}))
        step.after_save.append(lambda case: case.assisting_units.set([helper]))

    monkeypatch.setitem(TRANSITIONS, "yellow_card", dataclasses.replace(row, effect=effect))
    return helper


def _columns(case):
    return {
        f.attname: getattr(case, f.attname)
        for f in Case._meta.concrete_fields
        if f.attname not in ("id", "number", "last_event_hash", "title", "description", "content_record_hash")
    }


def _events(case):
    return list(
        CaseEvent.objects.filter(case_id=case.pk)
        .order_by("seq")
        .values_list("seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "payload")
    )


def test_sweep_runs_a_rules_follow_ons_and_after_save_hooks_as_the_engine_does(heze, yellow_with_a_step):
    swept, twin = case_in(heze, "in_progress"), case_in(heze, "in_progress")
    act(heze, twin, "yellow_card", Actor.system(), {}, MOMENT)  # the engine's way: apply_steps
    counts = sweep(MOMENT)
    assert counts["yellow_card"] == 1 and counts["supervise"] == 1  # the follow-on is counted under its action
    swept, twin = reload(swept), reload(twin)
    assert [e[1] for e in _events(swept)][-2:] == ["yellow_card", "supervise"]
    assert _events(swept)[-2:] == _events(twin)[-2:]
    assert list(swept.assisting_units.all()) == [yellow_with_a_step] == list(twin.assisting_units.all())
    assert swept.is_complex and swept.supervision_count == 1  # a column not loaded, one the follow-on changed
    mine, theirs = _columns(swept), _columns(twin)
    different = {k for k in mine if mine[k] != theirs[k]}
    assert different <= {"submitted_at", "external_ref"}, different


def test_swept_chain_with_a_follow_on_verifies(heze, yellow_with_a_step):
    from whistle.cases.audit import verify

    case_in(heze, "in_progress")
    assert sweep(MOMENT)["supervise"] == 1
    report = verify()
    assert report.ok and report.broken == []
