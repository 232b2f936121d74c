"""Reads for the card pages and the monthly ranking."""
import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from whistle.core.errors import NotFound

from .models import Cadre, Window


def card_get(code: str):
    """The active cadre or window behind a public card code."""
    for model in (Cadre, Window):
        target = model.objects.select_related("unit").filter(card_code=code, is_active=True).first()
        if target is not None:
            return target
    raise NotFound("该亮码不存在或已停用", code="card_not_found")


def rating_summary(target) -> dict:
    """亮评价: only counted ratings (flagged and voided ones are kept but not published).
    满意率 = (非常满意 + 满意 + 基本满意) / 有效评价 (rules.md §8.6, first variant)."""
    row = target.ratings.filter(counted=True).aggregate(
        count=Count("id"), good=Count("id", filter=Q(level__gte=4)), poor=Count("id", filter=Q(level__lte=2)),
        satisfied=Count("id", filter=Q(level__gte=3)),
    )
    count = row["count"]

    def rate(n):
        return round(100 * n / count, 1) if count else None

    return {"count": count, "good_rate": rate(row["good"]), "poor_rate": rate(row["poor"]), "satisfaction_rate": rate(row["satisfied"])}


def monthly_ranking(actor, month: dt.date) -> list[dict]:
    """亮评价 by month: every cadre and window in the actor's scope, ranked by satisfaction then count.
    Months are Beijing calendar months; only counted ratings."""
    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    end = timezone.make_aware(dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1))
    rows = []
    for model, kind in ((Cadre, "干部"), (Window, "窗口")):
        targets = model.objects.select_related("unit").filter(is_active=True).annotate(
            count=Count("ratings", filter=Q(ratings__counted=True, ratings__created_at__gte=start, ratings__created_at__lt=end)),
            **{f"level_{n}": Count("ratings", filter=Q(ratings__counted=True, ratings__level=n, ratings__created_at__gte=start,
                                                      ratings__created_at__lt=end)) for n in range(1, 6)},
        )
        for t in targets:
            if not actor.covers(t.unit) or not t.count:
                continue
            levels = [getattr(t, f"level_{n}") for n in range(5, 0, -1)]
            rows.append({"kind": kind, "target": t, "count": t.count, "levels": levels,
                         "good_rate": round(100 * sum(levels[:2]) / t.count, 1),
                         "poor_rate": round(100 * sum(levels[3:]) / t.count, 1),
                         "satisfaction_rate": round(100 * sum(levels[:3]) / t.count, 1)})
    rows.sort(key=lambda r: (-r["satisfaction_rate"], -r["count"], r["target"].name))
    return rows
