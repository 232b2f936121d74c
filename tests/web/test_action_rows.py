"""Each action is defined by one row of `cases.workflow.TRANSITIONS` (issue 15): its page form and its timeline
sentence are made from the row, so they cannot disagree with it."""

import datetime as dt
from io import StringIO

import pytest
from django import forms

from tests.conftest import at
from whistle.cases.models import CaseEvent
from whistle.cases.workflow import FILES, TRANSITIONS, sentences
from whistle.web.forms import ACTION_FORMS
from whistle.web.timeline import timeline

MOMENT = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def _event(action, payload=None, actor_id=1):
    return CaseEvent(
        seq=1, action=action, actor_id=actor_id, actor_label="曹县住建局", at=MOMENT, payload=payload or {}
    )


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_in_the_table_has_a_sentence_not_its_code(action):
    row = TRANSITIONS[action]
    assert row.sentence is not sentences.unknown
    for actor_id in (1, None):
        [entry] = timeline([_event(action, actor_id=actor_id)])
        assert entry.text and action not in entry.text and action not in entry.detail


def test_every_event_action_the_engine_writes_is_a_row_of_the_table(heze):
    """The engine writes only rows of the table: it refuses any other action."""
    from tests.cases.flow import case_in
    from whistle.cases import services
    from whistle.core.errors import Invalid

    case = case_in(heze, "replied")
    written = set(CaseEvent.objects.values_list("action", flat=True).distinct())
    assert written and written <= set(TRANSITIONS)
    with pytest.raises(Invalid):
        services.system_transition(case.number, "seed_state", {})


def test_the_one_event_written_outside_the_table_reads_as_a_sentence():
    """The set-wise generator of `whistle seed --cases N` (seed/bulk.py) writes only rows of the table, as the
    services do; the synthetic `seed_state` it wrote before (still in the chains of databases seeded then) keeps its
    own sentence (`sentences.OUTSIDE_TABLE`)."""
    from whistle.seed import bulk

    bulk.generate_cases(40, seed=1, stdout=StringIO(), end=at(2025, 11, 3), enterprises=30)
    written = set(CaseEvent.objects.values_list("action", flat=True).distinct())
    assert {"submit", "route", "dispatch"} <= written <= set(TRANSITIONS)
    assert set(sentences.OUTSIDE_TABLE) == {"seed_state"}
    [entry] = timeline([_event("seed_state", {"synthetic": "合成数据"}, actor_id=None)])
    assert entry.text == "合成数据：未逐步办理，直接置为当前状态"


def test_rating_voided_reads_as_a_sentence_with_its_reason():
    [entry] = timeline([_event("rating_voided", {"reason": "评价经申诉复核作废：误评"}, actor_id=None)])
    assert entry.text == "评价经复核作废，差评整改终止，工单关闭" and entry.detail == "评价经申诉复核作废：误评"


@pytest.mark.parametrize("action", sorted(a for a, t in TRANSITIONS.items() if t.has_form))
def test_every_action_form_is_the_rows_form(action):
    row = TRANSITIONS[action]
    form = ACTION_FORMS[action](prefix=action)
    assert list(form.fields) == [f.name for f in row.fields]
    assert form.submit_label == row.button
    for spec in row.fields:
        field = form.fields[spec.name]
        assert field.required == row.field_required(spec), spec.name
        assert field.label == spec.label
        if spec.name != FILES:
            assert field.required == (spec.name in row.required), spec.name
        if isinstance(field, forms.CharField):
            assert field.max_length == spec.max_length
    # A form collects everything its row requires.
    assert set(row.required) <= set(form.fields)


def test_every_row_a_person_may_take_has_a_form():
    assert {a for a, t in TRANSITIONS.items() if t.public and t.manual} <= set(ACTION_FORMS)
    assert set(ACTION_FORMS) == {a for a, t in TRANSITIONS.items() if t.has_form}


@pytest.mark.parametrize("action", ["supervise", "escalate", "green_channel"])
def test_a_reason_the_row_treats_as_optional_is_optional_on_the_page(action):
    """Issue 15: SuperviseForm and EscalateForm required a reason the row does not (it has a default)."""
    assert "reason" not in TRANSITIONS[action].required
    form = ACTION_FORMS[action]({}, prefix=action)
    form.fields.pop("leader", None)  # its choices come from the database
    assert form.is_valid(), form.errors
    assert "reason" not in form.payload()
