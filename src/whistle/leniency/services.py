"""Every write of 不罚/轻罚: list versions and their legality review, items, inspections and findings, decisions and
their approval, orders to correct, the enterprise's answers and reports, re-checks, and a case raised about an
inspection. One transaction each; refusals are `whistle.core.errors` problems."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from whistle.cases.models import Kind
from whistle.cases.services import case_submit
from whistle.core.calendar import add_working_days
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.core.rules import int_param
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Role, Unit, UnitKind
from whistle.org.scopes import Actor

from . import matching, selectors
from .models import (
    Approval,
    Condition,
    CorrectionOrder,
    Decision,
    Finding,
    FindingNote,
    FindingState,
    Inspection,
    InspectionCase,
    InspectionKind,
    LegalityReview,
    ListField,
    ListItem,
    ListLevel,
    ListVersion,
    NoteKind,
    OrderState,
    Treatment,
)

CASE_REF_PREFIX = "leniency-inspection:"
TEXT_MAX = 2000


# ---- small validators shared by the forms, the API and the import ------------------------------------------------


def clean_date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise Invalid("日期格式应为 YYYY-MM-DD", code="invalid_date", field=field) from None


def clean_text(value, field: str, *, limit: int, required: bool = False, label: str = "") -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise Invalid(f"请填写{label}", code="required", field=field)
    if len(text) > limit:
        raise Invalid(f"{label}不能超过{limit}字", code="too_long", field=field)
    return text


def clean_amount(value, field: str, label: str) -> Decimal:
    text = "" if value is None else str(value).strip().replace(",", "")
    if text == "":
        return Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Invalid(f"{label}须为数字（元）", code="invalid_amount", field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise Invalid(f"{label}须为0到100亿元之间的数字", code="invalid_amount", field=field)
    return amount.quantize(Decimal("0.01"))


def clean_days(value, field: str = "days") -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        raise Invalid("改正期限须为整数（工作日）", code="invalid_days", field=field) from None
    if not 1 <= days <= 90:
        raise Invalid("改正期限须为1到90个工作日", code="invalid_days", field=field)
    return days


def _note(finding: Finding, kind: str, text: str, actor: Actor, now: dt.datetime) -> None:
    FindingNote.objects.create(
        finding=finding, kind=kind, text=text, author=actor.user, author_label=actor.label, created_at=now
    )


def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


# ---- lists ---------------------------------------------------------------------------------------------------------


def _check_manager(actor: Actor):
    if not (actor.is_system or actor.role in selectors.LIST_MANAGERS):
        raise Forbidden("只有系统管理员可以维护不罚轻罚清单", code="list_manage_not_permitted")


def _region(level: str, region) -> Unit | None:
    if level == ListLevel.PROVINCE:
        return None
    unit = region if isinstance(region, Unit) else Unit.objects.filter(code=str(region or "").strip()).first()
    wanted = Level.CITY if level == ListLevel.CITY else Level.COUNTY
    if unit is None or unit.level != wanted or unit.kind not in (UnitKind.GOVERNMENT, UnitKind.ZONE):
        raise Invalid("市级补充须选择市政府，县区补充须选择县区政府", code="invalid_region", field="region")
    return unit


def version_create(actor: Actor, data: dict) -> ListVersion:
    """A new, empty version (its items come from an import or the admin); it applies once its review approves it."""
    _check_manager(actor)
    level = data.get("level")
    if level not in ListLevel.values:
        raise Invalid("层级须为省级清单、市级补充或县区补充", code="invalid_level", field="level")
    code = clean_text(data.get("code"), "code", limit=60, required=True, label="编号")
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        raise Invalid("编号只能由字母、数字、-和_组成", code="invalid_code", field="code")
    start = clean_date(data.get("effective_from"), "effective_from")
    end = clean_date(data["effective_to"], "effective_to") if data.get("effective_to") else None
    if end is not None and end <= start:
        raise Invalid("废止日期须晚于施行日期", code="dates_reversed", field="effective_to")
    replaces = data.get("replaces")
    if replaces not in (None, "") and not isinstance(replaces, ListVersion):
        replaces = ListVersion.objects.filter(pk=replaces).first() if str(replaces).isdigit() else None
        if replaces is None:
            raise Invalid("被替代的版本不存在", code="unknown_version", field="replaces")
    try:
        with transaction.atomic():
            return ListVersion.objects.create(
                code=code,
                name=clean_text(data.get("name"), "name", limit=120, required=True, label="名称"),
                level=level,
                region=_region(level, data.get("region")),
                issuer=clean_text(data.get("issuer"), "issuer", limit=120, label="发布机关"),
                document=clean_text(data.get("document"), "document", limit=80, label="文号"),
                effective_from=start,
                effective_to=end,
                replaces=replaces or None,
                created_by=actor.user,
            )
    except IntegrityError:
        raise Conflict("该编号的清单版本已存在", code="version_exists", field="code") from None


def check_editable(version: ListVersion):
    if version.reviews.exists():
        raise Conflict(
            "已登记合法性审查的版本不能再修改；请新建版本并重新审查", code="version_reviewed", field="version"
        )


@transaction.atomic
def review_record(actor: Actor, version_pk, data: dict) -> LegalityReview:
    """合法性审查: who reviewed the version, when, with what result and opinion. The latest review decides whether
    the version applies; reviews are never edited (a new one is recorded)."""
    _check_manager(actor)
    version = selectors.version_get(version_pk)
    decision = data.get("decision")
    if decision not in ("approve", "reject"):
        raise Invalid("审查结论须为“通过”或“不通过”", code="invalid_decision", field="decision")
    if decision == "approve" and not version.items.exists():
        raise Conflict("清单版本中还没有事项，不能审查通过", code="version_empty", field="version")
    return LegalityReview.objects.create(
        version=version,
        approved=decision == "approve",
        reviewer_unit=clean_text(data.get("reviewer_unit"), "reviewer_unit", limit=80, required=True, label="审查机关"),
        reviewer_name=clean_text(data.get("reviewer_name"), "reviewer_name", limit=40, required=True, label="审查人"),
        reviewed_on=clean_date(data.get("reviewed_on"), "reviewed_on"),
        opinion=clean_text(data.get("opinion"), "opinion", limit=TEXT_MAX, label="审查意见"),
        recorded_by=actor.user,
    )


def field_get_or_create(version: ListVersion, name: str, functions: str = "") -> ListField:
    field, created = ListField.objects.get_or_create(
        version=version, name=name, defaults={"functions": functions, "order": version.fields.count() + 1}
    )
    if not created and functions and not field.functions:
        field.functions = functions
        field.save(update_fields=["functions"])
    return field


def item_save(version: ListVersion, data: dict) -> ListItem:
    """Create or replace an item of an unreviewed version by its number (序号); the words are cut here, once."""
    conditions = list(data.pop("conditions", []))
    data["words"] = matching.item_words(data["violation"], data.get("keywords", ""))
    item, _ = ListItem.objects.update_or_create(version=version, number=data.pop("number"), defaults=data)
    item.conditions.set(conditions)
    return item


TREATMENT_WORDS = [
    ("首违不罚", Treatment.FIRST_OFFENCE),
    ("首次违法", Treatment.FIRST_OFFENCE),
    ("不予", Treatment.NO_PENALTY),
    ("不罚", Treatment.NO_PENALTY),
    ("从轻", Treatment.LIGHT_PENALTY),
    ("减轻", Treatment.LIGHT_PENALTY),
    ("轻罚", Treatment.LIGHT_PENALTY),
]


def parse_treatment(text: str) -> str:
    text = (text or "").strip()
    if text in Treatment.values:
        return text
    for word, treatment in TREATMENT_WORDS:
        if word in text:
            return treatment
    raise Invalid("“处理方式”须为不予处罚、首违不罚、从轻处罚或减轻处罚", code="invalid_treatment", field="处理方式")


def parse_conditions(text: str, codes: str = "") -> list[Condition]:
    """The structured conditions of a published 适用条件: explicit codes when given, else every condition whose
    phrases appear in the text."""
    catalogue = list(Condition.objects.all())
    if codes.strip():
        wanted = [c.strip() for c in codes.replace("，", ",").replace("、", ",").split(",") if c.strip()]
        by_code = {c.code: c for c in catalogue}
        unknown = [c for c in wanted if c not in by_code]
        if unknown:
            raise Invalid(f"未知的条件代码：{'、'.join(unknown)}", code="unknown_condition", field="条件代码")
        return [by_code[c] for c in wanted]
    found = []
    for condition in catalogue:
        phrases = [p.strip() for p in condition.phrases.splitlines() if p.strip()]
        if any(p in text for p in phrases):
            found.append(condition)
    return found


# ---- inspections and findings --------------------------------------------------------------------------------------


def _check_inspector(actor: Actor):
    if not selectors.can_record(actor):
        raise Forbidden("只有执法人员可以登记行政检查", code="inspect_not_permitted")


@transaction.atomic
def inspection_record(
    actor: Actor,
    *,
    enterprise,
    inspected_on,
    subject: str,
    kind: str = InspectionKind.ROUTINE,
    findings: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Inspection:
    """An inspector records an inspection of an enterprise for their department, with the violations found (each a
    finding waiting for its decision). An inspection without findings is recorded too: it counts as an inspection."""
    _check_inspector(actor)
    now = now or timezone.now()
    if not isinstance(enterprise, Enterprise):
        key = str(enterprise or "").strip()
        qs = selectors.enterprises_for(actor)
        enterprise = (qs.filter(uscc=key.upper()).first() or qs.filter(name=key).first()) if key else None
        if enterprise is None:
            raise Invalid(
                "企业不存在或不在本部门的检查范围内（填统一社会信用代码或企业全称）",
                code="unknown_enterprise",
                field="enterprise",
            )
    elif not selectors.enterprises_for(actor).filter(pk=enterprise.pk).exists():
        raise Invalid("企业不在本部门的检查范围内", code="unknown_enterprise", field="enterprise")
    day = clean_date(inspected_on, "inspected_on")
    if day > _today(now):
        raise Invalid("检查日期不能晚于今天", code="date_in_future", field="inspected_on")
    if kind not in InspectionKind.values:
        raise Invalid("检查类型不正确", code="invalid_kind", field="kind")
    inspection = Inspection.objects.create(
        department=actor.unit,
        county=enterprise.county,
        enterprise=enterprise,
        inspector=actor.user,
        kind=kind,
        inspected_on=day,
        subject=clean_text(subject, "subject", limit=120, required=True, label="检查事项"),
    )
    for i, text in enumerate(findings or []):
        if str(text or "").strip():
            _finding_create(inspection, text, f"findings[{i}]")
    return inspection


def _finding_create(inspection: Inspection, description, field: str) -> Finding:
    return Finding.objects.create(
        inspection=inspection,
        department_id=inspection.department_id,
        county_id=inspection.county_id,
        enterprise_id=inspection.enterprise_id,
        inspected_on=inspection.inspected_on,
        description=clean_text(description, field, limit=TEXT_MAX, required=True, label="发现的问题"),
    )


@transaction.atomic
def finding_add(actor: Actor, inspection_pk, description: str) -> Finding:
    inspection = selectors.inspection_get(actor, inspection_pk, for_update=True)
    _check_inspector(actor)
    return _finding_create(inspection, description, "description")


def _locked(actor: Actor, pk) -> Finding:
    finding = selectors.finding_get(actor, pk)
    return (
        Finding.objects.select_for_update(of=("self",))
        .select_related("department", "county", "enterprise", "inspection", "item", "item__field")
        .get(pk=finding.pk)
    )


def _item_in_force(finding: Finding, item) -> ListItem:
    versions = selectors.versions_in_force(finding.inspected_on, finding.county)
    pk = item.pk if isinstance(item, ListItem) else item
    found = (
        ListItem.objects.filter(version__in=versions, pk=pk).select_related("field", "version").first()
        if str(pk or "").isdigit()
        else None
    )
    if found is None:
        raise Invalid("所选清单事项在检查日期不适用于该地区（请从建议中选择）", code="item_not_in_force", field="item")
    return found


def clean_answers(answers) -> dict:
    if not answers:
        return {}
    if not isinstance(answers, dict):
        raise Invalid("条件确认格式不正确", code="invalid_answers", field="answers")
    codes = set(Condition.objects.values_list("code", flat=True))
    out = {}
    for code, value in answers.items():
        if code not in codes:
            raise Invalid(f"未知的条件：{code}", code="unknown_condition", field="answers")
        out[code] = value in (True, "1", "true", "yes", "on", 1)
    return out


@transaction.atomic
def finding_decide(
    actor: Actor,
    pk,
    *,
    decision: str,
    item=None,
    answers: dict | None = None,
    reason: str = "",
    fine_standard=0,
    fine_imposed=0,
    days=None,
    content: str = "",
    now: dt.datetime | None = None,
) -> Finding:
    """Decide a finding: 不罚 (with an order to correct within working days), 轻罚 (the reduced fine, within the
    item's range, and an order to correct), or ordinary punishment (with the reason no item applies).

    The item's conditions are checked, never loosened: an item whose conditions fail cannot be applied. A decision
    that departs from the suggested item (the best match whose conditions hold) needs a reason and waits for the
    approval of the level above; otherwise it takes effect at once."""
    now = now or timezone.now()
    finding = _locked(actor, pk)
    if not selectors.can_record(actor) or not actor.covers(finding.department):
        raise Forbidden("只有本部门的执法人员可以作出处理决定", code="decide_not_permitted")
    if finding.state != FindingState.DRAFT:
        raise Conflict(f"该检查发现已{finding.get_state_display()}，不能再作决定", code="already_decided")
    if decision not in Decision.values:
        raise Invalid("处理决定须为不予处罚、从轻/减轻处罚或依法处罚", code="invalid_decision", field="decision")
    answers = clean_answers(answers)
    reason = clean_text(reason, "reason", limit=TEXT_MAX, label="理由")
    standard = clean_amount(fine_standard, "fine_standard", "按一般程序应处罚款")
    imposed = clean_amount(fine_imposed, "fine_imposed", "实际罚款")
    days = clean_days(days)
    suggestions = selectors.suggestions_for(finding, answers)
    suggested = next((s["item"] for s in suggestions if s["applicable"]), None)

    chosen = None
    if decision in (Decision.NO_PENALTY, Decision.LIGHT_PENALTY):
        chosen = _item_in_force(finding, item)
        if decision == Decision.NO_PENALTY and not chosen.is_no_penalty:
            raise Invalid("该事项属于轻罚清单，不能据此不予处罚", code="item_treatment_mismatch", field="item")
        if decision == Decision.LIGHT_PENALTY and chosen.is_no_penalty:
            raise Invalid("该事项属于不罚清单，请选择“不予处罚”", code="item_treatment_mismatch", field="item")
        checks = selectors.check_conditions(chosen, finding, answers)
        failing = [c for c in checks if c["holds"] is False]
        unanswered = [c for c in checks if c["holds"] is None and c["check"] == "answer"]
        if failing:
            raise Invalid(
                f"不符合适用条件：{'；'.join(c['label'] + '（' + c['detail'] + '）' for c in failing)}",
                code="conditions_not_met",
                field="answers",
            )
        if unanswered:
            raise Invalid(
                f"请现场确认：{'、'.join(c['label'] for c in unanswered)}",
                code="conditions_unanswered",
                field="answers",
            )
        if decision == Decision.NO_PENALTY:
            imposed = Decimal(0)
        else:
            if imposed <= 0:
                raise Invalid("请填写从轻/减轻后的罚款金额", code="fine_required", field="fine_imposed")
            low, high = chosen.fine_min, chosen.fine_max
            if (low is not None and imposed < low) or (high is not None and imposed > high):
                raise Invalid(
                    f"罚款金额须在清单规定的幅度内（{low or 0}–{high or '不限'}元）",
                    code="fine_out_of_range",
                    field="fine_imposed",
                )
        if standard and imposed > standard:
            raise Invalid("实际罚款不能高于按一般程序应处的罚款", code="fine_above_standard", field="fine_imposed")
    else:
        if not reason:
            raise Invalid("依法处罚须说明不适用不罚轻罚清单的理由", code="reason_required", field="reason")
        imposed = imposed or standard
        standard = max(standard, imposed)

    deviation = suggested is not None and (chosen is None or chosen.pk != suggested.pk)
    if deviation and not reason:
        raise Invalid(
            f"未采纳建议事项（{suggested.number}），须说明理由并报上级审批",
            code="deviation_reason_required",
            field="reason",
        )
    finding.answers = answers
    finding.suggested_item = suggested
    finding.item = chosen
    finding.decision = decision
    finding.reason = reason
    finding.fine_standard = standard
    finding.fine_imposed = imposed
    finding.deviation = deviation
    finding.first_offence = _first_offence(finding, chosen or suggested)
    finding.legal_basis = _basis(chosen) if chosen else ""
    finding.decided_by, finding.decided_at = actor.user, now
    text = f"{finding.get_decision_display()}" + (f"：{chosen.number} {chosen.violation[:40]}" if chosen else "")
    if reason:
        text += f"。理由：{reason}"
    _note(finding, NoteKind.DECISION, text, actor, now)
    # The order's terms are kept on the finding until it takes effect.
    finding._order = {"days": days, "content": clean_text(content, "content", limit=TEXT_MAX, label="改正要求")}
    if deviation:
        finding.approval = Approval.PENDING
        finding.state = FindingState.PENDING_APPROVAL
        finding.answers = {**answers, "_order": finding._order}
        finding.save()
    else:
        finding.approval = Approval.NONE
        _take_effect(finding, actor, now)
    return finding


def _first_offence(finding: Finding, item: ListItem | None) -> bool | None:
    if item is None:
        return None
    for check in selectors.check_conditions(item, finding, finding.answers):
        if check["check"] == "history":
            return check["holds"]
    return (
        not selectors.prior_findings(finding.enterprise_id, finding.inspected_on, exclude=finding.pk)
        .filter(department_id=finding.department_id)
        .exists()
    )


def _basis(item: ListItem) -> str:
    parts = [f"《{item.version.name}》第{item.number}项", item.legal_basis]
    if item.penalty_basis:
        parts.append(item.penalty_basis)
    return "；".join(p for p in parts if p)


def _take_effect(finding: Finding, actor: Actor, now: dt.datetime) -> None:
    """The decision applies: 不罚 and 轻罚 order the enterprise to correct within working days; ordinary punishment
    ends the matter here (the penalty procedure runs in the enforcement system)."""
    terms = finding.answers.pop("_order", None) or getattr(finding, "_order", None) or {}
    if finding.decision == Decision.ORDINARY:
        finding.state = FindingState.PUNISHED
        finding.save()
        return
    days = terms.get("days") or finding.item.correction_days or int_param("leniency.correction_days")
    ordered_on = _today(now)
    start = timezone.make_aware(dt.datetime.combine(ordered_on, dt.time(0, 0)))
    due = timezone.localtime(add_working_days(start, days)).date()
    CorrectionOrder.objects.create(
        finding=finding,
        content=terms.get("content") or f"责令改正：{finding.description[:200]}",
        days=days,
        ordered_on=ordered_on,
        due_on=due,
    )
    finding.state = FindingState.ORDERED
    finding.save()


@transaction.atomic
def finding_approve(actor: Actor, pk, *, decision: str, note: str = "", now: dt.datetime | None = None) -> Finding:
    """The level above approves a deviation (it takes effect) or refuses it (the finding goes back to the inspector
    to decide again)."""
    now = now or timezone.now()
    finding = _locked(actor, pk)
    if actor.role != Role.UNIT_ADMIN or not actor.covers(finding.department):
        raise Forbidden("只有执法部门负责人（单位管理员）可以审批", code="approve_not_permitted")
    if finding.state != FindingState.PENDING_APPROVAL:
        raise Conflict("该检查发现没有待审批的处理决定", code="not_pending")
    if decision not in ("approve", "reject"):
        raise Invalid("审批结论须为“批准”或“不批准”", code="invalid_decision", field="decision")
    note = clean_text(note, "note", limit=200, required=decision == "reject", label="审批意见")
    finding.approved_by, finding.approved_at, finding.approval_note = actor.user, now, note
    _note(
        finding,
        NoteKind.APPROVAL,
        ("批准" if decision == "approve" else "不批准") + (f"：{note}" if note else ""),
        actor,
        now,
    )
    if decision == "approve":
        finding.approval = Approval.APPROVED
        _take_effect(finding, actor, now)
    else:
        finding.approval = Approval.REJECTED
        finding.state = FindingState.DRAFT
        finding.decision, finding.item, finding.deviation = "", None, False
        finding.fine_imposed = finding.fine_standard = Decimal(0)
        finding.answers = {k: v for k, v in finding.answers.items() if k != "_order"}
        finding.save()
    return finding


@transaction.atomic
def order_report(actor: Actor, pk, *, report: str, now: dt.datetime | None = None) -> Finding:
    """The enterprise reports that it has corrected (what it did); the inspector re-checks."""
    now = now or timezone.now()
    finding = _locked(actor, pk)
    if not selectors.is_own_enterprise(actor, finding):
        raise Forbidden("只有被检查企业可以报告改正情况", code="report_not_permitted")
    if finding.state != FindingState.ORDERED:
        raise Conflict("该事项当前不需要报告改正", code="not_ordered")
    text = clean_text(report, "report", limit=TEXT_MAX, required=True, label="改正情况")
    order = finding.order
    order.state, order.reported_at, order.report = OrderState.REPORTED, now, text
    order.save(update_fields=["state", "reported_at", "report"])
    finding.state = FindingState.REPORTED
    finding.save(update_fields=["state"])
    _note(finding, NoteKind.REPORT, text, actor, now)
    return finding


@transaction.atomic
def finding_reply(actor: Actor, pk, *, text: str, now: dt.datetime | None = None) -> FindingNote:
    """The enterprise answers a finding (陈述、申辩, a question) — recorded on it, at any stage."""
    now = now or timezone.now()
    finding = _locked(actor, pk)
    if not selectors.is_own_enterprise(actor, finding):
        raise Forbidden("只有被检查企业可以回复", code="reply_not_permitted")
    body = clean_text(text, "text", limit=TEXT_MAX, required=True, label="回复内容")
    return FindingNote.objects.create(
        finding=finding, kind=NoteKind.REPLY, text=body, author=actor.user, author_label=actor.label, created_at=now
    )


@transaction.atomic
def finding_recheck(
    actor: Actor, pk, *, corrected, rechecked_on=None, note: str = "", now: dt.datetime | None = None
) -> Finding:
    """The re-check (复查). Corrected within the ordered period (the enterprise's report, or the re-check itself, on
    or before the deadline) closes the matter; not corrected, or corrected late, reopens it for ordinary handling
    (the condition 在责令改正期限内改正 failed)."""
    now = now or timezone.now()
    finding = _locked(actor, pk)
    if not selectors.can_record(actor) or not actor.covers(finding.department):
        raise Forbidden("只有本部门的执法人员可以复查", code="recheck_not_permitted")
    if finding.state not in (FindingState.ORDERED, FindingState.REPORTED):
        raise Conflict("该检查发现没有待复查的责令改正", code="not_ordered")
    day = clean_date(rechecked_on, "rechecked_on") if rechecked_on else _today(now)
    order = finding.order
    if day < order.ordered_on:
        raise Invalid("复查日期不能早于责令改正日期", code="dates_reversed", field="rechecked_on")
    if day > _today(now):
        raise Invalid("复查日期不能晚于今天", code="date_in_future", field="rechecked_on")
    is_corrected = corrected in (True, "1", "true", "yes", "on", 1)
    corrected_on = timezone.localtime(order.reported_at).date() if order.reported_at else day
    in_time = is_corrected and corrected_on <= order.due_on
    order.rechecked_on, order.rechecked_by = day, actor.user
    order.recheck_note = clean_text(note, "note", limit=200, label="复查意见")
    order.state = OrderState.CORRECTED if in_time else OrderState.NOT_CORRECTED
    order.save()
    finding.state = FindingState.CLOSED if in_time else FindingState.REOPENED
    finding.save(update_fields=["state"])
    verdict = (
        "复查：已在期限内改正，结案"
        if in_time
        else ("复查：逾期改正，转一般程序" if is_corrected else "复查：未改正，转一般程序")
    )
    _note(finding, NoteKind.RECHECK, verdict + (f"。{order.recheck_note}" if order.recheck_note else ""), actor, now)
    return finding


@transaction.atomic
def inspection_raise_case(
    actor: Actor,
    inspection_pk,
    *,
    category: str,
    description: str,
    kind: str = Kind.COMPLAINT,
    now: dt.datetime | None = None,
):
    """The enterprise raises a 吹哨 case about an inspection (多头检查, repeated inspections, conduct …) through the
    case service; the case names the inspection (`external_ref`) and the inspection lists the case."""
    inspection = selectors.inspection_get(actor, inspection_pk, for_update=True)
    if not selectors.is_own_enterprise(actor, inspection):
        raise Forbidden("只有被检查企业可以就检查提出诉求", code="case_not_permitted")
    text = clean_text(description, "description", limit=TEXT_MAX, required=True, label="诉求内容")
    context = f"\n\n（关于{inspection.inspected_on:%Y年%-m月%-d日}{inspection.department.name}的行政检查：{inspection.subject}）"
    case, _ = case_submit(
        actor,
        kind=kind,
        category=category,
        title=text.splitlines()[0][:30],
        description=text + context,
        enterprise=inspection.enterprise,
        external_ref=f"{CASE_REF_PREFIX}{inspection.pk}",
        now=now,
    )
    InspectionCase.objects.create(inspection=inspection, case=case)
    return case


def missing_finding(pk):
    raise NotFound("检查发现不存在或不在您的权限范围内")
