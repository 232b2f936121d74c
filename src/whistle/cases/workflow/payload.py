"""Payload rules: how an effect reads what the caller sent (text, a choice, a unit, units), each refusal a clear
Chinese message with a stable code and the field at fault."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from whistle.core.errors import Invalid
from whistle.org.models import Role, Unit
from whistle.org.scopes import Actor

from .base import Step


def text(step: Step, name: str, *, max_length: int = 4000, label: str = "内容") -> str:
    value = optional_text(step, name, max_length=max_length, label=label)
    if not value:
        raise Invalid(f"请填写{label}", code=f"{name}_required", field=name)
    return value


def optional_text(step: Step, name: str, *, max_length: int = 500, label: str = "内容", default: str = "") -> str:
    value = step.payload.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise Invalid(f"{label}须为文字", code=f"invalid_{name}", field=name)
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(f"{label}不能超过{max_length}字", code=f"{name}_too_long", field=name)
    return value or default


def choice(step: Step, name: str, choices, label: str) -> str:
    value = step.payload.get(name)
    if not isinstance(value, str) or value not in choices.values:
        allowed = "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices)
        raise Invalid(f"{label}须为：{allowed}", code=f"invalid_{name}", field=name)
    return value


def unit(value, name: str) -> Unit:
    """A unit named by its code (or, from our own code, its id or the active unit itself, already loaded)."""
    if value is None or value == "":
        raise Invalid("请选择单位", code=f"{name}_required", field=name)
    if isinstance(value, Unit) and value.pk and value.is_active:
        return value
    if isinstance(value, str):
        lookup = {"code": value}
    elif is_row_id(value):
        lookup = {"pk": value}
    else:
        raise Invalid("单位须为单位编码", code="invalid_unit", field=name)
    found = Unit.objects.filter(is_active=True, **lookup).first()
    if found is None:
        raise Invalid("单位不存在或已停用", code="unknown_unit", field=name)
    return found


def units(value, name: str) -> list[Unit]:
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) or is_row_id(v) for v in value):
        raise Invalid("协办单位须为单位编码的列表", code=f"invalid_{name}", field=name)
    return [unit(v, name) for v in value]


def is_row_id(value) -> bool:
    """An int that can be a primary key (our own code names rows by id; JSON true is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def in_scope(actor: Actor, unit: Unit) -> bool:
    """A county coordinator hands cases only to units of its county; the city office to any."""
    return actor.role != Role.COORDINATOR or actor.covers(unit)


def local_iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None
