"""The bulk seed writes what the services write (issue 15): synthetic stories, a few for each path the bulk writer
takes (submitted and waiting; routed by the catalogue or dispatched by the county office, with or without an assisting
unit; returned; accepted, contacted, in progress, replied; closed, on behalf or by the requester; reopened; one of the
late few), are written by the bulk writer (`Generator.play`, `write_played`) and played again through
`cases.services` (`case_submit`, then each step as its actor's `case_transition`). Each case's events match —
seq, action, states, actor, moment, payload — its columns match, and both sets of chains verify."""

import random

import pytest
from django.db import transaction

from tests.conftest import at
from whistle.cases import services
from whistle.cases.audit import verify
from whistle.cases.models import Case, CaseEvent, Channel, State
from whistle.core import memo
from whistle.seed.bulk import Generator, Story, move_case_ids_on, next_case_id, write_played
from whistle.seed.heze import load_heze

S = State
END = at(2026, 11, 30)
EVENT = ("seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "payload")
# Every column but the row's own id and the chain's head (each hash covers the case's id: both chains verify).
CASE = [f.attname for f in Case._meta.concrete_fields if not f.primary_key and f.attname != "last_event_hash"]
PATHS = [
    (S.SUBMITTED, False),
    (S.DISPATCHED, False),
    (S.RETURNED, False),
    (S.ACCEPTED, False),
    (S.CONTACTED, False),
    (S.IN_PROGRESS, False),
    (S.IN_PROGRESS, True),
    (S.REPLIED, False),
    (S.REOPENED, False),
    (S.CLOSED, False),
]


def _submission(story: Story) -> dict:
    """What `case_submit` is called with to raise the story's case (read before the story is played)."""
    case = story.case
    fields = dict(
        kind=case.kind,
        category=story.record["category"],
        title=case.title,
        description=case.description,
        channel=case.channel,
        now=case.submitted_at,
    )
    if case.channel == Channel.OPEN311:
        fields.update(county=case.county.code, contact_name=case.contact_name, contact_phone=case.contact_phone)
        fields["address"] = case.address
    elif story.submitter.role == "coordinator":
        fields["enterprise"] = case.enterprise
    return fields


def _written(case: Case) -> tuple:
    events = list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq").values_list(*EVENT))
    helpers = sorted(case.assisting_units.values_list("pk", flat=True))
    return [getattr(case, name) for name in CASE], events, helpers


@pytest.mark.django_db
def test_bulk_stories_are_what_the_services_write():
    with transaction.atomic():
        heze = load_heze(enterprises=30, seed=1)
        generator = Generator(heze, random.Random(11), END)
        first = next_case_id()
        stories = [generator.story(first + i, state, late) for i, (state, late) in enumerate(PATHS * 3)]
        submissions = [(_submission(story), story.submitter, list(story.steps)) for story in stories]
        with memo.held():
            write_played([generator.play(story) for story in stories])
        move_case_ids_on()
        bulk = [_written(case) for case in Case.objects.filter(pk__gte=first).order_by("pk")]
        assert verify().ok

        played = []
        for fields, submitter, steps in submissions:
            case, _ = services.case_submit(submitter, **fields)
            for action, actor, payload, moment in steps:
                case = services.case_transition(actor, case.number, action, payload, moment)
            played.append(_written(Case.objects.get(pk=case.pk)))
        assert verify().ok
        transaction.set_rollback(True)

    assert len(bulk) == len(played) == 3 * len(PATHS)
    actions = {event[1] for _, events, _ in bulk for event in events}
    assert actions >= {"submit", "route", "dispatch", "return", "accept", "contact", "opinion", "reply", "follow_up"}
    differences = [
        (state, what, mine_value, their_value)
        for (state, _), mine, theirs in zip(PATHS * 3, bulk, played, strict=True)
        for what, mine_value, their_value in _differences(mine, theirs)
    ]
    assert differences == []


def _differences(mine: tuple, theirs: tuple) -> list[tuple]:
    """(column or event, bulk's, the services') for each part of a case's rows that differs."""
    found = [(name, a, b) for name, a, b in zip(CASE, mine[0], theirs[0], strict=True) if a != b]
    if mine[1] != theirs[1]:
        found += [("events", a, b) for a, b in zip(mine[1], theirs[1]) if a != b] or [("events", mine[1], theirs[1])]
    if mine[2] != theirs[2]:
        found.append(("assisting units", mine[2], theirs[2]))
    return found
