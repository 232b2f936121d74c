"""Input no view can use, refused at the door (issue 13, items 12, 13 and 16).

- A NUL character (PostgreSQL text cannot hold one: every query with it was a 500) or a lone UTF-16 surrogate (not
  encodable as UTF-8: a 500 on any database) anywhere in the path, the query string, a form or a JSON body is
  answered 400 — application/problem+json under /api/, the Chinese 400 page elsewhere — with the field at fault.
  The Open311 façade checks its own parameters (and answers in GeoReport's error format).
- A body larger than `WHISTLE_REQUEST_MAX_BYTES` is refused (413) from its Content-Length, before Django's upload
  handlers spool it to disk (DATA_UPLOAD_MAX_MEMORY_SIZE does not count files). nginx's client_max_body_size
  does the same in front; this is the check that holds without it.
- Whatever the answer, the part of the body nobody read is read and dropped before the response goes out. An early
  refusal (CSRF failure, a 413, this guard, a 404 before any parsing) used to leave it in the connection, and granian
  then read it as the start of the keep-alive connection's next request. Past `DRAIN_MAX_BYTES` the connection is
  closed instead of read to its end.

Month, year and page numbers in query strings have their own bounded parsers in `whistle.core.params`.
"""

from __future__ import annotations

import json
import os
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .errors import BadCharacters, Problem, TooLarge

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
OPEN311 = "/open311/"
DRAIN_MAX_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024


def request_max_bytes() -> int:
    """A setting, else the environment, else five attachments of the largest size and the form around them (52 MB)."""
    configured = getattr(settings, "WHISTLE_REQUEST_MAX_BYTES", None) or os.environ.get("WHISTLE_REQUEST_MAX_BYTES")
    return int(configured) if configured else 5 * settings.WHISTLE_ATTACHMENT_MAX_BYTES + 2 * 1024 * 1024


def bad_field(pairs) -> str | None:
    """The first name whose name or value holds a NUL or a lone surrogate."""
    for name, value in pairs:
        if _BAD_CHARACTER.search(name) or (isinstance(value, str) and _BAD_CHARACTER.search(value)):
            return name
    return None


def _json_pairs(data, prefix: str = ""):
    """(dotted name, value) of every string in a JSON document, keys included, without recursion."""
    stack = [(prefix, data)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{name}.{key}" if name else str(key)
                yield path, key
                stack.append((path, item))
        elif isinstance(value, list):
            stack.extend((f"{name}.{i}" if name else str(i), item) for i, item in enumerate(value))
        elif isinstance(value, str):
            yield name or "body", value


class InputGuard:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._refusal(request)
        if response is None:
            response = self.get_response(request)
        drain(request, response)
        return response

    def _refusal(self, request) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_max_bytes()
        if length > limit:
            return refuse(request, TooLarge(f"请求内容过大，不能超过{limit // (1024 * 1024)}MB", field="body"))
        try:
            field = self._bad_field(request)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            return refuse(request, TooLarge(f"请求内容过大，不能超过{limit}MB", field="body"))
        except TooManyFieldsSent:
            return refuse(request, BadCharacters("提交的字段过多", code="too_many_fields", field="body"))
        if field is not None:
            return refuse(request, BadCharacters(f"“{field}”含有不允许的字符（如空字符）", field=field))
        return None

    def _bad_field(self, request) -> str | None:
        if request.path.startswith(OPEN311):
            return None  # the GeoReport façade checks its parameters itself and answers in the spec's error format
        if _BAD_CHARACTER.search(request.path):
            return "path"
        found = bad_field((name, value) for name, values in request.GET.lists() for value in values)
        if found or request.method in ("GET", "HEAD", "OPTIONS"):
            return found
        content_type = request.content_type or ""
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            pairs = [(name, value) for name, values in request.POST.lists() for value in values]
            pairs += [(name, upload.name or "") for name, uploads in request.FILES.lists() for upload in uploads]
            return bad_field(pairs)
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                data = json.loads(request.body)
            except (ValueError, RecursionError):
                return None  # not JSON at all: the API's own parser answers that
            return bad_field(_json_pairs(data))
        return None


def refuse(request, problem: Problem) -> HttpResponse:
    path = request.path
    if path.startswith("/api/"):
        body = problem.as_dict(_printable(path))
        return JsonResponse(
            body,
            status=problem.status,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
    if path.startswith(OPEN311):  # the spec's error list (open311.formats), in JSON
        return JsonResponse(
            [{"code": problem.code, "description": f"{problem.field}：{problem.detail}"}],
            status=problem.status,
            safe=False,
            json_dumps_params={"ensure_ascii": False},
            content_type="application/json; charset=utf-8",
        )
    return render(request, "400.html", {"problem": problem}, status=problem.status)


def _printable(path: str) -> str:
    return _BAD_CHARACTER.sub("\ufffd", path)


def drain(request, response) -> None:
    """Read what is left of the request body, so the connection's next request starts where it should."""
    stream = getattr(request, "_stream", None)
    if not isinstance(stream, LimitedStream):
        return
    remaining = stream.limit - stream._pos  # type: ignore[attr-defined]  # Django's own count; not in the stubs
    if remaining <= 0:
        return
    if remaining > DRAIN_MAX_BYTES:
        response["Connection"] = "close"
        return
    try:
        while stream.read(_CHUNK):
            pass
    except OSError:  # the client went away
        response["Connection"] = "close"
