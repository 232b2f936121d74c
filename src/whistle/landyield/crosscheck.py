"""Cross-checks between departments' figures before scoring (item 7): within an industry, a firm whose tax per
kWh, sales per kWh or sales per unit of energy lies far from its peers is flagged for review — the data-quality step
the platforms leave to phone calls.

Robust outliers: the log of the ratio against the industry's median, in units of the median absolute deviation
(× 1.4826, the normal consistency constant); past the scheme's `crosscheck_k` the firm is flagged. An industry with
fewer than MIN_PEERS firms is compared with the whole round.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.org.scopes import Actor

from . import access
from .models import CrossCheck, Participant, ParticipantStatus
from .services import _managed_round, clean_text, round_rows

MIN_PEERS = 5
CHECKS = [
    ("tax_per_kwh", "税收/用电量", "tax", "electricity"),
    ("sales_per_kwh", "销售收入/用电量", "sales", "electricity"),
    ("sales_per_energy", "销售收入/综合能耗", "sales", "energy"),
]


def outliers(values: dict[int, float], k: float) -> dict[int, float]:
    """{pid: deviation in MADs} for the ratios beyond k MADs of the median (log scale)."""
    if len(values) < 3:
        return {}
    logs = {pid: math.log(v) for pid, v in values.items() if v > 0}
    if len(logs) < 3:
        return {}
    median = statistics.median(logs.values())
    mad = statistics.median(abs(x - median) for x in logs.values()) * 1.4826
    if mad <= 0:
        return {}
    return {pid: (x - median) / mad for pid, x in logs.items() if abs(x - median) / mad > k}


def crosscheck_run(actor: Actor, round_id: int, *, now=None) -> int:
    """Recompute the flags of a round: open flags are replaced; reviewed ones are kept."""
    now = now or timezone.now()
    with transaction.atomic():
        rnd = _managed_round(actor, round_id)
        if rnd.is_frozen:
            raise Conflict("本轮评价已审定", code="round_frozen")
        rows, _ = round_rows(rnd)
        industry = dict(
            Participant.objects.filter(round=rnd, status=ParticipantStatus.EVALUATED).values_list(
                "pk", "enterprise__industry"
            )
        )
        k = float(rnd.scheme.crosscheck_k)
        found = []
        for code, label, num, den in CHECKS:
            by_industry: dict[str, dict[int, float]] = defaultdict(dict)
            everyone: dict[int, float] = {}
            for row in rows:
                n, d = row.figures.get(num), row.figures.get(den)
                if n is None or not d:
                    continue
                by_industry[industry.get(row.pid) or ""][row.pid] = everyone[row.pid] = n / d
            median_all = statistics.median(everyone.values()) if everyone else None
            for values in by_industry.values():
                pool = values if len(values) >= MIN_PEERS else everyone
                flagged = outliers(pool, k)
                peers = statistics.median(pool.values()) if pool else median_all
                for pid in values:
                    if pid in flagged:
                        side = "偏高" if flagged[pid] > 0 else "偏低"
                        found.append(
                            (
                                pid,
                                code,
                                label,
                                f"{label} {values[pid]:.4g}，{'同行业' if pool is values else '全部参评企业'}中位数 "
                                f"{peers:.4g}，{side}（{abs(flagged[pid]):.1f}倍离散度）",
                            )
                        )
        reviewed = set(
            CrossCheck.objects.filter(round=rnd)
            .exclude(state=CrossCheck.State.OPEN)
            .values_list("participant_id", "check_code")
        )
        CrossCheck.objects.filter(round=rnd, state=CrossCheck.State.OPEN).delete()
        CrossCheck.objects.bulk_create(
            [
                CrossCheck(round=rnd, participant_id=pid, check_code=code, label=label, detail=detail)
                for pid, code, label, detail in found
                if (pid, code) not in reviewed
            ]
        )
    return len(found)


def crosscheck_review(actor: Actor, flag_id: int, *, state: str, note: str, now=None) -> CrossCheck:
    from .selectors import round_get

    now = now or timezone.now()
    with transaction.atomic():
        flag = CrossCheck.objects.select_for_update().filter(pk=flag_id).first() if isinstance(flag_id, int) else None
        if flag is None:
            raise NotFound("核验提示不存在", code="crosscheck_not_found")
        try:
            rnd = round_get(actor, flag.round_id)
        except NotFound:
            raise NotFound("核验提示不存在", code="crosscheck_not_found") from None
        if not access.can_manage(actor, rnd):
            raise Forbidden("只有牵头部门或辖区吹哨办可以核查", code="round_manage_not_permitted")
        if state not in (CrossCheck.State.CLEARED, CrossCheck.State.CORRECTED):
            raise Invalid("核查结果须为 cleared 或 corrected", code="invalid_state", field="state")
        flag.state, flag.note = state, clean_text(note, "note", label="核查说明", limit=300)
        flag.reviewed_by, flag.reviewed_at = actor.user, now
        flag.save(update_fields=["state", "note", "reviewed_by", "reviewed_at"])
    return flag
