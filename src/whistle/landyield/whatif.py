"""What-if (item 8): change a weight, a benchmark or a cut point and see who changes class, before a city adopts
it. Nothing is written: the round's own spec (or its scheme's, before the first scoring) is copied, changed and
scored against the same figures."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from whistle.core.errors import Forbidden, Invalid
from whistle.org.scopes import Actor

from . import access, scoring
from .models import Participant
from .selectors import round_get
from .services import round_rows, scheme_spec


def _number(value, field: str, *, low: Decimal = Decimal(0), high: Decimal = Decimal("1e12")) -> str | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid("须为数字", code="invalid_number", field=field) from None
    if not number.is_finite() or number < low or number > high:
        raise Invalid(f"须在{low}到{high}之间", code="out_of_range", field=field)
    return str(number)


def apply_overrides(spec: dict, overrides: dict) -> dict:
    """overrides: {"weights": {"above.tax_per_mu": "35"}, "benchmarks": {"above.tax_per_mu": "30"},
    "quota": {"a_max_pct": "15", "b_upto_pct": "70", "d_min_pct": "8"}}"""
    spec = copy.deepcopy(spec)
    by_key = {f"{g}.{i['code']}": i for g, inds in spec["indicators"].items() for i in inds}
    for key, value in (overrides.get("weights") or {}).items():
        if key not in by_key:
            raise Invalid(f"没有这个指标：{key}", code="unknown_indicator", field=f"weights.{key}")
        number = _number(value, f"weights.{key}", high=Decimal(100))
        if number is not None:
            if Decimal(number) <= 0:
                raise Invalid("权重须大于0", code="out_of_range", field=f"weights.{key}")
            by_key[key]["weight"] = number
    for key, value in (overrides.get("benchmarks") or {}).items():
        if key not in by_key:
            raise Invalid(f"没有这个指标：{key}", code="unknown_indicator", field=f"benchmarks.{key}")
        number = _number(value, f"benchmarks.{key}")
        if number is not None:
            if Decimal(number) <= 0:
                raise Invalid("基准值须大于0", code="out_of_range", field=f"benchmarks.{key}")
            by_key[key]["benchmark_mode"], by_key[key]["benchmark_value"] = "fixed", number
    quota = overrides.get("quota") or {}
    for key in ("a_max_pct", "b_upto_pct", "d_min_pct"):
        number = _number(quota.get(key), f"quota.{key}", high=Decimal(100))
        if number is not None:
            spec["quota"][key] = number
    if Decimal(spec["quota"]["b_upto_pct"]) < Decimal(spec["quota"]["a_max_pct"]):
        raise Invalid("B类累计比例不能小于A类比例", code="quota_out_of_order", field="quota.b_upto_pct")
    if Decimal(spec["quota"]["b_upto_pct"]) + Decimal(spec["quota"]["d_min_pct"]) > 100:
        raise Invalid("B类累计比例与D类比例之和不能超过100", code="quota_out_of_order", field="quota.d_min_pct")
    return spec


def whatif(actor: Actor, round_id: int, overrides: dict) -> dict:
    rnd = round_get(actor, round_id)
    if not access.can_manage(actor, rnd) and actor.role not in ("leader", "auditor"):
        raise Forbidden("只有牵头部门、吹哨办或领导可以试算", code="whatif_not_permitted")
    base = rnd.spec or scheme_spec(rnd.scheme)
    changed_spec = apply_overrides(base, overrides)
    rows, _ = round_rows(rnd)
    _, before = scoring.score_round(base, rows)
    _, after = scoring.score_round(changed_spec, rows)
    names = dict(Participant.objects.filter(round=rnd).values_list("pk", "enterprise__name"))
    moves = [
        {
            "participant": pid,
            "name": names.get(pid, ""),
            "before": before[pid].klass,
            "after": after[pid].klass,
            "score_before": before[pid].score,
            "score_after": after[pid].score,
        }
        for pid in before
        if before[pid].klass != after[pid].klass
    ]
    matrix = {a: {b: 0 for b in "ABCD"} for a in "ABCD"}
    for pid in before:
        matrix[before[pid].klass][after[pid].klass] += 1
    order = "ABCD"
    moves.sort(key=lambda m: (order.index(m["before"]) - order.index(m["after"]), m["name"]))
    return {"round": rnd, "spec": changed_spec, "moves": moves, "matrix": matrix, "evaluated": len(before)}
