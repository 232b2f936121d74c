"""Reads of accountability, always scoped: a coordinator, leader or unit administrator sees the proposals whose
subject lies in their subtree; auditors and system administrators see all."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from whistle.core.errors import NotFound
from whistle.org.models import Role
from whistle.org.scopes import READ_ALL_ROLES, Actor
from whistle.ratings.models import Cadre, Rating
from whistle.ratings.selectors import rating_summary

from .models import AccountabilityAction, Proposal, ProposalState, Rule

READ_ROLES = {Role.COORDINATOR, Role.LEADER, Role.UNIT_ADMIN, *READ_ALL_ROLES}


def _scope_q(actor: Actor, prefix: str = "") -> Q:
    if actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role not in READ_ROLES:
        return Q(pk__in=[])
    return actor.subtree_q(f"{prefix}unit")


def proposal_list(actor: Actor, *, state: str | None = None) -> QuerySet[Proposal]:
    qs = Proposal.objects.filter(_scope_q(actor)).select_related(
        "rule", "unit", "cadre", "window", "decided_by__membership"
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def proposal_get(actor: Actor, proposal_id: int) -> Proposal:
    in_range = isinstance(proposal_id, int) and 0 < proposal_id < 2**63
    proposal = proposal_list(actor).filter(pk=proposal_id).first() if in_range else None
    if proposal is None:
        raise NotFound("问责建议不存在", code="proposal_not_found")
    return proposal


def proposals_page(actor: Actor, state: str) -> dict:
    """The proposals page: the proposals in one state (or "all"), the latest actions, the rules in force."""
    if state not in ProposalState.values and state != "all":
        state = ProposalState.PENDING
    return {
        "proposals": proposal_list(actor, state=None if state == "all" else state)[:200],
        "state": state,
        "actions": action_list(actor)[:20],
        "rules": Rule.objects.filter(is_active=True),
    }


def proposal_detail(actor: Actor, proposal_id: int) -> dict:
    """One proposal with its actions and the ratings its evidence names."""
    proposal = proposal_get(actor, proposal_id)
    ids = proposal.evidence.get("ratings") or []
    return {
        "p": proposal,
        "actions": proposal.actions.select_related("recorded_by__membership"),
        "ratings": (
            Rating.objects.filter(pk__in=ids).select_related("rectification").order_by("created_at") if ids else []
        ),
    }


def action_list(actor: Actor) -> QuerySet[AccountabilityAction]:
    return (
        AccountabilityAction.objects.filter(_scope_q(actor, "proposal__"))
        .select_related("proposal__unit", "proposal__cadre", "proposal__window", "recorded_by__membership")
        .order_by("-held_on", "-id")
    )


def cadre_record(actor: Actor, cadre_id: int) -> dict:
    """A cadre's record (干部问责档案): the card, the published summary, every proposal and every action."""
    cadre = Cadre.objects.select_related("unit").filter(pk=cadre_id).first()
    if cadre is None or actor.role not in READ_ROLES or not (actor.role in READ_ALL_ROLES or actor.covers(cadre.unit)):
        raise NotFound("干部不存在", code="cadre_not_found")
    return {
        "cadre": cadre,
        "summary": rating_summary(cadre),
        "proposals": list(Proposal.objects.filter(cadre=cadre).select_related("rule", "unit").order_by("-created_at")),
        "actions": list(
            AccountabilityAction.objects.filter(proposal__cadre=cadre)
            .select_related("recorded_by__membership")
            .order_by("-held_on", "-id")
        ),
    }


def cadre_for_raise(actor: Actor, cadre_id: int) -> Cadre | None:
    """The cadre a coordinator may raise a proposal against (inside its subtree), else None."""
    cadre = Cadre.objects.select_related("unit").filter(pk=cadre_id, is_active=True).first()
    return cadre if cadre is not None and actor.role == "coordinator" and actor.covers(cadre.unit) else None


def referral_letter(actor: Actor, proposal_id: int) -> dict:
    """What the 移送函 prints: a confirmed referral in the actor's scope (404 otherwise, like a missing one). The
    issuing office is the coordination office over the subject's unit; the addressee the discipline inspection and
    supervision body of the same government (同级纪委监委)."""
    from .models import ActionKind, ProposalState

    proposal = proposal_get(actor, proposal_id)
    if proposal.action != ActionKind.REFERRAL or proposal.state != ProposalState.CONFIRMED:
        raise NotFound("没有可打印的移送函", code="no_referral_letter")
    government = _government_of(proposal.unit)
    office = _office_of(government)
    name = government.name if government else ""
    short = name.removesuffix("人民政府") if name.endswith("人民政府") else name
    return {
        "p": proposal,
        "issuer": office.name if office else f"{short}企业吹哨办",
        "addressee": f"{short}纪委监委" if short else "纪委监委",
        "actions": proposal.actions.filter(kind=ActionKind.REFERRAL).order_by("held_on", "id"),
    }


def _government_of(unit):
    """The county or city government whose subtree holds the unit (a stationed unit: its county; a city unit: the city)."""
    from whistle.org.models import Level, Unit, UnitKind

    ids = unit.path.rstrip("/").split("/")
    prefixes = ["/".join(ids[: n + 1]) + "/" for n in range(len(ids))]
    found = Unit.objects.filter(
        kind__in=[UnitKind.GOVERNMENT, UnitKind.ZONE], level__in=[Level.CITY, Level.COUNTY], path__in=prefixes
    )
    return max(found, key=lambda u: len(u.path), default=None)


def _office_of(government):
    from whistle.org.models import Unit, UnitKind

    if government is None:
        return None
    return Unit.objects.filter(parent=government, kind=UnitKind.COORDINATION_OFFICE, is_active=True).first()
