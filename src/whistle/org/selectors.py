"""Reads of the unit tree that pages and endpoints of several apps offer (filters, dispatch targets)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Level, Role, Unit, UnitKind
from .scopes import Actor


def unit_list(*, level: str | None = None, kind: str | None = None) -> QuerySet[Unit]:
    """Active units in tree order, optionally of one level and kind (the organisation is public to members)."""
    qs = Unit.objects.filter(is_active=True).select_related("parent").order_by("path")
    if level:
        qs = qs.filter(level=level)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def counties_for(actor: Actor) -> QuerySet[Unit]:
    """The counties an actor's filters may offer: every county in the actor's subtree (a city's, the province's), else
    the one the actor sits in. A county government or zone sits right under its city government."""
    qs = Unit.objects.filter(level=Level.COUNTY, parent__level=Level.CITY, is_active=True).exclude(
        kind=UnitKind.DEPARTMENT
    )
    if actor.role in (Role.COORDINATOR, Role.LEADER) and actor.scope_root is not None:
        qs = qs.filter(actor.subtree_q())
    return qs.order_by("path")


def units_for(actor: Actor) -> QuerySet[Unit]:
    """Units that handle cases (never a coordination office), inside the actor's subtree when it has one."""
    qs = handling_units()
    if actor.role in (Role.COORDINATOR, Role.LEADER) and actor.scope_root is not None:
        qs = qs.filter(actor.subtree_q())
    return qs


def handling_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).exclude(kind=UnitKind.COORDINATION_OFFICE).order_by("path")
