"""Reads for the public card pages."""
from django.db.models import Count, Q

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
