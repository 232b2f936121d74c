"""Every read of 不罚/轻罚, scoped to the actor.

Who sees which inspections: an inspector those of their department (its subtree); a unit administrator those of
their unit; a coordinator or leader those in their territory (the enterprise's county, or the department, in their
subtree); the enterprise its own; auditors and system administrators all; a handler none. Outside scope is "not
found". The lists themselves are public documents: every signed-in role reads them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Greatest
from django.utils import timezone

from whistle.core.errors import NotFound
from whistle.core.figures import percent
from whistle.core.months import add_months
from whistle.core.rules import int_param
from whistle.enterprises.models import Enterprise
from whistle.org.models import Role, Unit
from whistle.org.scopes import READ_ALL_ROLES, Actor

from . import matching
from .models import (
    Approval,
    Condition,
    ConditionCheck,
    CorrectionOrder,
    Decision,
    Finding,
    FindingState,
    Inspection,
    ItemFlag,
    LegalityReview,
    ListItem,
    ListLevel,
    ListVersion,
    OrderState,
)

FIGURE_ROLES = {Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN, Role.UNIT_ADMIN, Role.INSPECTOR}
LIST_MANAGERS = {Role.SYSADMIN}
TERRITORY_ROLES = {Role.COORDINATOR, Role.LEADER}


def function_of(unit: Unit | None) -> str:
    """The function part of a unit code (`caoxian-scjg` → `scjg`): which fields a department enforces in."""
    if unit is None or "-" not in unit.code:
        return ""
    return unit.code.split("-", 1)[1]


# ---- scope ------------------------------------------------------------------------------------------------------


def inspection_scope_q(actor: Actor, prefix: str = "") -> Q:
    """The inspections (or, with `prefix=""` on findings, the findings — both carry department, county and
    enterprise) an actor may see."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role == Role.ENTERPRISE and actor.enterprise_id:
        return Q(**{f"{prefix}enterprise_id": actor.enterprise_id})
    root = actor.scope_root
    if root is None:
        return Q(pk__in=[])
    # The units of the subtree as a subquery on ids, not a join on paths: the month's figures then stay an
    # index-only scan of (inspected_on, department) INCLUDE (county …) with a hashed subplan as the filter, where
    # the join on two aliases of org_unit with an OR of LIKEs read every row of the month through two hash joins.
    subtree = Unit.objects.filter(path__startswith=root.path).values("pk")
    if actor.role in (Role.INSPECTOR, Role.UNIT_ADMIN):
        return Q(**{f"{prefix}department_id__in": subtree})
    if actor.role in TERRITORY_ROLES:
        if actor.sees_all:
            return Q()
        return Q(**{f"{prefix}county_id__in": subtree}) | Q(**{f"{prefix}department_id__in": subtree})
    return Q(pk__in=[])


def inspection_list(actor: Actor, *, month: dt.date | None = None, enterprise: int | None = None) -> QuerySet:
    qs = Inspection.objects.filter(inspection_scope_q(actor)).select_related("department", "enterprise", "county")
    if month is not None:
        qs = qs.filter(inspected_on__gte=month, inspected_on__lt=add_months(month, 1))
    if enterprise is not None:
        qs = qs.filter(enterprise_id=enterprise)
    return qs.annotate(finding_count=Count("findings"))


def inspection_get(actor: Actor, pk, *, for_update: bool = False) -> Inspection:
    qs = Inspection.objects.filter(inspection_scope_q(actor)).select_related(
        "department", "enterprise", "county", "inspector"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    inspection = qs.filter(pk=pk).first() if str(pk).isdigit() else None
    if inspection is None:
        raise NotFound("检查记录不存在或不在您的权限范围内")
    return inspection


def finding_list(actor: Actor, *, state: str | None = None) -> QuerySet:
    qs = Finding.objects.filter(inspection_scope_q(actor)).select_related(
        "enterprise", "department", "item", "order", "inspection"
    )
    if state:
        qs = qs.filter(state__in=state.split(","))
    return qs


def finding_get(actor: Actor, pk, *, for_update: bool = False) -> Finding:
    qs = Finding.objects.filter(inspection_scope_q(actor)).select_related(
        "inspection",
        "inspection__inspector",
        "enterprise",
        "department",
        "county",
        "item",
        "item__field",
        "suggested_item",
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    finding = qs.filter(pk=pk).first() if str(pk).isdigit() else None
    if finding is None:
        raise NotFound("检查发现不存在或不在您的权限范围内")
    return finding


def order_of(finding: Finding) -> CorrectionOrder | None:
    try:
        return finding.order
    except CorrectionOrder.DoesNotExist:
        return None


def can_record(actor: Actor) -> bool:
    return actor.role == Role.INSPECTOR and actor.unit is not None


def can_decide(actor: Actor, finding: Finding) -> bool:
    return can_record(actor) and finding.state == FindingState.DRAFT and actor.covers(finding.department)


def can_approve(actor: Actor, finding: Finding) -> bool:
    """The level above the inspector: the administrator (负责人) of the department, or of a unit above it."""
    return (
        actor.role == Role.UNIT_ADMIN
        and finding.state == FindingState.PENDING_APPROVAL
        and actor.scope_root is not None
        and actor.covers(finding.department)
    )


def can_recheck(actor: Actor, finding: Finding) -> bool:
    return (
        can_record(actor)
        and finding.state in (FindingState.ORDERED, FindingState.REPORTED)
        and actor.covers(finding.department)
    )


def is_own_enterprise(actor: Actor, finding_or_inspection) -> bool:
    return actor.role == Role.ENTERPRISE and actor.enterprise_id == finding_or_inspection.enterprise_id


def can_report(actor: Actor, finding: Finding) -> bool:
    return is_own_enterprise(actor, finding) and finding.state == FindingState.ORDERED


def enterprises_for(actor: Actor) -> QuerySet:
    """The enterprises an inspector may inspect: those of the county their department serves (its county), or any
    for a city department."""
    qs = Enterprise.objects.select_related("county").order_by("name")
    unit = actor.unit
    if unit is None:
        return qs.none()
    if unit.county_id:
        return qs.filter(county_id=unit.county_id)
    return qs


# ---- lists and versions -----------------------------------------------------------------------------------------


def version_list() -> QuerySet:
    return ListVersion.objects.select_related("region").annotate(
        item_count=Count("items", distinct=True), field_count=Count("fields", distinct=True)
    )


def version_get(pk) -> ListVersion:
    version = (
        ListVersion.objects.select_related("region", "replaces").filter(pk=pk).first() if str(pk).isdigit() else None
    )
    if version is None:
        raise NotFound("清单版本不存在")
    return version


def item_get(pk) -> ListItem:
    item = (
        ListItem.objects.select_related("version", "field").prefetch_related("conditions").filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if item is None:
        raise NotFound("清单事项不存在")
    return item


# The lists as matching reads them, cached per process: the approved versions (one statement) and, per set of
# versions in force, their items with fields and conditions, the items' word sets and the words' idf weights. A
# version is frozen once its legality review is recorded (`services.check_editable`), so the items of reviewed
# versions do not change; which versions are approved does, with each review. The caches are cleared on any save of a
# version, review, field, item or condition in this process (signals.py) and re-read after the TTL in the others,
# as rule parameters are (`core.rules`).
_LISTS_TTL_SECONDS = 30.0
_approved: list = []  # [loaded_at, versions]
_lists: dict[tuple[int, ...], tuple[float, list[matching.Candidate], dict[str, float], dict[int, ListItem]]] = {}


def clear_lists_cache() -> None:
    _approved.clear()
    _lists.clear()


def _approved_versions() -> list[ListVersion]:
    """Every version whose latest legality review approved it, the latest to take effect first."""
    if _approved and time.monotonic() - _approved[0] < _LISTS_TTL_SECONDS:
        return _approved[1]
    latest = LegalityReview.objects.filter(version=OuterRef("pk")).order_by("-reviewed_at", "-pk").values("approved")
    versions = list(
        ListVersion.objects.annotate(in_force=Subquery(latest[:1]))
        .filter(in_force=True)
        .select_related("region")
        .order_by("-effective_from", "-pk")
    )
    _approved[:] = [time.monotonic(), versions]
    return versions


def versions_in_force(day: dt.date, county: Unit) -> list[ListVersion]:
    """The versions that apply to a finding of `day` in `county`: the province version in force that day (the
    latest to take effect), and every city or county addition in force that day whose region covers the county.
    Only versions whose latest legality review approved them apply."""
    chosen, province = [], None
    for version in _approved_versions():
        if version.effective_from > day or (version.effective_to is not None and version.effective_to <= day):
            continue
        if version.level == ListLevel.PROVINCE:
            if province is None:
                province = version
                chosen.insert(0, version)
        elif county.path.startswith(version.region.path):
            chosen.append(version)
    return chosen


def _lists_of(versions: list[ListVersion]) -> tuple[list[matching.Candidate], dict[str, float], dict[int, ListItem]]:
    """The items of `versions` as match candidates, the words' idf weights over them, and the items by id."""
    key = tuple(v.pk for v in versions)
    if not key:
        return [], {}, {}
    cached = _lists.get(key)
    if cached is not None and time.monotonic() - cached[0] < _LISTS_TTL_SECONDS:
        return cached[1], cached[2], cached[3]
    items = {
        i.pk: i
        for i in ListItem.objects.filter(version__in=key)
        .select_related("field", "version")
        .prefetch_related("conditions")
        .order_by("pk")
    }
    candidates = [
        matching.Candidate(
            i.pk,
            frozenset(i.words.split()),
            frozenset(f.strip() for f in (i.field.functions or "").replace("，", ",").split(",") if f.strip()),
        )
        for i in items.values()
    ]
    weights = matching.idf(candidates)
    _lists[key] = (time.monotonic(), candidates, weights, items)
    return candidates, weights, items


# ---- conditions --------------------------------------------------------------------------------------------------


def prior_findings(enterprise_id: int, day: dt.date, *, exclude: int | None = None) -> QuerySet:
    """The enterprise's earlier violations within the look-back period (`leniency.first_offence_lookback_months`):
    findings of any department before `day`, not counting one decided as a mistake (there is no such state) —
    every recorded violation counts, whatever was decided."""
    months = int_param("leniency.first_offence_lookback_months")
    since = add_months(day.replace(day=1), -months).replace(day=min(day.day, 28))
    qs = Finding.objects.filter(enterprise_id=enterprise_id, inspected_on__lt=day, inspected_on__gte=since).exclude(
        state=FindingState.DRAFT
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs


def enterprise_history(finding: Finding) -> list[tuple]:
    """The enterprise's earlier violations in the look-back, latest first, as (day, department, field of the item
    applied, field of the item suggested): one query, from which every suggested item's 首次违法 is judged."""
    return list(
        prior_findings(finding.enterprise_id, finding.inspected_on, exclude=finding.pk)
        .order_by("-inspected_on", "-pk")
        .values_list("inspected_on", "department_id", "item__field__name", "suggested_item__field__name")
    )


def check_conditions(item: ListItem, finding: Finding, answers: dict | None = None, history=None) -> list[dict]:
    """Each condition of the item with how it stands for this finding: True (holds), False (fails) or None (to be
    confirmed: an on-site answer not given yet, or a re-check still to come).

    - history (首次违法): no earlier finding of the enterprise of the same kind (same field, or by the same
      department) within the look-back — a first offence is the first of its kind (行政处罚法 art. 33);
    - answer: what the inspector confirmed on site (`answers[code]`);
    - follow_up (在责令改正期限内改正): open until the re-check.

    `history`: `enterprise_history(finding)` when the caller checks several items (read once, not per item).
    """
    answers = finding.answers if answers is None else answers
    out = []
    for condition in item.conditions.all():
        if condition.method == ConditionCheck.HISTORY:
            # 同类: a violation in the same field (by the item applied or suggested), or found by the same department.
            if history is None:
                history = enterprise_history(finding)
            field = item.field.name
            first = next(
                (
                    day
                    for day, department, applied, suggested in history
                    if field in (applied, suggested) or department == finding.department_id
                ),
                None,
            )
            holds = first is None
            detail = "近期无同类违法记录" if holds else f"{first:%Y年%-m月%-d日}已有同类违法记录"
        elif condition.method == ConditionCheck.ANSWER:
            value = answers.get(condition.code)
            holds = None if value is None else bool(value)
            detail = condition.question or condition.label
        else:
            holds = None
            detail = "复查时核验"
        out.append(
            {
                "code": condition.code,
                "label": condition.label,
                "check": condition.method,
                "holds": holds,
                "detail": detail,
            }
        )
    return out


def conditions_allow(checks: list[dict]) -> bool:
    """The item may be applied now: nothing fails, and every on-site answer is given (a follow-up condition is
    checked at the re-check, where a failure reopens the matter)."""
    return all(c["holds"] is True or (c["holds"] is None and c["check"] == ConditionCheck.FOLLOW_UP) for c in checks)


def suggest(
    text: str,
    *,
    department: Unit | None,
    county: Unit,
    day: dt.date,
    finding: Finding | None = None,
    answers: dict | None = None,
    limit: int = 5,
) -> list[dict]:
    """The items of the lists in force that the finding's text matches, best first, each with its condition checks
    (against the enterprise's history when the finding is known)."""
    candidates, weights, items = _lists_of(versions_in_force(day, county))
    matches = matching.rank(matching.words(text), function_of(department), candidates, weights, limit)
    history = None
    if finding is not None and any(
        c.method == ConditionCheck.HISTORY for m in matches for c in items[m.item_id].conditions.all()
    ):
        history = enterprise_history(finding)  # once for the five items, not once per item
    out = []
    for m in matches:
        item = items[m.item_id]
        checks = (
            check_conditions(item, finding, answers, history)
            if finding is not None
            else [
                {"code": c.code, "label": c.label, "check": c.method, "holds": None, "detail": c.question or c.label}
                for c in item.conditions.all()
            ]
        )
        out.append(
            {
                "item": item,
                "score": m.score,
                "shared": m.shared,
                "in_field": m.in_field,
                "checks": checks,
                "applicable": conditions_allow(checks),
            }
        )
    return out


def suggestions_for(finding: Finding, answers: dict | None = None) -> list[dict]:
    return suggest(
        finding.description,
        department=finding.department,
        county=finding.county,
        day=finding.inspected_on,
        finding=finding,
        answers=answers,
    )


def conditions_catalogue() -> QuerySet:
    return Condition.objects.all()


# ---- diff ------------------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in "，。；、,.;：:“”\"'（）()")


def version_diff(old: ListVersion, new: ListVersion) -> dict:
    """What changed from `old` to `new`, item by item, matched on the violation's text (numbers are renumbered
    between versions): added, removed, and changed (treatment, conditions, legal basis, range, field)."""

    def load(version):
        return {
            _key(i.violation): i
            for i in ListItem.objects.filter(version=version).select_related("field").prefetch_related("conditions")
        }

    before, after = load(old), load(new)
    changed = []
    for key in before.keys() & after.keys():
        a, b = before[key], after[key]
        what = []
        if a.treatment != b.treatment:
            what.append(f"处理方式：{a.get_treatment_display()} → {b.get_treatment_display()}")
        ca, cb = {c.label for c in a.conditions.all()}, {c.label for c in b.conditions.all()}
        if ca != cb:
            what.append(f"适用条件：{'、'.join(sorted(ca)) or '无'} → {'、'.join(sorted(cb)) or '无'}")
        if _key(a.legal_basis) != _key(b.legal_basis):
            what.append("法定依据有变化")
        if (a.fine_min, a.fine_max) != (b.fine_min, b.fine_max):
            what.append(f"罚款幅度：{a.fine_min or '—'}–{a.fine_max or '—'} → {b.fine_min or '—'}–{b.fine_max or '—'}")
        if a.field.name != b.field.name:
            what.append(f"领域：{a.field.name} → {b.field.name}")
        if what:
            changed.append({"old": a, "new": b, "what": what})
    order = lambda i: (i.field.order, i.pk)  # noqa: E731
    return {
        "old": old,
        "new": new,
        "added": sorted((after[k] for k in after.keys() - before.keys()), key=order),
        "removed": sorted((before[k] for k in before.keys() - after.keys()), key=order),
        "changed": sorted(changed, key=lambda c: order(c["new"])),
        "same": len(before.keys() & after.keys()) - len(changed),
    }


# ---- figures ---------------------------------------------------------------------------------------------------


def _month_q(month: dt.date) -> Q:
    return Q(inspected_on__gte=month, inspected_on__lt=add_months(month, 1))


def monthly_figures(actor: Actor, month: dt.date) -> dict:
    """Per department for one month: inspections, findings, 不罚 and 轻罚 decisions, ordinary punishments, amounts not
    imposed, orders corrected in time / not, deviations; plus the totals. One GROUP BY over findings and one over
    inspections."""
    scope = inspection_scope_q(actor)
    by_finding = (
        Finding.objects.filter(scope, _month_q(month))
        .values("department_id")
        .annotate(
            findings=Count("pk"),
            no_penalty=Count("pk", filter=Q(decision=Decision.NO_PENALTY)),
            light_penalty=Count("pk", filter=Q(decision=Decision.LIGHT_PENALTY)),
            ordinary=Count("pk", filter=Q(decision=Decision.ORDINARY)),
            not_imposed=Sum(
                Greatest(F("fine_standard") - F("fine_imposed"), Decimal(0)),
                filter=~Q(decision=""),
                default=Decimal(0),
            ),
            corrected=Count("pk", filter=Q(state=FindingState.CLOSED)),
            reopened=Count("pk", filter=Q(state=FindingState.REOPENED)),
            deviations=Count("pk", filter=Q(deviation=True)),
            deviations_approved=Count("pk", filter=Q(deviation=True, approval=Approval.APPROVED)),
        )
    )
    by_inspection = (
        Inspection.objects.filter(scope, _month_q(month)).values("department_id").annotate(inspections=Count("pk"))
    )
    rows: dict[int, dict] = {}
    for r in by_finding:
        rows[r["department_id"]] = {**r, "inspections": 0}
    for r in by_inspection:
        rows.setdefault(r["department_id"], {"department_id": r["department_id"]})["inspections"] = r["inspections"]
    zero = dict(
        findings=0,
        no_penalty=0,
        light_penalty=0,
        ordinary=0,
        not_imposed=Decimal(0),
        corrected=0,
        reopened=0,
        deviations=0,
        deviations_approved=0,
        inspections=0,
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in=rows)}
    out = []
    for pk, r in rows.items():
        row = {**zero, **r, "unit": units[pk]}
        row["corrected_rate"] = percent(row["corrected"], row["corrected"] + row["reopened"])
        out.append(row)
    out.sort(key=lambda r: (-r["inspections"], r["unit"].path))
    totals = {k: sum(r[k] for r in out) for k in zero}
    totals["corrected_rate"] = percent(totals["corrected"], totals["corrected"] + totals["reopened"])
    totals["departments"] = len(out)
    return {"month": month, "rows": out, "totals": totals}


def deviation_reasons(actor: Actor, month: dt.date, limit: int = 50) -> list[Finding]:
    return list(
        Finding.objects.filter(inspection_scope_q(actor), _month_q(month), deviation=True)
        .select_related("department", "enterprise", "suggested_item", "item")
        .order_by("-inspected_on", "-pk")[:limit]
    )


def _repeated(actor: Actor, month: dt.date) -> list[dict]:
    """The enterprises of `repeated_inspections` with their counts, at most 200 (one GROUP BY, from the index)."""
    least = int_param("leniency.repeat_departments_min")
    hits = (
        Inspection.objects.filter(inspection_scope_q(actor), _month_q(month))
        .values("enterprise_id")
        .annotate(departments=Count("department_id", distinct=True), inspections=Count("pk"))
        .filter(departments__gte=least)
        .order_by("-departments", "-inspections", "enterprise_id")
    )
    return list(hits[:200])


def repeated_inspections(actor: Actor, month: dt.date) -> list[dict]:
    """Enterprises inspected in the month by at least `leniency.repeat_departments_min` different departments (the
    "清风护航" concern: 多头检查、重复检查), with the departments and days."""
    hits = _repeated(actor, month)
    visits = list(
        Inspection.objects.filter(
            inspection_scope_q(actor), _month_q(month), enterprise_id__in=[h["enterprise_id"] for h in hits]
        )
        .only("pk", "enterprise_id", "department_id", "inspected_on", "subject")
        .order_by("inspected_on", "pk")
    )
    # A few dozen departments shared by thousands of visits: one Unit each, not one per row (select_related).
    units = Unit.objects.in_bulk({v.department_id for v in visits})
    detail: dict[int, list] = {}
    for v in visits:
        v.department = units[v.department_id]
        detail.setdefault(v.enterprise_id, []).append(v)
    names = dict(Enterprise.objects.filter(pk__in=detail).values_list("pk", "name"))
    return [
        {**h, "name": names.get(h["enterprise_id"], ""), "visits": detail.get(h["enterprise_id"], [])} for h in hits
    ]


def cockpit_summary(actor: Actor, month: dt.date) -> dict | None:
    """The leader's cockpit section: the month's figures in a line, the repeated inspections, the link to the rest.
    None for a role that sees no figures."""
    if not (actor.is_system or actor.role in FIGURE_ROLES):
        return None
    figures = monthly_figures(actor, month)
    totals = figures["totals"]
    return {
        "month": month,
        "totals": totals,
        "repeated": len(_repeated(actor, month)),
        "pending_approval": Finding.objects.filter(
            inspection_scope_q(actor), state=FindingState.PENDING_APPROVAL
        ).count(),
        "overdue_orders": CorrectionOrder.objects.filter(
            finding__in=Finding.objects.filter(inspection_scope_q(actor)),
            state=OrderState.OPEN,
            due_on__lt=timezone.localdate(),
        ).count(),
    }


def inbox(actor: Actor) -> dict:
    """What waits for the actor: an inspector's drafts and re-checks due, an administrator's approvals, an
    enterprise's open orders."""
    findings = finding_list(actor)
    if actor.role == Role.ENTERPRISE:
        return {
            "orders": findings.filter(state__in=[FindingState.ORDERED, FindingState.REPORTED]).order_by("order__due_on")
        }
    if actor.role == Role.UNIT_ADMIN:
        return {"approvals": findings.filter(state=FindingState.PENDING_APPROVAL)}
    return {
        "drafts": findings.filter(state=FindingState.DRAFT),
        "rechecks": findings.filter(state__in=[FindingState.ORDERED, FindingState.REPORTED]).order_by("order__due_on"),
    }


def item_flags(year: int | None = None) -> QuerySet:
    qs = ItemFlag.objects.select_related("item", "item__version", "item__field")
    return qs.filter(year=year) if year else qs


def history_counter(findings) -> Counter:
    return Counter(f.state for f in findings)
