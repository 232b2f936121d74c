"""Thin HTTP over 不罚/轻罚 (/api/v1/leniency): lists, suggestions, inspections and findings, decisions, approvals,
orders (report, re-check), the enterprise's answers and cases, the monthly figures."""

from __future__ import annotations

from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from whistle.core.errors import Forbidden, Invalid, NotFound
from whistle.core.params import parse_month

from . import selectors, services
from .models import Finding, Inspection, ListItem, ListVersion
from .schemas import (
    ApprovalIn,
    CaseIn,
    DecideIn,
    FindingIn,
    InspectionIn,
    RecheckIn,
    ReplyIn,
    ReportIn,
    ReviewIn,
    SuggestIn,
)

router = Router(tags=["leniency"])


def _unit(u):
    return {"code": u.code, "name": u.name} if u else None


def version_out(v: ListVersion) -> dict:
    review = v.review
    return {
        "id": v.pk,
        "code": v.code,
        "name": v.name,
        "level": v.level,
        "region": _unit(v.region),
        "issuer": v.issuer,
        "document": v.document,
        "effective_from": v.effective_from,
        "effective_to": v.effective_to,
        "replaces": v.replaces_id,
        "review": {
            "approved": review.approved,
            "reviewer_unit": review.reviewer_unit,
            "reviewer_name": review.reviewer_name,
            "reviewed_on": review.reviewed_on,
            "opinion": review.opinion,
            "recorded_at": review.reviewed_at,
        }
        if review
        else None,
    }


def item_out(i: ListItem) -> dict:
    return {
        "id": i.pk,
        "version": i.version_id,
        "number": i.number,
        "field": i.field.name,
        "treatment": i.treatment,
        "violation": i.violation,
        "conditions": [c.code for c in i.conditions.all()],
        "condition_text": i.condition_text,
        "legal_basis": i.legal_basis,
        "penalty_basis": i.penalty_basis,
        "fine_min": i.fine_min,
        "fine_max": i.fine_max,
        "correction_days": i.correction_days,
    }


def suggestion_out(s: dict) -> dict:
    return {
        "item": item_out(s["item"]),
        "score": s["score"],
        "shared_words": s["shared"],
        "in_field": s["in_field"],
        "applicable": s["applicable"],
        "checks": [{k: c[k] for k in ("code", "label", "check", "holds", "detail")} for c in s["checks"]],
    }


def finding_out(f: Finding, *, full: bool = False) -> dict:
    order = selectors.order_of(f)
    body = {
        "id": f.pk,
        "inspection": f.inspection_id,
        "enterprise": {"uscc": f.enterprise.uscc, "name": f.enterprise.name},
        "department": _unit(f.department),
        "inspected_on": f.inspected_on,
        "description": f.description,
        "state": f.state,
        "decision": f.decision or None,
        "item": f.item_id,
        "suggested_item": f.suggested_item_id,
        "legal_basis": f.legal_basis,
        "reason": f.reason,
        "fine_standard": f.fine_standard,
        "fine_imposed": f.fine_imposed,
        "deviation": f.deviation,
        "approval": f.approval or None,
        "first_offence": f.first_offence,
        "order": {
            "content": order.content,
            "days": order.days,
            "ordered_on": order.ordered_on,
            "due_on": order.due_on,
            "state": order.state,
            "reported_at": order.reported_at,
            "report": order.report,
            "rechecked_on": order.rechecked_on,
        }
        if order
        else None,
    }
    if full:
        body["notes"] = [
            {"kind": n.kind, "text": n.text, "author": n.author_label, "at": n.created_at}
            for n in f.notes.order_by("created_at", "pk")
        ]
    return body


def inspection_out(i: Inspection, *, full: bool = False) -> dict:
    body = {
        "id": i.pk,
        "department": _unit(i.department),
        "county": _unit(i.county),
        "enterprise": {"uscc": i.enterprise.uscc, "name": i.enterprise.name},
        "kind": i.kind,
        "inspected_on": i.inspected_on,
        "subject": i.subject,
    }
    if full:
        body["findings"] = [
            finding_out(f) for f in i.findings.select_related("enterprise", "department", "order").order_by("pk")
        ]
        body["cases"] = [link.case.number for link in i.cases.select_related("case")]
    return body


# ---- lists ----------------------------------------------------------------------------------------------------------


@router.get("/versions", summary="不罚轻罚清单版本")
def versions(request):
    return [version_out(v) for v in selectors.version_list()]


@router.get("/versions/{int:version_id}", summary="清单版本及其事项")
def version_detail(request, version_id: int):
    version = selectors.version_get(version_id)
    items = version.items.select_related("field").prefetch_related("conditions").order_by("field__order", "pk")
    return {
        **version_out(version),
        "fields": [f.name for f in version.fields.all()],
        "items": [item_out(i) for i in items],
    }


@router.get("/versions/{int:version_id}/diff", summary="与另一版本比较（新增、删除、修改）")
def version_diff(request, version_id: int, against: int):
    version = selectors.version_get(version_id)
    try:
        other = selectors.version_get(against)
    except NotFound:
        raise Invalid("比较的版本不存在", code="unknown_version", field="against") from None
    diff = selectors.version_diff(other, version)
    return {
        "old": other.pk,
        "new": version.pk,
        "added": [item_out(i) for i in diff["added"]],
        "removed": [item_out(i) for i in diff["removed"]],
        "changed": [{"old": c["old"].pk, "new": c["new"].pk, "what": c["what"]} for c in diff["changed"]],
        "same": diff["same"],
    }


@router.post("/versions/{int:version_id}/reviews", response={201: dict}, summary="登记合法性审查")
def version_review(request, version_id: int, data: ReviewIn):
    review = services.review_record(request.actor, version_id, data.dict())
    return Status(201, {"id": review.pk, "approved": review.approved, "reviewed_on": review.reviewed_on})


@router.get("/items/{int:item_id}", summary="清单事项")
def item_detail(request, item_id: int):
    return item_out(selectors.item_get(item_id))


# ---- inspections -------------------------------------------------------------------------------------------------


@router.post("/suggest", summary="按领域和用词建议适用的清单事项（登记前预览）")
def suggest(request, data: SuggestIn):
    actor = request.actor
    if not selectors.can_record(actor):
        raise Forbidden("只有执法人员可以使用清单匹配", code="inspect_not_permitted")
    enterprise = selectors.enterprises_for(actor).filter(uscc=data.enterprise.strip().upper()).first()
    if enterprise is None:
        raise Invalid("企业不存在或不在本部门的检查范围内", code="unknown_enterprise", field="enterprise")
    found = selectors.suggest(data.description, department=actor.unit, county=enterprise.county, day=data.inspected_on)
    return [suggestion_out(s) for s in found]


@router.get("/inspections", summary="行政检查（按权限范围，最近200条）")
def inspections(request, month: str | None = None):
    qs = selectors.inspection_list(request.actor, month=parse_month(month) if month else None)
    return [inspection_out(i) for i in qs[:200]]


@router.post("/inspections", response={201: dict}, summary="登记行政检查及发现的问题")
def inspection_create(request, data: InspectionIn):
    inspection = services.inspection_record(
        request.actor,
        enterprise=data.enterprise,
        inspected_on=data.inspected_on,
        subject=data.subject,
        kind=data.kind,
        findings=data.findings,
    )
    return Status(201, inspection_out(selectors.inspection_get(request.actor, inspection.pk), full=True))


@router.get("/inspections/{int:inspection_id}", summary="行政检查详情")
def inspection_detail(request, inspection_id: int):
    return inspection_out(selectors.inspection_get(request.actor, inspection_id), full=True)


@router.post("/inspections/{int:inspection_id}/findings", response={201: dict}, summary="登记检查发现")
def finding_create(request, inspection_id: int, data: FindingIn):
    finding = services.finding_add(request.actor, inspection_id, data.description)
    return Status(201, finding_out(selectors.finding_get(request.actor, finding.pk)))


@router.post("/inspections/{int:inspection_id}/cases", response={201: dict}, summary="企业就检查提出诉求（吹哨）")
def inspection_case(request, inspection_id: int, data: CaseIn):
    case = services.inspection_raise_case(
        request.actor, inspection_id, category=data.category, description=data.description, kind=data.kind
    )
    return Status(201, {"number": case.number, "state": case.state})


@router.get("/findings", summary="检查发现（按权限范围，最近200条）")
def findings(request, state: str | None = None):
    return [finding_out(f) for f in selectors.finding_list(request.actor, state=state)[:200]]


@router.get("/findings/{int:finding_id}", summary="检查发现详情（含建议事项与处理记录）")
def finding_detail(request, finding_id: int):
    actor = request.actor
    finding = selectors.finding_get(actor, finding_id)
    body = finding_out(finding, full=True)
    body["suggestions"] = (
        [suggestion_out(s) for s in selectors.suggestions_for(finding)] if selectors.can_decide(actor, finding) else []
    )
    return body


@router.post("/findings/{int:finding_id}/decision", summary="作出处理决定（不罚、轻罚或依法处罚）")
def finding_decide(request, finding_id: int, data: DecideIn):
    finding = services.finding_decide(request.actor, finding_id, **data.dict())
    return finding_out(selectors.finding_get(request.actor, finding.pk), full=True)


@router.post("/findings/{int:finding_id}/approval", summary="上级审批偏离建议的处理决定")
def finding_approve(request, finding_id: int, data: ApprovalIn):
    finding = services.finding_approve(request.actor, finding_id, decision=data.decision, note=data.note)
    return finding_out(selectors.finding_get(request.actor, finding.pk), full=True)


@router.post("/findings/{int:finding_id}/recheck", summary="复查责令改正")
def finding_recheck(request, finding_id: int, data: RecheckIn):
    finding = services.finding_recheck(
        request.actor, finding_id, corrected=data.corrected, rechecked_on=data.rechecked_on, note=data.note
    )
    return finding_out(selectors.finding_get(request.actor, finding.pk), full=True)


@router.post("/findings/{int:finding_id}/report", summary="企业报告已改正")
def finding_report(request, finding_id: int, data: ReportIn):
    finding = services.order_report(request.actor, finding_id, report=data.report)
    return finding_out(selectors.finding_get(request.actor, finding.pk), full=True)


@router.post("/findings/{int:finding_id}/replies", response={201: dict}, summary="企业回复检查发现")
def finding_reply(request, finding_id: int, data: ReplyIn):
    note = services.finding_reply(request.actor, finding_id, text=data.text)
    return Status(201, {"id": note.pk, "text": note.text, "at": note.created_at})


# ---- figures ---------------------------------------------------------------------------------------------------------


def _figures_actor(request):
    actor = request.actor
    if actor.role not in selectors.FIGURE_ROLES:
        raise Forbidden("您的角色无权查看统计", code="figures_not_permitted")
    return actor


@router.get("/figures", summary="按执法部门的月度统计")
def figures(request, month: str | None = None):
    actor = _figures_actor(request)
    m = parse_month(month) if month else timezone.localdate().replace(day=1)
    data = selectors.monthly_figures(actor, m)
    return {
        "month": m.strftime("%Y-%m"),
        "rows": [
            {**{k: v for k, v in r.items() if k not in ("unit", "department_id")}, "department": _unit(r["unit"])}
            for r in data["rows"]
        ],
        "totals": data["totals"],
    }


@router.get("/repeated", summary="多头检查：当月被多个部门检查的企业")
def repeated(request, month: str | None = None):
    actor = _figures_actor(request)
    m = parse_month(month) if month else timezone.localdate().replace(day=1)
    return [
        {
            "enterprise": r["name"],
            "departments": r["departments"],
            "inspections": r["inspections"],
            "visits": [{"id": i.pk, "day": i.inspected_on, "department": _unit(i.department)} for i in r["visits"]],
        }
        for r in selectors.repeated_inspections(actor, m)
    ]
