"""A case's events told as plain Chinese sentences, for people who never saw the workflow table: each event in the
sentence its row carries (`cases.workflow.sentences`).

The requester is told the events `cases.visibility.requester_events` leaves it, with what that leaves in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from whistle.cases.models import CaseEvent
from whistle.cases.workflow import TRANSITIONS, sentences


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    text: str
    detail: str = ""
    tone: str = ""  # "warn" (yellow card, supervision) or "alert" (red card, reopen) or "done"


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    from whistle.web.templatetags.web import when  # with the year when it is not this year's

    return when(timezone.localtime(dt.datetime.fromisoformat(iso)))


def _sentence(event: CaseEvent, following: CaseEvent | None) -> Entry | None:
    """The sentence of the event's row (`Transition.sentence`), or of an event written outside the table
    (`sentences.OUTSIDE_TABLE`); an event whose row is gone reads as its code."""
    row = TRANSITIONS.get(event.action)
    sentence = row.sentence if row is not None else sentences.OUTSIDE_TABLE.get(event.action, sentences.unknown)
    said = sentence(event, following, _when)
    return None if said is None else Entry(event.at, *said)


def timeline(events: list[CaseEvent]) -> list[Entry]:
    entries = []
    for i, event in enumerate(events):
        entry = _sentence(event, events[i + 1] if i + 1 < len(events) else None)
        if entry is not None:
            entries.append(entry)
    return entries


def reopen_reason(events: list[CaseEvent]) -> str:
    """Why the case is being redone, in the requester's words, from the last follow-up that reopened it."""
    for event in reversed(events):
        if event.action == "follow_up" and event.payload.get("reopen_count"):
            p = event.payload
            comment = f"：{p['comment']}" if p.get("comment") else ""
            return f"第{p['reopen_count']}次重办：回访评价为“{sentences.verdict(p, '、')}”{comment}"
    return ""
