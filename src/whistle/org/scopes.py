"""Who is acting, and what subtree or enterprise they may see.

Every selector and every transition takes an `Actor`. The worker acts as `Actor.system()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Q

from .models import Level, Membership, Role, Unit, UnitKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

UNIT_ROLES = {Role.HANDLER, Role.UNIT_ADMIN}
READ_ALL_ROLES = {Role.AUDITOR, Role.SYSADMIN}
NOTHING = Q(pk__in=[])


def subtree_q(root: Unit, *fields: str) -> Q:
    """Rows whose unit lies in `root`'s subtree: `fields` are lookups to a Unit ("lead_unit", "rating__unit"; none for
    Unit rows themselves), any of which may match. The one spelling of the materialised-path prefix filter."""
    q = Q()
    for field in fields or ("",):
        q |= Q(**{f"{field}__path__startswith" if field else "path__startswith": root.path})
    return q


OFFICE_KINDS = {UnitKind.COORDINATION_OFFICE, UnitKind.REFORM_OFFICE}

# An inspector (执法人员) acts for their department in enforcement inspections only: the subtree of their unit
# (`scope_root`, `covers`) bounds the inspections they see and record. They are not a unit role of the case
# workflow, so no case is in their scope (`cases.selectors.case_scope_q` gives them nothing).
INSPECTOR_ROLES = {Role.INSPECTOR}


# What an actor reads of its membership, as `select_related` paths from the user: the unit (and its parent, for the
# scope of an office), the enterprise (and its county, where its cases are filed).
ACTOR_PATHS = (
    "membership",
    "membership__unit",
    "membership__unit__parent",
    "membership__enterprise",
    "membership__enterprise__county",
)
_MEMBERSHIP = Membership.user.field.remote_field  # the user → membership relation, to read its cache


@dataclass(frozen=True)
class Actor:
    user: User | None
    membership: Membership | None

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, membership=None)

    @classmethod
    def of(cls, user) -> Actor:
        """The actor a user is: one statement for the membership with what the actor reads of it."""
        membership = (
            Membership.objects.select_related(*(p.removeprefix("membership__") for p in ACTOR_PATHS[1:]))
            .filter(user=user)
            .first()
        )
        return cls._with(user, membership)

    @classmethod
    def of_joined(cls, user) -> Actor:
        """`of` for a user read in the same statement as its membership (`ACTOR_PATHS` under `user__`, as the bearer
        token is: `org.services.token_get`): no statement of its own."""
        membership = _MEMBERSHIP.get_cached_value(user)
        return cls._with(user, membership if isinstance(membership, Membership) else None)

    @classmethod
    def _with(cls, user, membership: Membership | None) -> Actor:
        if membership is None and getattr(user, "is_superuser", False):
            membership = Membership(user=user, role=Role.SYSADMIN)
        return cls(user=user, membership=membership)

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def unit(self) -> Unit | None:
        return self.membership.unit if self.membership else None

    @property
    def enterprise_id(self) -> int | None:
        return self.membership.enterprise_id if self.membership else None

    @cached_property
    def scope_root(self) -> Unit | None:
        """A coordination office or a reform office (改革办), and a data reviewer (a statistics bureau's reviewer reviews the figures of the
        whole government's subtree), see the subtree of the government they belong to; anyone else their own unit's."""
        unit = self.unit
        if (
            unit is not None
            and (unit.kind in OFFICE_KINDS or self.role == Role.DATA_REVIEWER)
            and unit.kind != UnitKind.GOVERNMENT
            and unit.parent_id
        ):
            return unit.parent
        return unit

    @property
    def sees_all(self) -> bool:
        """The actor's subtree is the whole tree: the province's own staff, or a one-city deployment's city-level
        staff (its city government is the root). Their filters are no filter."""
        root = self.scope_root
        return root is not None and root.parent_id is None

    @property
    def is_city_level(self) -> bool:
        """The actor acts for a whole city or above (the city's 吹哨办 coordinates the cases escalated to the city):
        a subtree rooted at a city government or at the province. A county's staff are not."""
        root = self.scope_root
        return root is not None and root.level in (Level.CITY, Level.PROVINCE)

    @property
    def city_id(self) -> int | None:
        """The city the actor belongs to (None for the province's own staff, an enterprise, the system)."""
        root = self.scope_root
        return root.city_id if root is not None else None

    def covers(self, unit: Unit) -> bool:
        """Whether a unit lies in the actor's subtree (anywhere, for an actor who sees all)."""
        root = self.scope_root
        return root is not None and (self.sees_all or unit.path.startswith(root.path))

    def subtree_q(self, *fields: str) -> Q:
        """`covers` as a filter: rows whose unit (at any of `fields`, see `subtree_q`) lies in the actor's subtree —
        every row for an actor who sees all, none for an actor without a subtree. Who may read at all is the caller's."""
        root = self.scope_root
        if root is None:
            return NOTHING
        if self.sees_all:
            return Q()
        return subtree_q(root, *fields)

    @property
    def label(self) -> str:
        user = self.user
        if user is None:
            return "系统"
        name = (self.membership.display_name if self.membership else "") or user.get_username()
        unit = self.unit
        if unit is not None:
            return f"{unit.display_name} {name}"
        enterprise = self.membership.enterprise if self.membership and self.membership.enterprise_id else None
        if enterprise is not None:
            return f"{enterprise.name} {name}"
        return name


def person_name(user) -> str:
    """How whistle names a person on pages, exports and the API: the member's display name, else the account name;
    "" for nobody (the system). A unit's leader may hold no role of their own, so no membership."""
    if user is None:
        return ""
    membership = getattr(user, "membership", None)
    return (membership.display_name if membership else "") or user.get_username()
