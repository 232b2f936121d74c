"""The organisation under /api/v1: the unit tree and who is asking."""

from ninja import Router

from .schemas import UnitOut
from .selectors import unit_list

router = Router(tags=["organisation"])


@router.get("/units", response=list[UnitOut], summary="单位列表")
def list_units(request, level: str | None = None, kind: str | None = None):
    return [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "kind": u.kind,
            "parent": u.parent.code if u.parent else None,
        }
        for u in unit_list(level=level, kind=kind)
    ]


@router.get("/me", summary="当前用户")
def me(request):
    actor = request.actor
    return {
        "username": actor.user.get_username(),
        "name": actor.label,
        "role": actor.role,
        "unit": actor.unit.code if actor.unit else None,
        "enterprise": actor.enterprise_id,
    }
