"""The rest of 差评整改 (rules.md §3, §8.3): the rectification case is an ordinary case — the rated unit verifies
(核实: sign and contact), fixes within the rectification profile (opinion), answers the rater (reply) — and then the
rater may re-rate through a link shown after the poor rating. The link's token is an HMAC of the rating id, so it
needs no table and cannot be guessed. A re-rating is recorded twice, in one transaction: on the case as the
system's follow-up (satisfaction from the level), and as a new rating tied to the poor rating it answers
(`rerate_of`, unique: a second re-rating of the same case is refused). It does not use the rectification's case
number: a public rating cannot name an internal case (services.clean_case_number), so nobody can block it."""

from __future__ import annotations

import datetime as dt
import hmac

from django.db import transaction
from django.utils import timezone

from whistle.cases.models import Case, CaseEvent, Resolution, Satisfaction, State
from whistle.cases.services import system_transition
from whistle.core.errors import Conflict, NotFound
from whistle.core.hashing import keyed_hash

from .models import Level, Rating
from .services import clean_level, rating_submit

TOKEN_DIGITS = 24


def rerate_token(rating: Rating | int) -> str:
    rating_id = rating if isinstance(rating, int) else rating.pk
    return f"{rating_id}-{keyed_hash(f'rerate:{rating_id}')[:TOKEN_DIGITS]}"


def rating_for_token(token: str) -> Rating:
    """The poor rating a re-rate link belongs to; a forged or mangled token is simply not found."""
    rating_id, _, signature = (token or "").partition("-")
    if not (rating_id.isascii() and rating_id.isdecimal() and 0 < int(rating_id) < 2**63) or not hmac.compare_digest(
        rerate_token(int(rating_id)), token
    ):
        raise NotFound("再评价链接无效", code="rerate_not_found")
    rating = Rating.objects.select_related("unit", "cadre", "window", "rectification").filter(pk=int(rating_id)).first()
    if rating is None or rating.rectification_id is None:
        raise NotFound("再评价链接无效", code="rerate_not_found")
    return rating


def satisfaction_of(level: int) -> tuple[str, str]:
    """The five-level re-rating as the case's follow-up: 满意 and above / 基本满意 / 不满意 and below."""
    if level >= Level.SATISFIED:
        return Resolution.RESOLVED, Satisfaction.SATISFIED
    if level == Level.BASICALLY_SATISFIED:
        return Resolution.RESOLVED, Satisfaction.BASIC
    return Resolution.UNRESOLVED, Satisfaction.UNSATISFIED


STEPS = [
    ("核实", "签收并回访核实"),
    ("整改", "提出整改意见并限期整改"),
    ("答复", "向评价人反馈整改结果"),
    ("再评价", "评价人对整改结果再评价"),
]


def progress(case: Case | int, now: dt.datetime | None = None) -> dict:
    """Where the rectification stands, in the four steps a rater understands, with the fix deadline. Given the case's
    id, the case is read now (after a re-rating has just moved it)."""
    if not isinstance(case, Case):
        case = Case.objects.get(pk=case)
    done = [
        bool(case.accepted_at and case.contacted_at),
        bool(case.opinion_at),
        bool(case.replied_at or case.followed_up_at),
        bool(case.followed_up_at),
    ]
    reply = (
        CaseEvent.objects.filter(case=case, action="reply").order_by("-seq").values_list("payload", flat=True).first()
        or {}
    )
    return {
        "case": case,
        "steps": [{"name": n, "text": t, "done": d} for (n, t), d in zip(STEPS, done)],
        "reply": reply.get("content", ""),
        "resolve_due_at": case.resolve_due_at,
        "can_rerate": case.state == State.REPLIED,
        "closed": case.state == State.CLOSED,
    }


def rerate(token: str, *, level, comment: str = "", device: str, ip: str, now: dt.datetime | None = None) -> Rating:
    """The rater's re-rating after the unit answered. Refused before the answer (nothing to rate yet) and after a
    re-rating was taken (一事一评)."""
    now = now or timezone.now()
    rating = rating_for_token(token)
    level = clean_level(level)  # the ratings' one validation, before the case is locked
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=rating.rectification_id)
        if case.state == State.CLOSED or Rating.objects.filter(rerate_of=rating).exists():
            raise Conflict("本次整改已再评价过，一件事只能评价一次", code="case_already_rated")
        if case.state != State.REPLIED:
            raise Conflict("整改单位尚未答复，答复后即可再评价", code="rectification_not_replied")
        # A poor re-rating reopens this case (the workflow supervises it); it must not open a second one.
        again = rating_submit(
            rating.target, level=level, comment=comment, device=device, ip=ip, now=now, rectify=False, rerate_of=rating
        )
        resolution, satisfaction = satisfaction_of(level)
        system_transition(
            case,
            "follow_up",
            {
                "resolution": resolution,
                "satisfaction": satisfaction,
                "comment": f"评价人扫码再评价：{Level(level).label}" + (f"；{again.comment}" if again.comment else ""),
            },
            now,
        )
    return again
