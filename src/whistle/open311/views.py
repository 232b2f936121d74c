"""Thin HTTP for GeoReport v2: read the parameters the way every client sends them, call a selector or the
service, write the answer in the format the path asks for. Every refusal is a spec-shaped `errors` document."""

from __future__ import annotations

import dataclasses
import functools
import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import FileResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from whistle.core.errors import Invalid, NotFound, Problem
from whistle.core.links import public_url

from . import selectors
from .formats import CONTENT_TYPES, render, render_error
from .services import RequestIn, integration_for_key, request_create

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def _text(name: str, value: str) -> str:
    # A NUL cannot be stored (PostgreSQL refuses it) and no honest client sends one.
    if "\x00" in value:
        raise Invalid("含有不允许的控制字符", code="invalid_characters", field=name)
    return value.strip()


class Params:
    """Query string and body together (clients put api_key and jurisdiction_id in either), the body winning.

    An empty parameter is an absent one: the spec asks for it, and the `open311` client always sends
    `jurisdiction_id=`.
    """

    def __init__(self, request):
        try:
            self.sources = [request.POST, request.GET] if request.method == "POST" else [request.GET]
            self.files = request.FILES if request.method == "POST" else {}
        except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, UnicodeDecodeError):
            raise Invalid(
                "请求体无法解析，须为 application/x-www-form-urlencoded 或 multipart/form-data", code="invalid_body"
            ) from None

    def get(self, name: str) -> str | None:
        for source in self.sources:
            value = _text(name, source.get(name) or "")
            if value:
                return value
        return None

    def list(self, name: str) -> list[str] | None:
        value = self.get(name)
        items = [v.strip() for v in value.split(",") if v.strip()] if value else []
        return items or None

    def integer(self, name: str, default: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            raise Invalid("须为不超过9位的正整数", code=f"invalid_{name}", field=name)
        return int(value)

    def moment(self, name: str):
        value = self.get(name)
        if value is None:
            return None
        try:
            moment = parse_datetime(value)
            if moment is None and parse_date(value) is not None:
                moment = parse_datetime(value + "T00:00:00")
        except ValueError:
            moment = None
        if moment is None:
            raise Invalid("须为 W3C 日期时间，例如 2026-11-02T00:00:00+08:00", code="invalid_date", field=name)
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def attributes(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for source in reversed(self.sources):
            for key in source:
                match = ATTRIBUTE.match(key)
                if match:
                    found[match.group(1)] = [_text(key, v) for v in source.getlist(key)]
        return found


def endpoint(*methods):
    """Format check, method check, jurisdiction check, errors in the requested format."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, fmt, **kwargs):
            if fmt not in CONTENT_TYPES:
                return render_error("xml", NotFound("格式须为 .xml 或 .json", code="format_not_found"))
            try:
                if request.method not in methods:
                    raise Invalid(f"此地址不支持 {request.method} 请求", code="method_not_allowed")
                params = Params(request)
                jurisdiction = selectors.jurisdiction_get(params.get("jurisdiction_id"))
                root, data = view(request, params, jurisdiction, **kwargs)
            except Problem as problem:
                return render_error(fmt, problem)
            return render(fmt, root, data)

        return inner

    return wrap


def _base_url(request) -> str:
    return public_url(reverse("open311:root"), request).rstrip("/")


@endpoint("GET", "HEAD")
def discovery(request, params, jurisdiction):
    return "discovery", selectors.discovery(jurisdiction, _base_url(request))


@endpoint("GET", "HEAD")
def services(request, params, jurisdiction):
    return "services", selectors.service_list(selectors.jurisdiction_city(jurisdiction))


@endpoint("GET", "HEAD")
def service_definition(request, params, jurisdiction, code):
    return "service_definition", selectors.service_definition(code, selectors.jurisdiction_city(jurisdiction))


@endpoint("GET", "HEAD", "POST")
def requests(request, params, jurisdiction):
    city_id = selectors.jurisdiction_city(jurisdiction)
    if request.method == "POST":
        return _create(request, params, city_id)
    base_url = _base_url(request)
    extensions = params.get("extensions") == "true"
    ids = params.list("service_request_id")
    if ids is not None:
        return "service_requests", selectors.request_search(base_url, ids=ids, extensions=extensions, city_id=city_id)
    return "service_requests", selectors.request_search(
        base_url,
        service_codes=params.list("service_code"),
        start=params.moment("start_date"),
        end=params.moment("end_date"),
        statuses=params.list("status"),
        page=params.integer("page", 1),
        page_size=params.integer("page_size", selectors.MAX_REQUESTS),
        extensions=extensions,
        city_id=city_id,
    )


def _create(request, params, city_id: int | None):
    integration = integration_for_key(params.get("api_key"))
    fields = {
        f.name: params.get(f.name) for f in dataclasses.fields(RequestIn) if f.name not in ("attributes", "media")
    }
    data = RequestIn(**fields, attributes=params.attributes(), media=params.files.get("media"))
    case = request_create(integration, data, city_id=city_id)
    body = {"service_request_id": case.number, "service_notice": selectors.service_notice(case)}
    if data.account_id:
        body["account_id"] = data.account_id
    return "service_requests", [body]


@endpoint("GET", "HEAD")
def request_detail(request, params, jurisdiction, number):
    extensions = params.get("extensions") == "true"
    return "service_requests", selectors.request_get(
        number, _base_url(request), extensions=extensions, city_id=selectors.jurisdiction_city(jurisdiction)
    )


@endpoint("GET", "HEAD")
def token(request, params, jurisdiction, token):
    # Every service is realtime: a POST answers with the service_request_id, so no token is ever issued.
    raise NotFound(
        "不存在：本接口的服务均为实时（realtime）类型，提交即返回 service_request_id，不签发令牌",
        code="token_not_found",
        field="token",
    )


def request_media(request, number):
    """The photo a request was posted with: public like the request itself."""
    attachment = selectors.request_media(number)
    if attachment is None:
        return render_error("xml", NotFound("没有媒体文件", code="media_not_found"))
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


def root(request):
    return HttpResponseRedirect(reverse("open311:discovery", args=["xml"]))


def not_found(request, path=""):
    return render_error("xml", NotFound("地址不存在，请参阅 discovery.xml", code="not_found"))


def unavailable(request, problem: Problem):
    """The 503 of a lost database (core.unavailable) as GeoReport's `errors` document, in the path's format."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return render(fmt, "errors", [{"code": problem.code, "description": problem.detail}], status=503)
