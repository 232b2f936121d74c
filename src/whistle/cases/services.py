"""Every write to cases: submission (any channel), transitions, attachments. One transaction each.

The one door: pages, the API and other apps change a case only through these functions (people's transitions
through `case_transition`, the system's on another app's behalf through `system_transition`, files through
`attachment_add` / `system_attachment_add`), which apply the rows of `cases.workflow`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Exists, Func, QuerySet, Subquery, When
from django.db.models import Case as DjCase
from django.utils import timezone

from whistle.core import uploads
from whistle.core.compiled import Compiled
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.core.hashing import canonical_json
from whistle.core.inputs import phone as clean_phone
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Role, Unit, UnitKind
from whistle.org.scopes import Actor

from . import deadlines, workflow
from .models import (
    CallbackCheck,
    CallbackState,
    Case,
    CaseAttachment,
    Category,
    Channel,
    IdempotencyRecord,
    Kind,
    SlaProfile,
    Urgency,
    category_in_city,
    number_matches,
    pk_from_number,
)
from .selectors import case_get

DESCRIPTION_MAX = 4000
ATTACHMENT_TYPES = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
    "audio/mpeg",
    "audio/amr",
    "audio/wav",
    "video/mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
}


class _Found(NamedTuple):
    """What the submission's one reading statement found: the category (with its parents, for the dispatch
    catalogue), the case an earlier request with the same Idempotency-Key created and that request's hash, and on
    PostgreSQL the id the new case will have (taken from the sequence only when there is no replay)."""

    category: Category | None
    replay_case_id: int | None
    replay_hash: str | None
    next_id: int | None


def _find(code, actor: Actor, idempotency_key: str | None, *, number: bool) -> _Found:
    """One statement: the category, the earlier request under the key, and (`number`, on PostgreSQL, unless the key
    was used before) the next case id. An internal category (not `is_public`) exists only for the system: to anyone
    else it is unknown."""
    if not isinstance(code, str):
        return _Found(None, None, None, None)
    keyed = idempotency_key is not None
    shape = (not actor.is_system, keyed, number and connection.vendor == "postgresql")
    user = actor.user
    if keyed and user is None:  # the system under a key (rare): its records have no user
        category = _finding(*shape, code, None, idempotency_key).first()
    elif keyed and user is not None:
        category = _finder(shape).first(code, user.pk, idempotency_key)
    else:
        category = _finder(shape).first(code)
    if category is None:
        return _Found(None, None, None, None)
    return _Found(
        category,
        getattr(category, "replay_case_id", None),
        getattr(category, "replay_hash", None),
        getattr(category, "next_id", None),
    )


# The submission's reading statement in each of its shapes, compiled once (`core.compiled`).
_FINDS: dict[tuple[bool, bool, bool], Compiled[Category]] = {}


def _finder(shape: tuple[bool, bool, bool]) -> Compiled[Category]:
    if shape not in _FINDS:
        kinds = (str, int, str) if shape[1] else (str,)
        _FINDS[shape] = Compiled(lambda *values: _finding(*shape, *values), *kinds)
    return _FINDS[shape]


def _finding(public_only: bool, keyed: bool, numbered: bool, code, user_id=None, key=None) -> QuerySet[Category]:
    categories = Category.objects.filter(is_active=True, code=code).select_related("parent__parent")
    if public_only:
        categories = categories.filter(is_public=True)
    annotations: dict = {}
    if keyed:
        earlier = IdempotencyRecord.objects.filter(user_id=user_id, key=key)
        annotations.update(
            replay_case_id=Subquery(earlier.values("case_id")[:1]),
            replay_hash=Subquery(earlier.values("request_hash")[:1]),
        )
    if numbered:
        next_id = NextId(Case)
        annotations["next_id"] = DjCase(When(Exists(earlier), then=None), default=next_id) if keyed else next_id
    return categories.annotate(**annotations)[:1]


class NextId(Func):
    """PostgreSQL: the next id of a model's table, from its sequence (a case is numbered before it is written, so
    its events can be hashed and written with it in one statement). Asked for only when the checks that read nothing
    pass (`case_submit`), so a refused submission leaves no gap; a rarer refusal after it (an unknown county code) or
    a rolled-back insert skips the value, as PostgreSQL always has."""

    output_field = BigIntegerField()

    def __init__(self, model):
        self.table = model._meta.db_table
        super().__init__()

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        return "nextval(pg_get_serial_sequence(%s, 'id'))", (self.table,)


def _coordinate(value, name: str, low: int, high: int):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("坐标格式不正确", code="invalid_location", field=name) from None
    if not number.is_finite() or not (low <= number <= high):
        raise Invalid("坐标超出范围", code="invalid_location", field=name)
    return number.quantize(Decimal("0.000001"))


def _request_hash(data: dict) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def case_submit(
    actor: Actor,
    *,
    kind: str,
    category: str,
    title: str = "",
    description: str,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    lat=None,
    lng=None,
    county: str | int | None = None,
    cross_county: bool = False,
    channel: str = Channel.WEB,
    enterprise: Enterprise | None = None,
    external_ref: str = "",
    urgency: str = Urgency.ORDINARY,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    then: Sequence[tuple[str, dict]] = (),
) -> tuple[Case, bool]:
    """Raise a case from any channel. Returns (case, created); a repeated Idempotency-Key returns the first case.
    `then`: transitions the system takes on the new case at once (another app's: a poor rating's rectification is
    dispatched to the rated unit), planned after the submission and its routing and written with them. Without an
    Idempotency-Key no savepoint is taken: a caller inside its own transaction that wants to go on after a refusal
    here must take its own savepoint."""
    now = now or timezone.now()
    request = dict(
        kind=kind,
        category=category,
        title=title,
        description=description,
        contact_name=contact_name,
        contact_phone=contact_phone,
        address=address,
        lat=str(lat),
        lng=str(lng),
        county=county,
        cross_county=cross_county,
        channel=channel,
        external_ref=external_ref,
        enterprise=enterprise.pk if enterprise is not None else None,
    )
    if urgency not in (None, "", Urgency.ORDINARY):
        request["urgency"] = urgency  # an ordinary case's key hashes as before urgencies existed
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 100):
        raise Invalid("Idempotency-Key 长度须为1–100", code="invalid_idempotency_key", field="Idempotency-Key")
    # The checks that read nothing run once before the reading statement, so that it takes a case id from the sequence
    # only for a submission they let through (a refused one would leave a gap in the case numbers); they run again
    # below, in their order among the others, which decides the refusal a request with several faults gets.
    plain = (
        lambda: _submitter(actor, channel, enterprise),
        lambda: _kind(kind),
        lambda: _text(description, title),
        lambda: _channel(channel),
        lambda: _contact(actor, channel, enterprise, contact_name, contact_phone),
        lambda: _location(lat, lng),
        lambda: _address(address),
    )
    found = _find(category, actor, idempotency_key, number=_passes(plain))
    if idempotency_key is not None:
        previous = (
            _replayed(found.replay_case_id, found.replay_hash, request)
            if found.category is not None
            else _idempotent_replay(actor, idempotency_key, request)
        )
        if previous is not None:
            return previous, False

    enterprise = _submitter(actor, channel, enterprise)
    _kind(kind)
    cat = found.category
    if cat is None:
        raise Invalid("问题分类不存在", code="unknown_category", field="category")
    description, title = _text(description, title)
    _channel(channel)
    urgency = _urgency(urgency or Urgency.ORDINARY, actor)
    contact_name, phone = _contact(actor, channel, enterprise, contact_name, contact_phone)
    lat_v, lng_v = _location(lat, lng)
    if county not in (None, ""):
        area = _county(county)
    elif enterprise is not None:
        area = enterprise.county
    else:
        raise Invalid("请选择属地县区", code="county_required", field="county")
    if actor.role in (Role.COORDINATOR, Role.LEADER) and not actor.covers(area):
        # The case would be created outside the coordinator's own sight.
        raise Invalid("属地县区不在本吹哨办的管辖范围内", code="county_out_of_scope", field="county")
    if not category_in_city(cat, area.city_id):
        # Another city's own category (Category.city): no page of this city offers it.
        raise Invalid(
            "该问题分类是其他市的自有分类，请选择全省通用或本市的分类", code="category_other_city", field="category"
        )
    _address(address)
    profile_id = cat.sla_profile_id or deadlines.default_profile(area.city_id)
    if profile_id is None:
        raise SlaProfile.DoesNotExist("no default SLA profile")

    case = Case(
        pk=found.next_id,
        kind=kind,
        channel=channel,
        category=cat,
        title=title,
        description=description,
        enterprise=enterprise,
        requester=actor.user if actor.role == Role.ENTERPRISE else None,
        contact_name=contact_name,
        contact_phone=phone,
        address=address.strip(),
        lat=lat_v,
        lng=lng_v,
        county=area,
        city_id=area.city_id,
        cross_county=bool(cross_county),
        external_ref=external_ref[:60],
        sla_profile_id=profile_id,
        submitted_at=now,
        level="city" if cross_county else "county",
        urgency=urgency,
    )
    case.assisting_ids, case.has_attachments = set(), False  # a new case has neither (`Case.assisting_ids`)
    keyed = []
    if idempotency_key is not None and actor.user is not None:  # a key is a person's (the API header)
        keyed.append(
            IdempotencyRecord(user=actor.user, key=idempotency_key, request_hash=_request_hash(request), case=case)
        )
    record = {
        "kind": kind,
        "category": cat.code,
        "channel": channel,
        "county": area.code,
        "cross_county": bool(cross_county),
    }
    if urgency != Urgency.ORDINARY:
        record["urgency"] = urgency
    # Submitted and, unless cross-county, routed by the catalogue (and so dispatched): written at once with its
    # events (and its key's record), in one statement on PostgreSQL (`workflow.apply_new`).
    steps = [("submit", actor, record)] + ([] if cross_county else [("route", Actor.system(), {})])
    steps += [(action, Actor.system(), payload) for action, payload in then]
    try:
        # A savepoint only where a key's race is caught below; inside another app's transaction (a rating) any other
        # failure ends that transaction as a whole anyway.
        with transaction.atomic(savepoint=idempotency_key is not None):
            workflow.apply_new(case, steps, now, with_rows=keyed)
    except IntegrityError:
        # Two concurrent retries with one key: the loser returns the winner's case.
        previous = _idempotent_replay(actor, idempotency_key, request) if idempotency_key is not None else None
        if previous is None:
            raise
        return previous, False
    return case, True


def _passes(checks) -> bool:
    try:
        for check in checks:
            check()
    except Exception:  # whatever refuses it (or fails) here refuses it again below, in its turn
        return False
    return True


def _submitter(actor: Actor, channel: str, enterprise: Enterprise | None) -> Enterprise | None:
    """Who may submit, and for which enterprise: an enterprise user for its own."""
    if actor.role == Role.ENTERPRISE and actor.membership is not None:  # an enterprise role is a membership's
        return actor.membership.enterprise
    if actor.role == Role.LEADER and channel == Channel.VISIT:
        return enterprise  # a leader raises, in their own name, what an enterprise told them on a visit (领导包保走访)
    if actor.role != Role.COORDINATOR and not actor.is_system:
        raise Forbidden("只有企业用户或吹哨办可以提交诉求", code="submit_not_permitted")
    return enterprise


def _kind(kind) -> None:
    if kind not in Kind.values:
        raise Invalid("诉求类型须为：咨询、求助、投诉、举报、建议", code="invalid_kind", field="kind")


def _text(description, title) -> tuple[str, str]:
    """(description, title), the title made from the description's first line when none is given."""
    if not isinstance(description, str) or not description.strip():
        raise Invalid("请填写诉求内容", code="description_required", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(f"诉求内容不能超过{DESCRIPTION_MAX}字", code="description_too_long", field="description")
    title = (title or "").strip() or description.strip().splitlines()[0][:30]
    if len(title) > 100:
        raise Invalid("标题不能超过100字", code="title_too_long", field="title")
    return description.strip(), title


def _channel(channel) -> None:
    if channel not in Channel.values:
        raise Invalid("渠道不正确", code="invalid_channel", field="channel")


def _contact(actor: Actor, channel, enterprise, contact_name, contact_phone) -> tuple[str, str]:
    """(name, phone): the enterprise's contact where none is given."""
    enterprise = _submitter(actor, channel, enterprise)
    if enterprise is not None:
        contact_name = contact_name or enterprise.contact_name
        contact_phone = contact_phone or enterprise.contact_phone
    if not (contact_name or "").strip():
        raise Invalid("请填写联系人", code="contact_name_required", field="contact_name")
    if len(contact_name) > 40:
        raise Invalid("联系人不能超过40字", code="contact_name_too_long", field="contact_name")
    return contact_name.strip(), clean_phone(contact_phone)


def _location(lat, lng):
    lat_v, lng_v = _coordinate(lat, "lat", -90, 90), _coordinate(lng, "lng", -180, 180)
    if (lat_v is None) != (lng_v is None):
        raise Invalid("经纬度须同时提供", code="invalid_location", field="lat" if lat_v is None else "lng")
    return lat_v, lng_v


def _address(address) -> None:
    if len(address) > 200:
        raise Invalid("地点不能超过200字", code="address_too_long", field="address")


def urgency_choices(actor: Actor) -> list[tuple[str, str]]:
    """The urgencies this actor may choose at submission: every one for the office (and the system); for an
    enterprise (or a visiting leader) ordinary and those whose SLA profile is open to enterprises (data)."""
    if actor.is_system or actor.role == Role.COORDINATOR:
        return list(Urgency.choices)
    open_ = set(
        SlaProfile.objects.filter(enterprise_may_choose=True).exclude(urgency="").values_list("urgency", flat=True)
    )
    return [(v, label) for v, label in Urgency.choices if v == Urgency.ORDINARY or v in open_]


def _urgency(value, actor: Actor) -> str:
    if value not in Urgency.values:
        allowed = "、".join(f"{v}（{label}）" for v, label in Urgency.choices)
        raise Invalid(f"紧急程度须为：{allowed}", code="invalid_urgency", field="urgency")
    if value != Urgency.ORDINARY and value not in dict(urgency_choices(actor)):  # ordinary: always, no query
        raise Invalid(
            f"“{Urgency(value).label}”须由吹哨办受理时认定，请选择其他紧急程度并在诉求内容中说明",
            code="urgency_not_permitted",
            field="urgency",
        )
    return value


def _idempotent_replay(actor: Actor, key: str, request: dict) -> Case | None:
    """The case an earlier request with this key created, if the request is the same; a different body is refused."""
    previous = IdempotencyRecord.objects.filter(user=actor.user, key=key).values_list("case_id", "request_hash").first()
    return _replayed(*previous, request) if previous is not None else None


def _replayed(case_id: int | None, request_hash: str | None, request: dict) -> Case | None:
    if case_id is None:
        return None
    if request_hash != _request_hash(request):
        raise Conflict("该 Idempotency-Key 已用于另一请求", code="idempotency_key_reused", field="Idempotency-Key")
    return Case.objects.get(pk=case_id)


def _county(value) -> Unit:
    """A county is a county-level government or development zone, named by code (or id from our own code)."""
    if isinstance(value, Unit):
        return value  # our own code's choice, e.g. the city government for a city unit's rectification (ratings)
    if isinstance(value, str):
        lookup = {"code": value}
    elif workflow.is_row_id(value):
        lookup = {"pk": value}
    else:
        lookup = None
    area = (
        Unit.objects.filter(
            level=Level.COUNTY, kind__in=[UnitKind.GOVERNMENT, UnitKind.ZONE], is_active=True, **lookup
        ).first()
        if lookup
        else None
    )
    if area is None:
        raise Invalid("属地县区不存在", code="unknown_county", field="county")
    return area


def case_transition(
    actor: Actor, number: str, action: str, payload: dict | None = None, now: dt.datetime | None = None
) -> Case:
    """A transition asked for by a person (API, pages). Rows written by their own service are not offered."""
    transition = workflow.TRANSITIONS.get(action)
    if transition is None or not transition.public or not transition.manual:
        raise Invalid(f"未知操作：{action}", code="unknown_action", field="action")
    return workflow.apply(number, action, actor, payload, now)


def system_transition(
    case: Case | str, action: str, payload: dict | None = None, now: dt.datetime | None = None
) -> Case:
    """A transition the system takes on another app's behalf (ratings: a rectification's dispatch, its re-rating,
    its end when the rating is voided): any row the system may take, with its follow-ons, in the caller's
    transaction. A case given as a row must already be locked by the caller (`select_for_update`) or just created in
    its transaction; a case given by number is locked here."""
    transition = workflow.TRANSITIONS.get(action)
    if transition is None or workflow.SYSTEM not in transition.actors:
        raise Invalid(f"未知操作：{action}", code="unknown_action", field="action")
    with transaction.atomic():
        if not isinstance(case, Case):
            number, pk = case, pk_from_number(case)
            if pk is None:
                raise Case.DoesNotExist(f"no case numbered {number!r}")
            case = Case.objects.select_for_update().get(pk=pk)
            if not number_matches(case, number):
                raise Case.DoesNotExist(f"no case numbered {number!r}")
        return workflow.apply_locked(case, action, Actor.system(), payload, now)


def _attach(case: Case, actor: Actor, upload, content_type: str, name: str, now) -> CaseAttachment:
    """The `attach` event (in the hash chain, on the timeline) and the stored file, on a case locked by the caller."""
    if not case.is_open:
        raise Conflict("工单已办结，不能再上传附件", code="invalid_state", field="file")
    workflow.apply_locked(case, "attach", actor, {"name": name, "size": upload.size, "content_type": content_type}, now)
    attachment = CaseAttachment(
        case=case,
        name=name,
        size=upload.size,
        content_type=content_type,
        uploaded_by=None if actor.is_system else actor.user,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


def case_submit_with_files(actor: Actor, files, **fields) -> tuple[Case, bool]:
    """`case_submit` and the files sent with it, in one transaction (the submission page): a repeated submission
    (its Idempotency-Key) returns the first case and attaches nothing again."""
    with transaction.atomic():
        case, created = case_submit(actor, **fields)
        for upload in files if created else []:
            attachment_add(actor, case.number, upload)
    return case, created


def case_transition_with_files(actor: Actor, number: str, action: str | None, payload: dict, files) -> None:
    """A person's transition (none: only files) and the files sent with it, in one transaction (the case page's
    forms): a file is its own event, written by `attachment_add`."""
    with transaction.atomic():
        if action is not None:
            case_transition(actor, number, action, payload)
        for upload in files:
            attachment_add(actor, number, upload)


def attachment_add(actor: Actor, number: str, upload, now: dt.datetime | None = None) -> CaseAttachment:
    """Attach a file to a case the actor may act on; recorded as an event so the timeline shows it."""
    if upload is None:
        raise Invalid("请选择文件", code="file_required", field="file")
    if upload.size > settings.WHISTLE_ATTACHMENT_MAX_BYTES:
        raise Invalid("附件不能超过10MB", code="file_too_large", field="file")
    # The type is what the content shows, and the name carries that type's extension (core.uploads).
    content_type, name = uploads.checked(upload, ATTACHMENT_TYPES)
    with transaction.atomic():
        case = case_get(actor, number, for_update=True)
        return _attach(case, actor, upload, content_type, name, now)


def system_attachment_add(
    case: Case, upload, content_type: str, name: str, now: dt.datetime | None = None
) -> CaseAttachment:
    """A file that came with a case from another system (Open311 media), checked by the caller (`core.uploads`):
    stored and recorded as the system's `attach` event, like a person's upload. The case is locked here."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        attachment = _attach(locked, Actor.system(), upload, content_type, name, now)
    case.event_seq, case.last_event_hash = locked.event_seq, locked.last_event_hash
    return attachment


def callback_record(
    actor: Actor,
    check_id: int,
    *,
    resolution: str,
    satisfaction: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> CallbackCheck:
    """回访抽查: a coordinator over the case records what the independent call heard (rules.md §8.5). The answers go
    into the case's chain as the office's `callback_check` event; a different 解决 or 满意 answer than the requester
    recorded is a mismatch. A check outside the actor's scope is not found; a recorded one is not recorded again."""
    now = now or timezone.now()
    with transaction.atomic():
        check = None
        if workflow.is_row_id(check_id) and actor.role == Role.COORDINATOR:
            check = CallbackCheck.objects.select_for_update().filter(pk=check_id).first()
        if check is None:
            raise NotFound("回访抽查不存在", code="callback_not_found")
        case = case_get(actor, check.case_id, for_update=True)  # 404 outside the coordinator's subtree
        if check.state != CallbackState.PENDING:
            raise Conflict("该工单的回访抽查已登记", code="callback_already_recorded")
        workflow.apply_locked(
            case, "callback_check", actor, {"resolution": resolution, "satisfaction": satisfaction, "note": note}, now
        )
        event = case.written_events[0]
        check.resolution = event.payload["resolution"]
        check.satisfaction = event.payload["satisfaction"]
        check.note = event.payload["note"]
        check.mismatch = event.payload.get("mismatch")
        check.state = CallbackState.DONE if check.mismatch is not None else CallbackState.UNREACHABLE
        check.checked_by, check.checked_at = actor.user, now
        check.save()
    return check
