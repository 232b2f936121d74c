"""Who may do what in a round. One place, so the pages offer exactly what the services accept.

- manage (open, adjust the list, score, publish, sign off, what-if, price lists): a coordinator over the round's
  county, a member of the round's lead unit (工信), a system administrator;
- a figure: a member (handler or unit administrator) of the unit that owns it in this round (RoundOwner);
- read: the above, leaders over the county, auditors, and every owner unit's members;
- an enterprise: its own participation only.
"""

from __future__ import annotations

from django.db.models import Q

from whistle.org.models import Role
from whistle.org.scopes import READ_ALL_ROLES, Actor

UNIT_ROLES = {Role.HANDLER, Role.UNIT_ADMIN}


def _covers_county(actor: Actor, county) -> bool:
    return actor.role in (Role.COORDINATOR, Role.LEADER) and actor.covers(county)


def can_manage(actor: Actor, rnd) -> bool:
    if actor.is_system or actor.role == Role.SYSADMIN:
        return True
    if actor.role == Role.COORDINATOR:
        return actor.covers(rnd.county)
    return actor.role in UNIT_ROLES and actor.unit is not None and actor.unit.pk == rnd.lead_unit_id


def owned_kinds(actor: Actor, rnd) -> set[int]:
    """The figure kinds (ids) this actor answers for in the round."""
    if actor.role not in UNIT_ROLES or actor.unit is None:
        return set()
    return set(rnd.owners.filter(unit=actor.unit).values_list("kind_id", flat=True))


def round_scope_q(actor: Actor, prefix: str = "") -> Q:
    """Rounds an official may read (enterprises read only their own participation, see `participant_scope_q`)."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role in (Role.COORDINATOR, Role.LEADER):
        root = actor.scope_root
        if root is None:
            return Q(pk__in=[])
        return Q() if actor.sees_all else Q(**{f"{prefix}county__path__startswith": root.path})
    if actor.role in UNIT_ROLES and actor.unit is not None:
        return Q(**{f"{prefix}lead_unit": actor.unit}) | Q(**{f"{prefix}owners__unit": actor.unit})
    return Q(pk__in=[])


def participant_scope_q(actor: Actor) -> Q:
    if actor.role == Role.ENTERPRISE:
        return Q(enterprise_id=actor.enterprise_id) if actor.enterprise_id else Q(pk__in=[])
    if actor.role in UNIT_ROLES:
        return Q(round__in=_unit_rounds(actor))
    q = round_scope_q(actor, "round__")
    return q


def _unit_rounds(actor: Actor):
    from .models import Round

    return Round.objects.filter(round_scope_q(actor)).values("pk")
