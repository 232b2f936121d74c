"""Every write of the notices app that a person makes: read marks, sending a failed notice again, one's channels,
a phone verified by a code sent through the SMS channel, a WeChat openid bound through WeChat's web authorisation."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from whistle.core.errors import Conflict, Invalid, Problem
from whistle.core.hashing import keyed_hash
from whistle.core.inputs import phone as clean_phone
from whistle.core.rules import int_param
from whistle.org.scopes import Actor

from . import channels, selectors
from .expand import render
from .models import Channel, Delivery, NoticeProfile, NoticeTemplate, PhoneVerification, Status


def message_read(actor: Actor, delivery_id: int, now: dt.datetime | None = None) -> Delivery:
    message = selectors.message_get(actor, delivery_id)
    if message.read_at is None:
        message.read_at = now or timezone.now()
        Delivery.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


def messages_read_all(actor: Actor, now: dt.datetime | None = None) -> int:
    return selectors.inbox(actor, unread_only=True).update(read_at=now or timezone.now())


def notice_requeue(actor: Actor, delivery_id: int, now: dt.datetime | None = None) -> Delivery:
    """A coordinator sends a failed or given-up notice again (e.g. after the unit fixed a phone number)."""
    delivery = selectors.failed_get(actor, delivery_id)
    now = now or timezone.now()
    Delivery.objects.filter(pk=delivery.pk, status__in=[Status.FAILED, Status.GIVEN_UP]).update(
        status=Status.QUEUED, next_attempt_at=now, claimed_by="", claimed_at=None, attempts=0
    )
    delivery.refresh_from_db()
    return delivery


def _profile(user) -> NoticeProfile:
    profile, _ = NoticeProfile.objects.get_or_create(user=user)
    return profile


def channels_set(actor: Actor, *, sms: bool, wechat: bool, email: bool) -> NoticeProfile:
    with transaction.atomic():
        profile = _profile(actor.user)
        profile.sms, profile.wechat, profile.email = bool(sms), bool(wechat), bool(email)
        profile.save(update_fields=["sms", "wechat", "email"])
    return profile


# ---- a verified phone ---------------------------------------------------------------------------------------------------


class TooSoon(Problem):
    status = 429
    code = "verify_too_soon"
    title = "请求过于频繁"


def phone_verification_start(actor: Actor, phone: str, now: dt.datetime | None = None) -> PhoneVerification:
    """Send a six-digit code to `phone` through the SMS channel (urgent, not held by quiet hours)."""
    now = now or timezone.now()
    phone = clean_phone(phone, field="phone")
    if Channel.SMS not in channels.configured():
        raise Conflict("本系统未配置短信通道，无法验证手机号", code="sms_not_configured", field="phone")
    recent = PhoneVerification.objects.filter(user=actor.user, created_at__gt=now - dt.timedelta(seconds=60))
    if recent.exists():
        raise TooSoon("验证码已发送，请1分钟后再试", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = int_param("notices.verify_code_minutes")
    template = NoticeTemplate.objects.get(code="verify_code")
    context = {"code": code, "minutes": minutes}
    with transaction.atomic():
        verification = PhoneVerification.objects.create(
            user=actor.user,
            phone=phone,
            code_hash=keyed_hash(f"verify:{actor.user.pk}:{phone}:{code}"),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
        Delivery.objects.create(
            channel=Channel.SMS,
            recipient=actor.user,
            recipient_label=actor.label[:120],
            address=phone,
            subject=render(template.subject, context),
            body=render(template.body, context),
            payload={
                "sms_template_code": settings.WHISTLE_SMS_VERIFY_TEMPLATE or template.sms_template_code,
                "sms_params": {"code": code},
            },
            urgent=True,
            status=Status.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
    return verification


def phone_verify(actor: Actor, code: str, now: dt.datetime | None = None) -> NoticeProfile:
    now = now or timezone.now()
    code = (code or "").strip()
    with transaction.atomic():
        pending = (
            PhoneVerification.objects.select_for_update()
            .filter(user=actor.user, verified_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if pending is None:
            raise Invalid("验证码已过期，请重新获取", code="verify_expired", field="code")
        if pending.attempts >= int_param("notices.verify_max_attempts"):
            raise Invalid("验证码输错次数过多，请重新获取", code="verify_locked", field="code")
        if keyed_hash(f"verify:{actor.user.pk}:{pending.phone}:{code}") != pending.code_hash:
            pending.attempts += 1
            pending.save(update_fields=["attempts"])
            wrong = Invalid("验证码不正确", code="verify_wrong", field="code")
        else:
            pending.verified_at = now
            pending.save(update_fields=["verified_at"])
            profile = _profile(actor.user)
            profile.phone, profile.phone_verified_at, profile.sms = pending.phone, now, True
            profile.save(update_fields=["phone", "phone_verified_at", "sms"])
            # The code's own message is no longer needed: keep no copy of the code.
            for used in Delivery.objects.filter(recipient=actor.user, payload__sms_params__code=code):
                used.body, used.payload = "（验证码已使用）", {**used.payload, "sms_params": {"code": "******"}}
                used.save(update_fields=["body", "payload"])
            return profile
    raise wrong


def phone_remove(actor: Actor) -> NoticeProfile:
    profile = _profile(actor.user)
    profile.phone, profile.phone_verified_at = "", None
    profile.save(update_fields=["phone", "phone_verified_at"])
    return profile


# ---- WeChat: bind an openid by the Official Account's web authorisation (snsapi_base) ----------------------------------


def wechat_authorize_url(redirect_uri: str, state: str) -> str:
    query = urllib.parse.urlencode(
        {
            "appid": settings.WHISTLE_WECHAT_APPID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    return f"{settings.WHISTLE_WECHAT_OAUTH}/connect/oauth2/authorize?{query}#wechat_redirect"


def wechat_bind(actor: Actor, code: str) -> NoticeProfile:
    """Exchange the authorisation code for the user's openid under the Official Account, and keep it."""
    if not code:
        raise Invalid("微信授权未完成", code="wechat_code_missing", field="code")
    query = urllib.parse.urlencode(
        {
            "appid": settings.WHISTLE_WECHAT_APPID,
            "secret": settings.WHISTLE_WECHAT_SECRET,
            "code": code,
            "grant_type": "authorization_code",
        }
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 (the configured WeChat API)
            f"{settings.WHISTLE_WECHAT_API}/sns/oauth2/access_token?{query}", timeout=10
        ) as response:
            reply = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        raise Conflict("微信服务暂不可用，请稍后再试", code="wechat_unavailable") from None
    openid = reply.get("openid") if isinstance(reply, dict) else None
    if not openid:
        raise Invalid("微信授权失败，请重试", code="wechat_bind_failed", field="code")
    with transaction.atomic():
        profile = _profile(actor.user)
        profile.wechat_openid, profile.wechat = str(openid)[:64], True
        profile.save(update_fields=["wechat_openid", "wechat"])
    return profile


def wechat_unbind(actor: Actor) -> NoticeProfile:
    profile = _profile(actor.user)
    profile.wechat_openid = ""
    profile.save(update_fields=["wechat_openid"])
    return profile
