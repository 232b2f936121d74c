"""Every write of accountability: the worker's proposals (found by `evaluation.evaluate_rules`), a coordinator's
decision on a proposal, then the action as it took place."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from whistle.core import inputs
from whistle.core.errors import Conflict, Invalid, NotFound
from whistle.org.models import Role, Unit
from whistle.org.scopes import Actor
from whistle.ratings.models import Cadre, Window

from .models import AccountabilityAction, ActionKind, Proposal, ProposalState, Rule, Subject

DECISIONS = {"confirm": ProposalState.CONFIRMED, "dismiss": ProposalState.DISMISSED}
RECORDABLE = {ActionKind.ADMONITION, ActionKind.CIRCULAR, ActionKind.REASSIGNMENT, ActionKind.REFERRAL}
MANUAL_RULE = "manual"  # the Rule row (kind manual, from migration 0006) a proposal raised by hand cites


def _locked_proposal(actor: Actor, proposal_id) -> Proposal:
    """Only a coordinator over the subject's unit decides; anyone else finds nothing (404, like a missing one)."""
    proposal = None
    if isinstance(proposal_id, int) and 0 < proposal_id < 2**63:
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None or actor.role != Role.COORDINATOR or not actor.covers(proposal.unit):
        raise NotFound("问责建议不存在", code="proposal_not_found")
    return proposal


def proposal_decide(
    actor: Actor, proposal_id: int, decision: str, reason: str, now: dt.datetime | None = None
) -> Proposal:
    """确认 or 不予问责, always with a reason; a decided proposal is not decided again."""
    with transaction.atomic():
        proposal = _locked_proposal(actor, proposal_id)
        if decision not in DECISIONS:
            raise Invalid(
                "处理结论须为 confirm（确认）或 dismiss（不予问责）", code="invalid_decision", field="decision"
            )
        reason = inputs.text(reason, "reason", label="理由", limit=500)
        if proposal.state != ProposalState.PENDING:
            raise Conflict(f"该建议已{proposal.get_state_display()}，不能重复处理", code="proposal_already_decided")
        proposal.state, proposal.decided_by, proposal.decision_reason = DECISIONS[decision], actor.user, reason
        proposal.decided_at = now or timezone.now()
        proposal.save()
    return proposal


def _date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid("日期格式应为 YYYY-MM-DD", code=f"invalid_{field}", field=field) from None
    if not isinstance(value, dt.date):
        raise Invalid("请填写日期", code=f"{field}_required", field=field)
    return value


def action_record(
    actor: Actor,
    proposal_id: int,
    *,
    kind: str,
    held_on,
    participants: str,
    outcome: str,
    now: dt.datetime | None = None,
) -> AccountabilityAction:
    """约谈 / 通报 / 调整 as it happened, on a confirmed proposal: date (not in the future), participants, outcome."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = _locked_proposal(actor, proposal_id)
        if kind not in RECORDABLE:
            raise Invalid(
                "措施须为 admonition（约谈）、circular（通报）、reassignment（调整）或 referral（移送纪检监察）",
                code="invalid_kind",
                field="kind",
            )
        held_on = _date(held_on, "held_on")
        if held_on > timezone.localtime(now).date():
            raise Invalid("日期不能晚于今天", code="held_on_in_future", field="held_on")
        participants = inputs.text(participants, "participants", label="参加人员", limit=300)
        outcome = inputs.text(outcome, "outcome", label="结果", limit=2000)
        if proposal.state != ProposalState.CONFIRMED:
            raise Conflict("只有已确认的问责建议才能登记措施", code="proposal_not_confirmed")
        return AccountabilityAction.objects.create(
            proposal=proposal,
            kind=kind,
            held_on=held_on,
            participants=participants,
            outcome=outcome,
            recorded_by=actor.user,
            recorded_at=now,
        )


SUBJECT_MODEL = {Subject.CADRE: Cadre, Subject.WINDOW: Window, Subject.UNIT: Unit}


def proposal_create(rule: Rule, hit: dict, now: dt.datetime) -> int:
    """Store what a rule found (`hit`: subject, id, summary, evidence, key) as a pending proposal; 1 if new, 0 if the
    same evidence is already proposed (unique per rule and evidence, so the worker never proposes twice)."""
    subject, subject_id = hit["subject"], hit["id"]
    target = SUBJECT_MODEL[subject].objects.get(pk=subject_id)
    unit = target if subject == Subject.UNIT else target.unit
    try:
        with transaction.atomic():
            Proposal.objects.create(
                rule=rule,
                action=rule.action,
                subject=subject,
                unit=unit,
                cadre=target if subject == Subject.CADRE else None,
                window=target if subject == Subject.WINDOW else None,
                summary=hit["summary"][:300],
                evidence=hit["evidence"],
                evidence_key=hit["key"][:200],
                created_at=now,
            )
    except IntegrityError:  # another worker stored the same evidence a moment ago
        return 0
    return 1


def rule_evaluated(rule: Rule, now: dt.datetime) -> None:
    """The rule ran at `now`: the next run waits its `every_minutes`."""
    Rule.objects.filter(pk=rule.pk).update(evaluated_at=now)


# ---- proposals found by another app's worker (reforms: repeated red lights) --------------------------------------


def rule_numbers(rule_code: str) -> tuple[int, int] | None:
    """(months, threshold) of an active rule, for an app that evaluates the rule itself; None when inactive."""
    rule = Rule.objects.filter(code=rule_code, is_active=True).values_list("months", "threshold").first()
    return tuple(rule) if rule else None


def proposal_raise(
    rule_code: str, *, unit, summary: str, evidence: dict, evidence_key: str, now: dt.datetime | None = None
) -> Proposal | None:
    """A proposal against a unit that another app's rule found (reforms: repeated red lights; indicators: repeated
    warning letters), under the rule row `rule_code` (its action, its on/off), with what it rests on as evidence: the
    same evidence key never proposes twice, so the caller's job can run any number of times. None when the rule is
    inactive or the key is known."""
    rule = Rule.objects.filter(code=rule_code, is_active=True).first()
    if rule is None:
        return None
    try:
        with transaction.atomic():
            return Proposal.objects.create(
                rule=rule,
                action=rule.action,
                subject=Subject.UNIT,
                unit=unit,
                summary=summary[:300],
                evidence=evidence,
                evidence_key=evidence_key[:200],
                created_at=now or timezone.now(),
            )
    except IntegrityError:  # proposed before, or by another worker a moment ago
        return None


def proposals_raise(rule_code: str, found: list[dict], now: dt.datetime | None = None) -> int:
    """`proposal_raise` for many units at once (reforms: a backlog of repeated red lights): `found` holds
    {unit, summary, evidence, evidence_key}. The same rules — the rule row's action and on/off, one proposal per
    evidence key — with the rule read once, the keys already proposed left out in one query and the rest written in
    one INSERT (a key another worker wrote a moment ago is skipped by the unique constraint). Returns how many were
    new."""
    rule = Rule.objects.filter(code=rule_code, is_active=True).first()
    if rule is None or not found:
        return 0
    now = now or timezone.now()
    wanted = {f["evidence_key"][:200]: f for f in found}  # one per key, as one at a time would have written
    known = set()
    keys = list(wanted)
    for i in range(0, len(keys), 500):
        known.update(
            Proposal.objects.filter(rule=rule, evidence_key__in=keys[i : i + 500]).values_list(
                "evidence_key", flat=True
            )
        )
    rows = [
        Proposal(
            rule=rule,
            action=rule.action,
            subject=Subject.UNIT,
            unit=f["unit"],
            summary=f["summary"][:300],
            evidence=f["evidence"],
            evidence_key=key,
            created_at=now,
        )
        for key, f in wanted.items()
        if key not in known
    ]
    with transaction.atomic():
        Proposal.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def _subject_target(subject, subject_id):
    from whistle.org.models import Unit
    from whistle.ratings.models import Cadre, Window

    model = {Subject.CADRE: Cadre, Subject.WINDOW: Window, Subject.UNIT: Unit}.get(subject)
    if model is None:
        raise Invalid(
            "对象类型须为 cadre（干部）、window（窗口）或 unit（单位）", code="invalid_subject", field="subject"
        )
    if isinstance(subject_id, str) and subject_id.isascii() and subject_id.isdecimal():
        subject_id = int(subject_id)
    target = None
    if isinstance(subject_id, int) and not isinstance(subject_id, bool) and 0 < subject_id < 2**63:
        target = model.objects.filter(pk=subject_id, is_active=True).first()
    return target


def proposal_raise_by_hand(
    actor: Actor,
    *,
    subject: str,
    subject_id,
    action: str,
    summary: str,
    evidence: str,
    now: dt.datetime | None = None,
) -> Proposal:
    """A proposal raised by hand (rules.md §8.1: trigger = rule id plus evidence): a coordinator over the subject's
    unit names the action (most often 移送纪检监察), the matter and the evidence; it is then decided and recorded like
    any rule's proposal. It cites the `manual` rule, and its evidence is what the coordinator wrote."""
    now = now or timezone.now()
    if actor.role != Role.COORDINATOR:
        raise NotFound("对象不存在", code="subject_not_found", field="subject_id")
    target = _subject_target(subject, subject_id)
    unit = target if subject == Subject.UNIT else getattr(target, "unit", None)
    if target is None or not actor.covers(unit):
        raise NotFound("对象不存在", code="subject_not_found", field="subject_id")
    if action not in RECORDABLE:
        raise Invalid(
            "建议措施须为 admonition（约谈）、circular（通报）、reassignment（调整）或 referral（移送纪检监察）",
            code="invalid_action",
            field="action",
        )
    summary = inputs.text(summary, "summary", label="事由", limit=300)
    evidence = inputs.text(evidence, "evidence", label="依据", limit=2000)
    with transaction.atomic():
        rule = Rule.objects.get(code=MANUAL_RULE)
        proposal = Proposal(
            rule=rule,
            action=action,
            subject=subject,
            unit=unit,
            cadre=target if subject == Subject.CADRE else None,
            window=target if subject == Subject.WINDOW else None,
            summary=summary,
            evidence={"text": evidence, "raised_by": actor.label},
            created_at=now,
        )
        proposal.evidence_key = f"manual:{uuid.uuid4().hex}"
        proposal.save()
    return proposal
