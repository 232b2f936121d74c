"""回访抽查 (rules.md §8.5): a randomised independent call-back sample that cross-checks self-reported results.

Each month the worker draws, per county, a random share (`cases.callback_sample_pct`, at least
`cases.callback_sample_min` where there are that many) of the cases closed in the last complete month whose closing
follow-up the requester gave themselves (not one an office recorded on their behalf, not a rating's re-rating). A
coordinator over the case then calls the enterprise and records what it says (`services.callback_record`); an answer
of 解决 or 满意 different from the recorded one is a mismatch. `selectors.callback_summary` counts them per unit:
不一致率 = 不一致件 / 抽查有效件 (checked, not unreachable).

The draw is one set-based read of the month's candidates and one bulk insert; `CallbackDraw.month` is unique, so a
second run for the same month draws nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from whistle.core.months import last_complete_month, month_bounds
from whistle.core.rules import int_param, param

from .models import CallbackCheck, CallbackDraw, Case, CaseEvent, Channel, State

_random = random.SystemRandom()  # the units must not be able to predict which of their cases will be called


def eligible(month: dt.date):
    """Closed cases of the month (closed with a reply) whose closing follow-up the requester gave themselves."""
    start, end = month_bounds(month)
    self_reported = CaseEvent.objects.filter(
        case_id=OuterRef("pk"), action="follow_up", to_state=State.CLOSED, actor__isnull=False
    ).exclude(payload__has_key="on_behalf")
    return (
        Case.objects.filter(
            state=State.CLOSED,
            replied_at__isnull=False,
            closed_at__gte=start,
            closed_at__lt=end,
            lead_unit__isnull=False,
        )
        .exclude(channel=Channel.RATING)
        .filter(Exists(self_reported))
    )


def sample_size(population: int, share_pct, least: int) -> int:
    return min(population, max(math.ceil(population * float(share_pct) / 100), least))


def draw(month: dt.date, now: dt.datetime) -> CallbackDraw | None:
    """Draw the month's sample (once: None if it was drawn already)."""
    share, least = param("cases.callback_sample_pct"), int_param("cases.callback_sample_min")
    rows = list(eligible(month).values_list("pk", "county_id", "lead_unit_id", "resolution", "satisfaction"))
    by_county: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_county[row[1]].append(row)
    chosen = []
    for county in sorted(by_county):
        members = sorted(by_county[county])
        chosen += _random.sample(members, sample_size(len(members), share, least))
    try:
        with transaction.atomic():
            batch = CallbackDraw.objects.create(
                month=month, drawn_at=now, eligible=len(rows), drawn=len(chosen), share_pct=share, min_per_county=least
            )
            CallbackCheck.objects.bulk_create(
                CallbackCheck(
                    draw=batch,
                    case_id=pk,
                    unit_id=unit,
                    recorded_resolution=resolution,
                    recorded_satisfaction=satisfaction,
                )
                for pk, _, unit, resolution, satisfaction in chosen
            )
    except IntegrityError:  # drawn by another worker a moment ago
        return None
    return batch


def draw_job(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker job: the last complete month's sample, if not drawn yet."""
    now = now or timezone.now()
    month = last_complete_month(now)
    if CallbackDraw.objects.filter(month=month).exists():
        return {"callback_checks_drawn": 0}
    batch = draw(month, now)
    return {"callback_checks_drawn": batch.drawn if batch else 0}
