"""Open311 reads, shaped as GeoReport v2 documents (plain Python values; `formats` writes them out).

Only cases raised through Open311 (channel "open311") are public here: a case an enterprise raised is its own
business. No GET shows the requester's name, phone or email.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from whistle.cases.models import (
    Case,
    CaseEvent,
    Category,
    Channel,
    EscalationLevel,
    Resolution,
    category_city_q,
    category_in_city,
    city_prefixes,
    pk_from_number,
)
from whistle.cases.selectors import case_list
from whistle.cases.visibility import PUBLIC_KINDS
from whistle.core.errors import Invalid, NotFound
from whistle.org.models import Unit
from whistle.org.scopes import Actor

from .models import Jurisdiction, ServiceAttribute

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000
KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")
# What is published (description, address) is written by people, who put their numbers into it in every shape:
# `139 1234 5601`, `139-1234-5602`, `+8613912345603`, full-width digits, landlines. After NFKC (full-width → ASCII)
# and without invisible format characters, any run of 7 or more digits — single separators allowed between them —
# is masked; a mobile keeps its first 3 and last 4 digits, a landline its area code, anything else nothing.
_DIGIT_RUN = re.compile(r"(?<![0-9])\+?[0-9](?:[ \-.()/\u2010-\u2015]?[0-9]){6,}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_AREA_CODE = re.compile(r"\(?(0[0-9]{2,3})\)?[ \-.)/\u2010-\u2015]")


_DATE = re.compile(r"[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}")


def _mask_run(match: re.Match) -> str:
    raw = match.group(0)
    if _DATE.fullmatch(raw):
        return raw  # 2026-11-02 is a date, not a number to hide
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return f"{digits[:3]}****{digits[-4:]}"
    area = _AREA_CODE.match(raw)
    if digits.startswith("0") and area:
        return f"{area.group(1)}-********"
    if digits.startswith("0") and len(digits) in (11, 12):
        return f"{digits[:4] if len(digits) == 12 else digits[:3]}-********"
    return "*" * len(digits)


def mask_text(text: str) -> str:
    """Published text with phone numbers, other long digit runs and email addresses masked."""
    text = "".join(_fold(ch) for ch in text or "" if unicodedata.category(ch) != "Cf")  # Cf: zero-width characters
    return _DIGIT_RUN.sub(_mask_run, _EMAIL.sub("***@***", text))


_FOLDED = frozenset("0123456789+-()@._ /abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _fold(ch: str) -> str:
    """NFKC of one character where it yields a digit, a Latin letter or a separator (full-width １ → 1, ＠ → @,
    the ideographic space → a space); Chinese punctuation such as ， stays as written."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded if folded in _FOLDED else ch


# The public timeline: what a requester may follow, in words; internal steps (cards, supervision notices,
# notes between units) stay inside. Free text written by units is left out, as it may name people.
PUBLIC_NOTES = {
    "submit": "已受理",
    "dispatch": "已派单至{unit_name}",
    "accept": "承办单位已签收",
    "return": "承办单位退回，等待重新派单",
    "contact": "承办单位已联系诉求人或到场",
    "opinion": "承办单位已提出办理意见",
    "reply": "承办单位已办结回复",
    "follow_up": "已回访：{resolution}",
    "escalate": "已提级至市级协调",
    "green_channel": "已转入绿色通道，由领导督办",
    "withdraw": "已撤回",
}


def w3(moment: dt.datetime | None) -> str | None:
    """W3C datetime with the Beijing offset, e.g. 2026-11-02T10:00:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _cities() -> QuerySet[Unit]:
    """The active cities: the governments with a case prefix, as case numbers know them (`city_prefixes`)."""
    return Unit.objects.filter(pk__in=city_prefixes(), is_active=True)


def _of_city(city: Unit) -> Jurisdiction:
    """A city named by its case prefix or code and without a jurisdiction row of its own: the endpoint's words, the
    city's name and requests (not saved)."""
    base = Jurisdiction.objects.filter(city__isnull=True).first() or Jurisdiction()
    return Jurisdiction(
        code=city.case_prefix,
        name=city.name,
        contact=base.contact,
        key_service=base.key_service,
        endpoint_type=base.endpoint_type,
        changed_at=base.changed_at,
        city=city,
    )


def jurisdiction_get(code: str | None) -> Jurisdiction | None:
    """The jurisdiction a request names; none named is the endpoint's own. A jurisdiction row by its code, else a city
    by its case prefix (`JN`, any case) or unit code (`jinan`): that city's jurisdiction. Anything else is 404."""
    if code is None:
        return Jurisdiction.objects.first()
    jurisdiction = Jurisdiction.objects.filter(code=code).first()
    if jurisdiction is None:
        by_prefix = {prefix: pk for pk, prefix in city_prefixes().items()}
        city = _cities().filter(Q(code=code) | Q(pk=by_prefix.get(code.upper()))).first()
        if city is not None:
            jurisdiction = Jurisdiction.objects.filter(city=city).first() or _of_city(city)
    if jurisdiction is None:
        raise NotFound("不存在", code="jurisdiction_not_found", field="jurisdiction_id")
    return jurisdiction


def jurisdiction_city(jurisdiction: Jurisdiction | None) -> int | None:
    return jurisdiction.city_id if jurisdiction is not None else None


def jurisdictions() -> list[dict]:
    """Discovery's list (an extension of the spec's document): every jurisdiction row, and each city with a case
    prefix and no row of its own under its prefix."""
    rows = list(Jurisdiction.objects.order_by("pk"))
    listed = {j.city_id for j in rows if j.city_id}
    found = [{"jurisdiction_id": j.code, "name": j.name} for j in rows]
    for city in _cities().exclude(pk__in=listed).order_by("case_prefix"):
        found.append({"jurisdiction_id": city.case_prefix, "name": city.name})
    return found


def discovery(jurisdiction: Jurisdiction | None, url: str) -> dict:
    changeset = w3(jurisdiction.changed_at if jurisdiction else None) or ""
    return {
        "changeset": changeset,
        "contact": jurisdiction.contact if jurisdiction else "",
        "key_service": jurisdiction.key_service if jurisdiction else "",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": jurisdiction.endpoint_type if jurisdiction else Jurisdiction.EndpointType.PRODUCTION,
                "formats": FORMATS,
            }
        ],
        "jurisdictions": jurisdictions(),  # an extension: the jurisdiction_id values this endpoint answers to
    }


def service_list(city_id: int | None = None) -> list[dict]:
    """Every active public category is a service; its group is the top of its branch of the catalogue. The province's
    categories, and a city's own for a jurisdiction of one city (`Category.city`)."""
    categories = {c.pk: c for c in Category.objects.all()}
    with_metadata = set(ServiceAttribute.objects.values_list("category_id", flat=True))
    services = []
    offered = (c for c in categories.values() if c.is_active and c.is_public and category_in_city(c, city_id))
    for category in sorted(offered, key=lambda c: c.code):
        top = category
        while top.parent_id:
            top = categories[top.parent_id]
        services.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": category.description,
                "metadata": category.pk in with_metadata,
                "type": "realtime",
                "keywords": ",".join(
                    k for k in KEYWORD_SEPARATORS.split(category.keywords) if k
                ),  # the spec's separator
                "group": top.name,
            }
        )
    return services


def service_definition(code: str, city_id: int | None = None) -> dict:
    category = Category.objects.filter(category_city_q(city_id), code=code, is_active=True, is_public=True).first()
    if category is None:
        raise NotFound("服务不存在", code="service_not_found", field="service_code")
    attributes = ServiceAttribute.objects.filter(category=category).prefetch_related("values").order_by("order")
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": v.key, "name": v.name} for v in a.values.all()],
            }
            for a in attributes
        ],
    }


def _requests(city_id: int | None = None) -> QuerySet[Case]:
    """The requests a jurisdiction publishes: every Open311 case, or one city's."""
    last_event = CaseEvent.objects.filter(case_id=OuterRef("pk"), seq=OuterRef("event_seq")).values("at")[:1]
    qs = case_list(Actor.system())
    if city_id:
        qs = qs.filter(city_id=city_id)
    return (
        qs.filter(channel=Channel.OPEN311)
        .select_related("open311", "open311__attachment")
        .annotate(updated_at=Subquery(last_event))
    )


def _status_notes(case: Case) -> str:
    notes = [case.get_state_display()]
    if case.resolution:
        notes.append(case.get_resolution_display())
    if case.level != EscalationLevel.COUNTY:
        notes.append(case.get_level_display())
    return "，".join(notes)


def published_description(case: Case) -> str:
    """The description as the public may read it: phone numbers, email addresses and the requester's name masked."""
    text = mask_text(case.description)
    name = case.contact_name
    if len(name) >= 2:
        text = text.replace(name, name[0] + "*" * (len(name) - 1))
    return text


def service_notice(case: Case) -> str | None:
    if not case.is_open:
        return None
    if case.lead_unit_id and case.resolve_due_at:
        due = timezone.localtime(case.resolve_due_at).strftime("%Y-%m-%d %H:%M")
        return f"已派{case.lead_unit.name}办理，办结时限{due}"
    return "已受理，等待吹哨办派单"


def _note(event: CaseEvent) -> dict:
    resolution = event.payload.get("resolution")
    description = PUBLIC_NOTES[event.action].format(
        unit_name=event.payload.get("unit_name", ""),
        resolution=Resolution(resolution).label if resolution in Resolution.values else "",
    )
    return {"datetime": w3(event.at), "description": description, "type": event.action}


def _request(case: Case, base_url: str, extensions: bool) -> dict:
    extra = getattr(case, "open311", None)
    media_url = None
    if extra is not None:
        media_url = f"{base_url}/requests/{case.number}/media" if extra.attachment_id else (extra.media_url or None)
    row = {
        "service_request_id": case.number,
        "status": "open" if case.is_open else "closed",
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": published_description(case),
        "agency_responsible": case.lead_unit.name if case.lead_unit_id else None,
        "service_notice": service_notice(case),
        "requested_datetime": w3(case.submitted_at),
        "updated_datetime": w3(case.closed_at or case.updated_at),
        "expected_datetime": w3(case.resolve_due_at),
        "address": mask_text(case.address) or None,
        # An id from the integration's own address register (e.g. 371721-0042), typed by no person: shown as given.
        "address_id": (extra.address_id or None) if extra else None,
        "zipcode": None,
        "lat": float(case.lat) if case.lat is not None else None,
        "long": float(case.lng) if case.lng is not None else None,
        "media_url": media_url,
    }
    if extensions:
        row["notes"] = [_note(e) for e in case.public_events]
    return row


def _rows(qs: QuerySet[Case], base_url: str, extensions: bool) -> list[dict]:
    if extensions:
        # One rule with the requester's own timeline (cases.visibility); PUBLIC_NOTES words each kind.
        public = CaseEvent.objects.filter(action__in=PUBLIC_KINDS).order_by("seq")
        qs = qs.prefetch_related(Prefetch("events", queryset=public, to_attr="public_events"))
    return [_request(c, base_url, extensions) for c in qs]


def request_get(number: str, base_url: str, *, extensions: bool = False, city_id: int | None = None) -> list[dict]:
    pk = pk_from_number(number)
    rows = _rows(_requests(city_id).filter(pk=pk), base_url, extensions) if pk is not None else []
    rows = [r for r in rows if r["service_request_id"] == number]  # another city's prefix names no request
    if not rows:
        raise NotFound("请求不存在", code="request_not_found", field="service_request_id")
    return rows


def request_search(
    base_url: str,
    *,
    ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: list[str] | None = None,
    page: int = 1,
    page_size: int = MAX_REQUESTS,
    extensions: bool = False,
    now: dt.datetime | None = None,
    city_id: int | None = None,
) -> list[dict]:
    """GET /requests. `ids` overrides every other filter. Without dates: the last 90 days; never over 1000 rows.
    `city_id`: a city's jurisdiction, its requests and services only."""
    qs = _requests(city_id)
    if ids is not None:
        if len(ids) > MAX_REQUESTS:
            raise Invalid(f"一次最多查询{MAX_REQUESTS}个请求", code="too_many_ids", field="service_request_id")
        pks = [pk for pk in map(pk_from_number, ids) if pk is not None]
        asked = set(ids)  # a number under another city's prefix names no request
        return [r for r in _rows(qs.filter(pk__in=pks), base_url, extensions) if r["service_request_id"] in asked]
    if service_codes:
        offered = Category.objects.filter(category_city_q(city_id)) if city_id else Category.objects.all()
        known = set(offered.filter(code__in=service_codes).values_list("code", flat=True))
        unknown = [c for c in service_codes if c not in known]
        if unknown:
            raise NotFound(f"服务不存在：{'、'.join(unknown)}", code="service_not_found", field="service_code")
        qs = qs.filter(category__code__in=service_codes)
    if start and end and start > end:
        raise Invalid("不能晚于 end_date", code="invalid_date_range", field="start_date")
    if start and end and end - start > WINDOW:
        raise Invalid("与 start_date 相隔不能超过90天", code="date_range_too_long", field="end_date")
    if start is None and end is None:
        end = now or timezone.now()
    start, end = start or end - WINDOW, end or start + WINDOW
    qs = qs.filter(submitted_at__gte=start, submitted_at__lte=end)
    if statuses:
        unknown = [s for s in statuses if s not in ("open", "closed")]
        if unknown:
            raise Invalid("只能为 open 或 closed", code="invalid_status", field="status")
        if len(set(statuses)) == 1:
            qs = qs.filter(is_open=statuses[0] == "open")
    if page < 1:
        raise Invalid("须为正整数", code="invalid_page", field="page")
    if not 1 <= page_size <= MAX_REQUESTS:
        raise Invalid(f"须在1–{MAX_REQUESTS}之间", code="invalid_page_size", field="page_size")
    offset = (page - 1) * page_size
    return _rows(qs[offset : offset + page_size], base_url, extensions)


def request_media(number: str):
    """The attachment an Open311 request was posted with, or None."""
    pk = pk_from_number(number)
    case = _requests().filter(pk=pk).first() if pk is not None else None
    extra = getattr(case, "open311", None) if case is not None and case.number == number else None
    return extra.attachment if extra is not None else None
