"""Thin HTTP over cases: parse, call a selector or a service, shape the answer."""

import datetime as dt
import re
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Body, Field, File, Query, Router
from ninja.files import UploadedFile
from ninja.renderers import JSONRenderer
from ninja.responses import Status
from pydantic import field_validator

from whistle.core.errors import Invalid
from whistle.core.paging import PageFilter, page_of
from whistle.enterprises.selectors import enterprise_get
from whistle.enterprises.services import clean_uscc
from whistle.org.models import Role, Unit
from whistle.org.scopes import Actor

from . import selectors, services
from .models import Case
from .schemas import AttachmentOut, CaseDetailOut, CaseIn, CasePage, CategoryOut
from .visibility import requester_events
from .workflow import TRANSITIONS, allowed_actions

router = Router(tags=["cases"])
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _unit(u):
    return {"code": u.code, "name": u.name} if u else None


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """One spelling of a moment in answers, whether the case was just computed (deadlines come from the calendar in
    Beijing time) or read back from the database (UTC)."""
    return moment.astimezone(dt.UTC) if moment is not None else None


_JSON = JSONRenderer()


def answered(request, body: dict, status: int = 200) -> HttpResponse:
    """A write's answer, already in its declared shape (`CaseDetailOut`: `case_detail` builds exactly its fields),
    rendered as the API renders any answer but not validated into the schema and dumped out again, which cost about a
    tenth of a transition (issue 22). `test_issue_22_every_action_answers_the_case_as_a_fresh_get_reads_it_with_the_events_it_appended` pins it, field for field, to the
    validated answer of GET /cases/{number}."""
    return HttpResponse(
        _JSON.render(request, body, response_status=status),
        status=status,
        content_type=f"{_JSON.media_type}; charset={_JSON.charset}",
    )


def case_summary(case: Case, now: dt.datetime) -> dict:
    return {
        "number": case.number,
        "title": case.title,
        "kind": case.kind,
        "channel": case.channel,
        "category": case.category.code,
        "category_name": case.category.name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "level": case.level,
        "urgency": case.urgency,
        "urgency_label": case.get_urgency_display(),
        "card": case.card,
        "county": _unit(case.county),
        "lead_unit": _unit(case.lead_unit),
        "enterprise": case.enterprise.name if case.enterprise else None,
        "submitted_at": _utc(case.submitted_at),
        "next_due_at": _utc(case.next_due_at),
        "overdue": bool(case.is_open and case.next_due_at and case.next_due_at < now),
    }


def case_detail(actor: Actor, case: Case, *, written: bool = False) -> dict:
    """The case with its events, deadlines and what the actor may do next. `written`: the answer to a request that
    has just written the case (`services.case_submit`, `case_transition`), built from what it holds without reading
    the case back: its events are the ones it appended (`written_events`; the whole history is GET /cases/{number}),
    its assisting units and attachments as the locking read or the effects left them (`Case.assisting_ids`)."""
    now = timezone.now()
    events = case.written_events if written else selectors.case_events(case)
    if actor.role == Role.ENTERPRISE:
        events = requester_events(case, events, actor)  # no internal notes, no staff names (cases.visibility)
    assisting = _assisting(case, written)
    case.assisting_ids = {u.pk for u in assisting}  # what `allowed_actions` asks of the actor's relation to the case
    body = case_summary(case, now)
    body.update(
        description=case.description,
        contact_name=case.contact_name,
        contact_phone=case.contact_phone,
        address=case.address,
        lat=float(case.lat) if case.lat is not None else None,
        lng=float(case.lng) if case.lng is not None else None,
        assisting_units=[_unit(u) for u in assisting],
        deadlines={
            f: _utc(getattr(case, f))
            for f in ("return_due_at", "contact_due_at", "opinion_due_at", "resolve_due_at", "next_due_at")
        },
        is_complex=case.is_complex,
        extension_state=case.extension_state,
        returns_count=case.returns_count,
        reopen_count=case.reopen_count,
        supervision_count=case.supervision_count,
        resolution=case.resolution,
        satisfaction=case.satisfaction,
        events=[
            {
                "seq": e.seq,
                "action": e.action,
                "label": TRANSITIONS[e.action].label if e.action in TRANSITIONS else e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor_label,
                "at": e.at,
                "payload": e.payload,
                "hash": e.hash,
            }
            for e in events
        ],
        attachments=(
            list(case.attachments.values("id", "name", "size", "content_type", "uploaded_at"))
            if not written or case.has_attachments
            else []
        ),
        allowed_actions=[
            {"action": t.action, "label": t.label, "required": list(t.required)} for t in allowed_actions(actor, case)
        ],
    )
    return body


def _assisting(case: Case, written: bool) -> list:
    if written:
        known = getattr(case, "assisting_known", None)
        if known is not None:
            return known
        if not case.assisting_ids:
            return []
    return list(case.assisting_units.all())


@router.post("/cases", response={200: CaseDetailOut, 201: CaseDetailOut}, summary="提交诉求（企业吹哨）")
def create_case(request, data: CaseIn):
    """Honours `Idempotency-Key`: a retry with the same key and body returns the first case (200) and creates nothing."""
    actor = request.actor
    fields = data.dict()
    uscc = fields.pop("enterprise")
    enterprise = None
    if uscc:
        if actor.role == Role.ENTERPRISE:
            raise Invalid("企业用户不能代其他企业提交", code="enterprise_not_allowed", field="enterprise")
        enterprise = enterprise_get(actor, clean_uscc(uscc, field="enterprise"))
        if enterprise is None:
            raise Invalid("企业不存在", code="unknown_enterprise", field="enterprise")
    channel = "api" if request.auth_kind == "token" else "web"
    case, created = services.case_submit(
        actor, enterprise=enterprise, channel=channel, idempotency_key=request.headers.get("Idempotency-Key"), **fields
    )
    if created:
        # Answered from what the request wrote (category, county, unit and enterprise are loaded already).
        return answered(request, case_detail(actor, case, written=True), 201)
    return Status(200, case_detail(actor, selectors.case_get(actor, case.number)))


class CaseFilter(PageFilter):
    state: str | None = Field(None, description="状态，可用逗号分隔多个")
    unit: str | None = Field(None, description="主办单位编码")
    county: str | None = Field(None, description="属地县区编码")
    kind: str | None = None
    overdue: bool | None = None
    due_before: dt.datetime | None = Field(
        None, description="当前环节截止早于此时刻（ISO 8601，如 2026-11-02T18:00:00+08:00）"
    )

    @field_validator("due_before", mode="before")
    @classmethod
    def _iso_only(cls, value):
        # pydantic reads a number as seconds since 1970 (`due_before=0.5`); a moment here is written as a date and time.
        if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
            raise ValueError("须为 ISO 8601 日期时间")
        return value


@router.get("/cases", response=CasePage, summary="工单列表（按权限范围）")
def list_cases(request, filters: Query[CaseFilter]):
    unit_id = county_id = None
    if filters.unit:
        unit_id = Unit.objects.filter(code=filters.unit).values_list("pk", flat=True).first()
        if unit_id is None:
            raise Invalid("单位不存在", code="unknown_unit", field="unit")
    if filters.county:
        county_id = Unit.objects.filter(code=filters.county).values_list("pk", flat=True).first()
        if county_id is None:
            raise Invalid("县区不存在", code="unknown_county", field="county")
    due_before = filters.due_before
    if due_before is not None and timezone.is_naive(due_before):
        due_before = timezone.make_aware(due_before)  # a time without a zone is Beijing time
    qs = selectors.case_list(
        request.actor,
        state=filters.state,
        unit=unit_id,
        county=county_id,
        kind=filters.kind,
        overdue=filters.overdue,
        due_before=due_before,
    )
    now = timezone.now()
    return page_of(qs, filters, lambda c: case_summary(c, now))


@router.get("/cases/inbox", response=CasePage, summary="本单位待办（主办的未办结工单，按最近时限排序）")
def inbox(request, filters: Query[PageFilter]):
    """A handler's inbox: its unit's open cases it leads, nearest deadline first, those owing nothing (replied) last
    (`selectors.inbox`, index `case_inbox`). Empty for a caller who belongs to no unit."""
    now = timezone.now()
    return page_of(selectors.inbox(request.actor), filters, lambda c: case_summary(c, now))


@router.get("/cases/{number}", response=CaseDetailOut, summary="工单详情（含全部记录与时限）")
def get_case(request, number: str):
    return case_detail(request.actor, selectors.case_get(request.actor, number))


@router.post("/cases/{number}/actions/{action}", response=CaseDetailOut, summary="执行流转操作")
def act(request, number: str, action: str, payload: Body[dict[str, Any] | None] = None):
    """Any transition of the workflow table; the body is the action's payload (see GET /workflow).
    403 when the caller may not do it, 409 when the state does not allow it, 404 outside scope."""
    case = services.case_transition(request.actor, number, action, payload or {})
    # The case as this action left it, from what the action wrote, with the events it appended (not read back:
    # after a return the unit no longer sees the case, but it may see what it did).
    return answered(request, case_detail(request.actor, case, written=True))


@router.post("/cases/{number}/attachments", response={201: AttachmentOut}, summary="上传附件")
def upload(request, number: str, file: UploadedFile = File(...)):
    attachment = services.attachment_add(request.actor, number, file)
    return Status(
        201,
        {
            "id": attachment.pk,
            "name": attachment.name,
            "size": attachment.size,
            "content_type": attachment.content_type,
            "uploaded_at": attachment.uploaded_at,
        },
    )


@router.get("/categories", response=list[CategoryOut], summary="可选的问题分类（全省通用与本市自有）")
def category_list(request):
    """The categories this caller may submit a case under: the province's and their own city's (`Category.city`),
    active and public, in code order — the same list as the submit form's."""
    return [
        {
            "code": c.code,
            "name": c.name,
            "parent": c.parent.code if c.parent else None,
            "city": c.city.code if c.city else None,
        }
        for c in selectors.category_offered(request.actor)
    ]


@router.get("/workflow", summary="流转规则表")
def workflow_table(request):
    """The transitions table as data: what each action needs and who may do it."""
    return [
        {
            "action": t.action,
            "label": t.label,
            "from": sorted(t.sources),
            "to": t.target,
            "actors": sorted(t.actors),
            "required": list(t.required),
            "deadline_effect": t.deadline_effect,
        }
        for t in TRANSITIONS.values()
    ]
