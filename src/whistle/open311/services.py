"""Open311 writes: integration keys, and a POSTed request becoming a real case.

A request goes through `cases.services.case_submit` like every other channel (channel "open311"), so it is
routed by the dispatch catalogue, deadlined and swept like any case. Everything is checked before the case is
written, and the case, its Open311 record and its media are written in one transaction: a refusal leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from whistle.cases.models import Case, Category, Channel, category_city_q
from whistle.cases.services import ATTACHMENT_TYPES, DESCRIPTION_MAX, case_submit, system_attachment_add
from whistle.core import uploads
from whistle.core.errors import Forbidden, Invalid, NotFound, Problem
from whistle.core.hashing import keyed_hash
from whistle.org.scopes import Actor

from .models import AttributeValue, Integration, ServiceAttribute, ServiceRequest

KEY_PREFIX = "o311_"
# Attributes every service accepts although no definition lists them: they steer the case, not describe it.
RESERVED_ATTRIBUTES = ("county", "kind")
MEDIA_TYPES = frozenset(t for t in ATTACHMENT_TYPES if t.startswith("image/"))
STRING_MAX, TEXT_MAX = 200, 2000
# case_submit names its inputs as whistle does; an integrator knows them by their Open311 names.
OPEN311_NAMES = {
    "category": "service_code",
    "contact_phone": "phone",
    "contact_name": "first_name",
    "lat": "lat",
    "lng": "long",
    "address": "address_string",
    "county": "attribute[county]",
    "kind": "attribute[kind]",
    "file": "media",
}
_CJK = re.compile(r"[\u3400-\u9fff]")


def integration_key_issue(integration: Integration) -> str:
    """Give the integration a new api_key (the old one stops working) and return it; only its hash is kept."""
    plain = KEY_PREFIX + secrets.token_urlsafe(24)
    integration.key_hash = keyed_hash(plain)
    integration.prefix = plain[len(KEY_PREFIX) :][:8]
    integration.save()
    return plain


def integration_create(name: str, *, county=None, kind: str | None = None) -> tuple[str, Integration]:
    integration = Integration(name=name, county=county)
    if kind:
        integration.kind = kind
    return integration_key_issue(integration), integration


def integration_for_key(plain: str | None, now: dt.datetime | None = None) -> Integration:
    """The active integration holding this key; 403 otherwise, the same answer for a missing or a wrong key."""
    if not plain:
        raise Forbidden("提交请求须提供接入方密钥", code="api_key_required", field="api_key")
    integration = (
        Integration.objects.select_related("county").filter(key_hash=keyed_hash(plain), is_active=True).first()
    )
    if integration is None:
        raise Forbidden("密钥无效或已停用", code="api_key_invalid", field="api_key")
    now = now or timezone.now()
    if integration.last_used_at is None or now - integration.last_used_at > dt.timedelta(minutes=5):
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)  # coarse, so posts do not all write it
    return integration


@dataclass
class RequestIn:
    """A POST /requests as Open311 names it; empty parameters already dropped (None). `email` is not kept."""

    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    description: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_url: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    media: object | None = None  # an UploadedFile


def _service(code: str | None, city_id: int | None = None) -> Category:
    if not code:
        raise Invalid("请指明服务编码", code="service_code_required", field="service_code")
    offered = Category.objects.filter(category_city_q(city_id)) if city_id else Category.objects.all()
    category = offered.filter(code=code, is_active=True, is_public=True).first()
    if category is None:
        raise NotFound("服务不存在", code="service_not_found", field="service_code")
    return category


def _one(attribute: ServiceAttribute, values: list[str]) -> str:
    if len(values) > 1:
        raise Invalid(
            f"“{attribute.description}”只能填一个值",
            code="attribute_single_value",
            field=f"attribute[{attribute.code}]",
        )
    return values[0]


def _answer(attribute: ServiceAttribute, values: list[str], choices: dict[str, str]):
    """Check one answer against its datatype; return (stored value, how a handler reads it)."""
    name = f"attribute[{attribute.code}]"
    D = ServiceAttribute.Datatype
    if attribute.datatype == D.MULTIVALUELIST:
        keys = list(dict.fromkeys(values))
        unknown = [k for k in keys if k not in choices]
        if unknown:
            raise Invalid(
                f"“{attribute.description}”没有选项：{'、'.join(unknown)}", code="attribute_invalid_value", field=name
            )
        return keys, "、".join(choices[k] for k in keys)
    value = _one(attribute, values)
    if attribute.datatype == D.SINGLEVALUELIST:
        if value not in choices:
            raise Invalid(f"“{attribute.description}”没有选项：{value}", code="attribute_invalid_value", field=name)
        return value, choices[value]
    if attribute.datatype == D.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise Invalid(f"“{attribute.description}”须为数字", code="attribute_invalid_value", field=name)
        return value, value
    if attribute.datatype == D.DATETIME:
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None:
            raise Invalid(
                f"“{attribute.description}”须为日期时间，例如 2026-11-02T10:00:00+08:00",
                code="attribute_invalid_value",
                field=name,
            )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat(), timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    limit = TEXT_MAX if attribute.datatype == D.TEXT else STRING_MAX
    if len(value) > limit:
        raise Invalid(f"“{attribute.description}”不能超过{limit}字", code="attribute_too_long", field=name)
    return value, value


def _answers(category: Category, given: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """Every answer checked against the service definition: unknown codes, missing required ones, datatypes."""
    attributes = {a.code: a for a in ServiceAttribute.objects.filter(category=category, variable=True)}
    choices: dict[int, dict[str, str]] = {}
    for value in AttributeValue.objects.filter(attribute__in=attributes.values()).order_by("order", "pk"):
        choices.setdefault(value.attribute_id, {})[value.key] = value.name
    for code in given:
        if code not in attributes and code not in RESERVED_ATTRIBUTES:
            raise Invalid(
                f"服务“{category.name}”没有附加项 {code}", code="unknown_attribute", field=f"attribute[{code}]"
            )
    stored, lines = {}, []
    for attribute in sorted(attributes.values(), key=lambda a: a.order):
        values = [v.strip() for v in given.get(attribute.code, []) if v.strip()]
        if not values:
            if attribute.required:
                raise Invalid(
                    f"请填写“{attribute.description}”", code="attribute_required", field=f"attribute[{attribute.code}]"
                )
            continue
        stored[attribute.code], shown = _answer(attribute, values, choices.get(attribute.pk, {}))
        lines.append(f"{attribute.description}：{shown}")
    return stored, lines


def _reserved(given: dict[str, list[str]], code: str) -> str | None:
    values = [v.strip() for v in given.get(code, []) if v.strip()]
    if len(values) > 1:
        raise Invalid("只能填一个值", code="attribute_single_value", field=f"attribute[{code}]")
    return values[0] if values else None


def _contact_name(first: str | None, last: str | None) -> str:
    parts = [p for p in (first, last) if p]
    if not parts:
        return "市民"
    if any(_CJK.search(p) for p in parts):
        return "".join(reversed(parts))  # 王 + 明: a Chinese name is family name first
    return " ".join(parts)


def _check_media(data: RequestIn) -> tuple[str, str] | None:
    if data.media_url:
        try:
            URLValidator(schemes=["http", "https"])(data.media_url)
        except ValidationError:
            raise Invalid("须为 http(s) 链接", code="invalid_media_url", field="media_url") from None
        if len(data.media_url) > 500:
            raise Invalid("不能超过500字符", code="invalid_media_url", field="media_url")
    upload = data.media
    if upload is not None:
        if upload.size > settings.WHISTLE_ATTACHMENT_MAX_BYTES:
            raise Invalid("不能超过10MB", code="media_too_large", field="media")
        # Served back publicly: its type is what its content shows, never what the client declared.
        return uploads.checked(
            upload,
            MEDIA_TYPES,
            field="media",
            code="media_type_not_allowed",
            message="须为图片（JPEG、PNG、WebP 或 HEIC）",
        )
    return None


def request_create(
    integration: Integration, data: RequestIn, now: dt.datetime | None = None, *, city_id: int | None = None
) -> Case:
    """Raise the case an Open311 POST asks for. Contact by phone is how units call back, so `phone` is required.
    `city_id`: the jurisdiction is one city's; its services only, and the case must fall in that city."""
    category = _service(data.service_code, city_id)
    if not (data.lat or data.long or data.address_string or data.address_id):
        raise Invalid("须提供位置：lat 与 long，或 address_string，或 address_id", code="location_required")
    if (data.lat is None) != (data.long is None):
        raise Invalid("lat 与 long 须同时提供", code="invalid_location", field="long" if data.long is None else "lat")
    if not data.phone:
        raise Invalid("请提供联系电话，承办单位须联系诉求人", code="phone_required", field="phone")
    description = (data.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(f"不能超过{DESCRIPTION_MAX}字", code="description_too_long", field="description")
    for name in ("address_id", "account_id", "device_id"):
        if len(getattr(data, name) or "") > 60:
            raise Invalid("不能超过60字符", code=f"{name}_too_long", field=name)
    answers, lines = _answers(category, data.attributes)
    if lines:
        # Handlers read the description; the answers go with it so nobody has to look elsewhere.
        description = (description or category.name) + "\n\n【补充信息】\n" + "\n".join(lines)
        if len(description) > DESCRIPTION_MAX:
            raise Invalid(f"与附加项合计不能超过{DESCRIPTION_MAX}字", code="description_too_long", field="description")
    county = _reserved(data.attributes, "county") or integration.county_id
    kind = _reserved(data.attributes, "kind") or integration.kind
    media = _check_media(data)
    address = data.address_string or (f"地址编号 {data.address_id}" if data.address_id else "")

    with transaction.atomic():
        try:
            case, _ = case_submit(
                Actor.system(),
                kind=kind,
                category=category.code,
                description=description or category.name,
                contact_name=_contact_name(data.first_name, data.last_name),
                contact_phone=data.phone,
                address=address,
                lat=data.lat,
                lng=data.long,
                county=county,
                channel=Channel.OPEN311,
                now=now,
            )
        except Problem as problem:
            problem.field = OPEN311_NAMES.get(problem.field, problem.field)
            raise
        if city_id and case.city_id != city_id:  # rolled back with the transaction
            raise Invalid(
                "请求的属地县区不在所指辖区（市）内", code="county_out_of_jurisdiction", field="jurisdiction_id"
            )
        attachment = None
        if data.media is not None:
            upload = data.media
            content_type, name = media
            # Through the cases service: an `attach` event enters the case's hash chain, as for any upload.
            attachment = system_attachment_add(case, upload, content_type, name, now)
        ServiceRequest.objects.create(
            case=case,
            integration=integration,
            attributes=answers,
            address_id=data.address_id or "",
            media_url=data.media_url or "",
            attachment=attachment,
            account_id=data.account_id or "",
            device_id=data.device_id or "",
        )
    return case


def services_changed(now: dt.datetime | None = None) -> None:
    """Move discovery's changeset, so clients that cache services and definitions fetch them again. Called when a
    category, a question or an answer changes (open311.signals, on the admin's saves)."""
    from .models import Jurisdiction

    Jurisdiction.objects.update(changed_at=now or timezone.now())
