"""Keyed hashes and the canonical form the audit chain hashes."""
import hashlib
import hmac
import json

from django.conf import settings


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 under WHISTLE_HASH_KEY: for secrets we must recognise but never store (tokens, phones)."""
    return hmac.new(settings.WHISTLE_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


# json.dumps with these options builds a new encoder on every call; the chain hashes one record per event.
_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_json(data) -> str:
    return _canonical.encode(data)


def chain_hash(previous: str, record: dict) -> str:
    """sha256(previous hash ‖ canonical record): changing any past event breaks every later hash."""
    return hashlib.sha256((previous + canonical_json(record)).encode()).hexdigest()
