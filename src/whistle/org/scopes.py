"""Who is acting, and what subtree or enterprise they may see.

Every selector and every transition takes an `Actor`. The worker acts as `Actor.system()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .models import Membership, Role, Unit, UnitKind

UNIT_ROLES = {Role.HANDLER, Role.UNIT_ADMIN}
READ_ALL_ROLES = {Role.AUDITOR, Role.SYSADMIN}
# An inspector (执法人员) acts for their department in enforcement inspections only: the subtree of their unit
# (`scope_root`, `covers`) bounds the inspections they see and record. They are not a unit role of the case
# workflow, so no case is in their scope (`cases.selectors.case_scope_q` gives them nothing).
INSPECTOR_ROLES = {Role.INSPECTOR}


@dataclass(frozen=True)
class Actor:
    user: object | None
    membership: Membership | None

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, membership=None)

    @classmethod
    def of(cls, user) -> Actor:
        membership = Membership.objects.select_related("unit", "unit__parent", "enterprise").filter(user=user).first()
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
        """A coordination office sees the subtree of the government it belongs to; anyone else their own unit's."""
        unit = self.unit
        if unit is not None and unit.kind == UnitKind.COORDINATION_OFFICE and unit.parent_id:
            return unit.parent
        return unit

    @property
    def is_city_wide(self) -> bool:
        root = self.scope_root
        return root is not None and root.parent_id is None

    def covers(self, unit: Unit) -> bool:
        """Whether a unit lies in the actor's subtree (anywhere, for a city-wide actor)."""
        root = self.scope_root
        return root is not None and (self.is_city_wide or unit.path.startswith(root.path))

    @property
    def label(self) -> str:
        if self.is_system:
            return "系统"
        name = (self.membership.display_name if self.membership else "") or self.user.get_username()
        unit = self.unit
        if unit is not None:
            return f"{unit.display_name} {name}"
        if self.membership and self.membership.enterprise_id:
            return f"{self.membership.enterprise.name} {name}"
        return name
