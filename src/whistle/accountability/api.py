"""Thin HTTP over accountability: list the proposals in scope, decide one, record the action taken."""

from ninja import Field, Query, Router
from ninja.responses import Status

from whistle.core.errors import Invalid
from whistle.core.paging import PageFilter, page_of
from whistle.org.scopes import person_name

from . import selectors, services
from .models import AccountabilityAction, Proposal, ProposalState
from .schemas import ActionIn, ActionOut, DecisionIn, ProposalIn, ProposalOut, ProposalPage

router = Router(tags=["accountability"])


class ProposalFilter(PageFilter):
    state: str | None = Field(None, description="pending / confirmed / dismissed")


def action_out(a: AccountabilityAction) -> dict:
    return {
        "id": a.pk,
        "proposal": a.proposal_id,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "held_on": a.held_on,
        "participants": a.participants,
        "outcome": a.outcome,
        "recorded_by": person_name(a.recorded_by),
        "recorded_at": a.recorded_at,
    }


def proposal_out(p: Proposal) -> dict:
    return {
        "id": p.pk,
        "rule": p.rule.code,
        "action": p.action,
        "action_label": p.get_action_display(),
        "subject": p.subject,
        "subject_id": p.target.pk,
        "subject_name": p.subject_name,
        "unit": p.unit.code,
        "summary": p.summary,
        "evidence": p.evidence,
        "state": p.state,
        "state_label": p.get_state_display(),
        "created_at": p.created_at,
        "decided_at": p.decided_at,
        "decision_reason": p.decision_reason,
        "actions": [
            action_out(a) for a in p.actions.select_related("recorded_by__membership").order_by("held_on", "id")
        ],
    }


@router.get("/proposals", response=ProposalPage, summary="问责建议列表（按权限范围）")
def list_proposals(request, filters: Query[ProposalFilter]):
    if filters.state and filters.state not in ProposalState.values:
        raise Invalid("状态须为 pending、confirmed 或 dismissed", code="invalid_state", field="state")
    return page_of(selectors.proposal_list(request.actor, state=filters.state), filters, proposal_out)


@router.post("/proposals", response={201: ProposalOut}, summary="人工提出问责建议（附依据；如移送纪检监察）")
def raise_proposal(request, data: ProposalIn):
    """Only a coordinator over the subject's unit (404 otherwise, like a missing subject)."""
    proposal = services.proposal_raise_by_hand(request.actor, **data.dict())
    return Status(201, proposal_out(selectors.proposal_get(request.actor, proposal.pk)))


@router.get("/proposals/{proposal_id}", response=ProposalOut, summary="问责建议详情（含依据与记录）")
def get_proposal(request, proposal_id: int):
    return proposal_out(selectors.proposal_get(request.actor, proposal_id))


@router.post("/proposals/{proposal_id}/decision", response=ProposalOut, summary="确认或不予问责（须填理由）")
def decide(request, proposal_id: int, data: DecisionIn):
    """Only a coordinator over the subject's unit; 404 outside scope, 409 if already decided."""
    return proposal_out(services.proposal_decide(request.actor, proposal_id, data.decision, data.reason))


@router.post("/proposals/{proposal_id}/actions", response={201: ActionOut}, summary="登记约谈、通报或调整")
def record_action(request, proposal_id: int, data: ActionIn):
    """On a confirmed proposal only (409 otherwise): date (not in the future), participants, outcome."""
    action = services.action_record(
        request.actor,
        proposal_id,
        kind=data.kind,
        held_on=data.held_on,
        participants=data.participants,
        outcome=data.outcome,
    )
    return Status(201, action_out(action))


@router.get("/actions", response=list[ActionOut], summary="问责记录（按权限范围，最近200条）")
def list_actions(request):
    return [action_out(a) for a in selectors.action_list(request.actor)[:200]]
