"""Every read of enterprises, scoped to the actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from whistle.org.models import Level, Role
from whistle.org.scopes import READ_ALL_ROLES, Actor, subtree_q

from .models import Enterprise


def enterprise_scope_q(actor: Actor) -> Q:
    """The enterprises an actor may see: an enterprise user its own; anyone with a unit the enterprises of that
    unit's territory (its county, or the whole city for a city-level unit, every city for the province's); auditors all; nobody else any."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role == Role.ENTERPRISE:
        return Q(pk=actor.enterprise_id)
    root = actor.scope_root
    if root is None:
        return Q(pk__in=[])
    if root.level == Level.PROVINCE or root.parent_id is None:
        return Q()
    if root.level == Level.CITY:  # a city's government or one of its departments: the city's firms
        return Q(county__city_id=root.city_id)
    county = root.county or root
    return subtree_q(county, "county")


def enterprise_list(actor: Actor, *, q: str | None = None, county: str | None = None) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.filter(enterprise_scope_q(actor))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(uscc=q.strip().upper()))
    if county:
        qs = qs.filter(county__code=county)
    return qs.select_related("county").order_by("name", "pk")


def enterprise_get(actor: Actor, uscc: str) -> Enterprise | None:
    """The enterprise with this credit code, if the actor may see it."""
    return Enterprise.objects.filter(enterprise_scope_q(actor), uscc=uscc.strip().upper()).first()
