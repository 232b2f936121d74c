"""The call-back to a poor rater (回访核实, rules.md §3, §8.3): the outcome of each call, and the privacy-number relay.

Reading the number is `services.rater_contact` (the one logged read). A city that uses a privacy-number relay
(隐私号/虚拟号, rules.md §11.5) sets WHISTLE_PRIVACY_RELAY_URL: the read then binds the reader's phone (A) and the
rater's (B) to a temporary number X of the city's pool for a short while, and hands the reader X, never B. The adapter
speaks the request shape of Aliyun's BindAxb (dysmsapi-style RPC signing, `core.aliyun`).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from whistle.core import aliyun
from whistle.core.errors import Conflict, Invalid, Problem
from whistle.org.scopes import Actor

from .models import CallBack, CallOutcome, ContactRead, Rating
from .selectors import contact_rating_get

# Sent in the recording transaction with `rating`: 差评回访率 depends on it (the dashboard's rollup listens).
callback_recorded = Signal()
RELAY_MINUTES = 30


class RelayUnavailable(Problem):
    status = 503
    code = "relay_unavailable"
    title = "隐私号服务暂不可用"


@dataclass(frozen=True)
class Relay:
    number: str
    binding: str


def relay_enabled() -> bool:
    return bool(settings.WHISTLE_PRIVACY_RELAY_URL)


def relay_bind(staff_phone: str, rater_phone: str, now: dt.datetime, minutes: int = RELAY_MINUTES) -> Relay:
    """Bind A (the caller) and B (the rater) to a number X of the pool until now + minutes (AXB)."""
    expires = timezone.localtime(now + dt.timedelta(minutes=minutes))
    params = {
        "AccessKeyId": settings.WHISTLE_PRIVACY_RELAY_KEY_ID,
        "Action": "BindAxb",
        "Expiration": expires.strftime("%Y-%m-%d %H:%M:%S"),
        "Format": "JSON",
        "PhoneNoA": staff_phone,
        "PhoneNoB": rater_phone,
        "PoolKey": settings.WHISTLE_PRIVACY_RELAY_POOL,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": f"whistle-{int(now.timestamp() * 1000)}",
        "SignatureVersion": "1.0",
        "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    body = aliyun.form_body(aliyun.signed(params, settings.WHISTLE_PRIVACY_RELAY_KEY_SECRET))
    request = urllib.request.Request(
        settings.WHISTLE_PRIVACY_RELAY_URL,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (a configured URL)
            reply = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        raise RelayUnavailable("隐私号服务暂不可用，请稍后再试") from None
    bound = reply.get("SecretBindDTO") or {}
    if reply.get("Code") != "OK" or not bound.get("SecretNo"):
        raise RelayUnavailable(f"隐私号绑定失败：{reply.get('Code', '')} {reply.get('Message', '')}".strip())
    return Relay(number=str(bound["SecretNo"]), binding=str(bound.get("SubsId", "")))


def callback_record(actor: Actor, rating_id, outcome: str, note: str = "", now: dt.datetime | None = None) -> CallBack:
    """Record how a call to the rater went. Only someone who read the number (a logged read) can have called."""
    now = now or timezone.now()
    rating = contact_rating_get(actor, rating_id)
    if outcome not in CallOutcome.values:
        raise Invalid("请选择回访结果", code="outcome_required", field="outcome")
    note = (note or "").strip()
    if len(note) > 500:
        raise Invalid("回访情况不能超过500字", code="note_too_long", field="note")
    if outcome != CallOutcome.REACHED and not note:
        raise Invalid("未联系上或被拒绝时，请写明情况", code="note_required", field="note")
    if not ContactRead.objects.filter(rating=rating, user=actor.user).exists():
        raise Conflict("请先查看评价人电话再记录回访结果", code="callback_without_read", field="outcome")
    with transaction.atomic():
        callback = CallBack.objects.create(
            rating=rating, outcome=outcome, note=note, user=actor.user, actor_label=actor.label[:120], at=now
        )
        callback_recorded.send(sender=CallBack, rating=rating, now=now)
    return callback


def callbacks_of(rating: Rating) -> list[CallBack]:
    return list(CallBack.objects.filter(rating=rating).order_by("-at", "-id")[:50])
