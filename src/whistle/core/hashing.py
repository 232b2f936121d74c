"""Keyed hashes and the canonical form the audit chain hashes.

The audit chain is keyed: an event's hash is HMAC-SHA256 under the hash key (`settings.WHISTLE_HASH_KEY`), so
someone who can write to the database but does not hold the key cannot rewrite an event and recompute the hashes
after it. Each event names the key it was hashed with by a short key id (`key_id(key)`, a fingerprint that reveals
nothing of the key), so a rotated key still verifies the events hashed before the rotation: the old key stays
listed in `settings.WHISTLE_HASH_KEYS_RETIRED`. Events written before the chain was keyed carry the key id
`LEGACY` ("") and plain SHA-256; `whistle audit verify` accepts them only up to the chain head a signed checkpoint
recorded (see `whistle.cases.audit`).
"""

import hashlib
import hmac
import json
from functools import lru_cache

from django.conf import settings

LEGACY = ""  # the key id of events hashed with plain SHA-256, before the chain was keyed


class UnknownKey(LookupError):
    """An event or checkpoint names a key that is neither the current nor a retired hash key."""


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 under WHISTLE_HASH_KEY: for secrets we must recognise but never store (tokens, phones)."""
    return hmac.new(settings.WHISTLE_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


# json.dumps with these options builds a new encoder on every call; the chain hashes one record per event.
_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_json(data) -> str:
    return _canonical.encode(data)


@lru_cache(maxsize=16)
def _key_state(key: str) -> tuple[str, "hmac.HMAC"]:
    """(key id, an HMAC primed with the key): copying a primed HMAC skips hashing the padded key on every event."""
    primed = hmac.new(key.encode(), digestmod=hashlib.sha256)
    return hmac.new(key.encode(), b"whistle audit key id", hashlib.sha256).hexdigest()[:8], primed


def key_id(key: str | None = None) -> str:
    """The id events carry for `key` (the current hash key by default): 8 hex digits of an HMAC of a constant."""
    return _key_state(key if key is not None else settings.WHISTLE_HASH_KEY)[0]


def _keys() -> dict[str, str]:
    keys = [settings.WHISTLE_HASH_KEY, *getattr(settings, "WHISTLE_HASH_KEYS_RETIRED", ())]
    return {key_id(k): k for k in keys if k}


def _primed(kid: str) -> "hmac.HMAC":
    if kid == key_id():
        return _key_state(settings.WHISTLE_HASH_KEY)[1]
    key = _keys().get(kid)
    if key is None:
        raise UnknownKey(kid)
    return _key_state(key)[1]


def signed(kid: str, text: str) -> str:
    """HMAC-SHA256 of `text` under the key with id `kid` (raises UnknownKey if that key is not configured)."""
    mac = _primed(kid).copy()
    mac.update(text.encode())
    return mac.hexdigest()


def chain_hash(previous: str, record: dict, kid: str | None = None) -> str:
    """HMAC(key, previous hash ‖ canonical record): changing any past event breaks every later hash, and only the
    key's holder can make hashes that verify. `kid` LEGACY gives the plain SHA-256 of chains written before keying;
    None, the current key."""
    text = previous + canonical_json(record)
    if kid == LEGACY:
        return hashlib.sha256(text.encode()).hexdigest()
    return signed(key_id() if kid is None else kid, text)
