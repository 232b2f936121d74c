"""The worker's part of 亩产效益: close 公示 when its last day has passed, and re-score a round whose figures were
corrected (an objection answered with a new value) so the managers find it current."""

from __future__ import annotations

from django.utils import timezone

from whistle.org.scopes import Actor

from . import services
from .models import Round, RoundState


def publicity_sweep(now) -> dict:
    today = timezone.localdate(now)
    closed = sum(
        services.publicity_close(pk, today)
        for pk in Round.objects.filter(state=RoundState.PUBLICITY, publicity_ends_on__lt=today).values_list(
            "pk", flat=True
        )
    )
    rescored = 0
    for pk in Round.objects.filter(needs_rescore=True, state__in=[RoundState.SCORED, RoundState.REVIEW]).values_list(
        "pk", flat=True
    ):
        services.round_score(Actor.system(), pk, now=now)
        rescored += 1
    return {"landyield_publicity_closed": closed, "landyield_rescored": rescored}
