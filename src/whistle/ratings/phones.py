"""Raters' phones for the call-back: AES-256-GCM under WHISTLE_PHONE_KEY, rotation, erasure after retention.

A token reads `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id (8 hex digits of an HMAC of a constant
under the key) names the key without revealing it, so after a rotation a phone encrypted under a retired key
(WHISTLE_PHONE_KEYS_RETIRED) still decrypts, and `whistle phone_keys rotate` re-encrypts those under the current key;
then the retired key can go. The key never reaches the database or a backup. The keyed hash beside the cipher
(`rater_phone_hash`) stays what the rate limits compare.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from whistle.core.rules import int_param

from .models import Rating

VERSION = "v1"
AAD = b"whistle:rater-phone"


class PhoneKeyError(LookupError):
    """A phone was encrypted under a key that is neither the current nor a retired one, or was tampered with."""


@lru_cache(maxsize=8)
def _key(secret: str) -> tuple[str, AESGCM]:
    kid = hmac.new(secret.encode(), b"whistle-phone-key-id", hashlib.sha256).hexdigest()[:8]
    material = hashlib.sha256(b"whistle-phone-key\x00" + secret.encode()).digest()
    return kid, AESGCM(material)


def current_key_id() -> str:
    return _key(settings.WHISTLE_PHONE_KEY)[0]


def _keys() -> dict[str, AESGCM]:
    found = {}
    for secret in [settings.WHISTLE_PHONE_KEY, *settings.WHISTLE_PHONE_KEYS_RETIRED]:
        kid, aead = _key(secret)
        found.setdefault(kid, aead)
    return found


def encrypt(phone: str) -> str:
    if not phone:
        return ""
    kid, aead = _key(settings.WHISTLE_PHONE_KEY)
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, phone.encode(), AAD)
    return f"{VERSION}.{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        version, kid, data = token.split(".", 2)
    except ValueError:
        raise PhoneKeyError("无法识别的加密电话") from None
    aead = _keys().get(kid)
    if version != VERSION or aead is None:
        raise PhoneKeyError(f"加密电话所用密钥 {kid} 不在 WHISTLE_PHONE_KEY / WHISTLE_PHONE_KEYS_RETIRED 中")
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    try:
        return aead.decrypt(raw[:12], raw[12:], AAD).decode()
    except InvalidTag:
        raise PhoneKeyError("加密电话校验失败") from None


def rater_phone(rating_id: int) -> str:
    """The whole number, for the system's own SMS to the rater (the re-rate link). Staff read it only through
    `services.rater_contact`, which logs the read."""
    token = Rating.objects.filter(pk=rating_id).values_list("rater_phone_cipher", flat=True).first()
    return decrypt(token or "")


def rotate(batch: int = 1000) -> dict[str, int]:
    """Re-encrypt under the current key every phone encrypted under another; batch by batch, each its own
    transaction, so it can be stopped and run again. Returns {"rotated": n, "left": phones still under old keys}."""
    prefix = f"{VERSION}.{current_key_id()}."
    rotated = 0
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Rating.objects.select_for_update()
                .filter(pk__gt=last)
                .exclude(rater_phone_cipher="")
                .exclude(rater_phone_cipher__startswith=prefix)
                .order_by("pk")
                .values_list("pk", "rater_phone_cipher")[:batch]
            )
            if not rows:
                break
            for pk, token in rows:
                Rating.objects.filter(pk=pk).update(rater_phone_cipher=encrypt(decrypt(token)))
            rotated += len(rows)
            last = rows[-1][0]
    left = Rating.objects.exclude(rater_phone_cipher="").exclude(rater_phone_cipher__startswith=prefix).count()
    return {"rotated": rotated, "left": left}


def erase_expired(now: dt.datetime | None = None) -> dict[str, int]:
    """Forget the phones of ratings older than `ratings.phone_retention_days` (cipher and masked display; the keyed
    hash stays for the limits). Worker job `rater_phone_erasure`; one UPDATE."""
    now = now or timezone.now()
    before = now - dt.timedelta(days=int_param("ratings.phone_retention_days"))
    erased = (
        Rating.objects.filter(created_at__lt=before, phone_erased_at__isnull=True)
        .exclude(rater_phone_cipher="", rater_phone_masked="")
        .update(rater_phone_cipher="", rater_phone_masked="", phone_erased_at=now)
    )
    return {"erased": erased}


def status() -> dict:
    """How many phones each key id holds (the retired key can go once only the current one holds any)."""
    by_key: dict[str, int] = {}
    for token in Rating.objects.exclude(rater_phone_cipher="").values_list("rater_phone_cipher", flat=True).iterator():
        kid = token.split(".", 2)[1] if token.count(".") >= 2 else "?"
        by_key[kid] = by_key.get(kid, 0) + 1
    return {"current": current_key_id(), "by_key": by_key}
