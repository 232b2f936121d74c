"""Aliyun's RPC request signing (SignatureVersion 1.0, HMAC-SHA1), the request shape the common Chinese SMS and
privacy-number gateways use (rules.md §11.3, §11.5): the notices' SMS channel and the ratings' privacy-number relay."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse


def percent(value) -> str:
    """RFC 3986 percent-encoding as the signature needs it: unreserved characters kept, everything else %XX."""
    return urllib.parse.quote(str(value), safe="~")


def signed(params: dict[str, str], secret: str, method: str = "POST") -> dict[str, str]:
    """`params` with `Signature` added last: HMAC-SHA1 under `secret&` of the sorted, encoded parameters."""
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&%2F&" + percent(canonical)
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return {**params, "Signature": base64.b64encode(digest).decode()}


def form_body(params: dict[str, str]) -> bytes:
    """The request body, form-encoded in the order given."""
    return "&".join(f"{percent(k)}={percent(v)}" for k, v in params.items()).encode("ascii")
