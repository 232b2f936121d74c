"""GET /api/v1/metrics/…: definitions, rates and rankings, scoped to the actor. Thin: the work is in
`metrics` and `rankings`."""

from ninja import Query, Router

from . import case_rollup, metrics, rankings

router = Router(tags=["metrics"])


_month = metrics.month_or_current


@router.get("/definitions", summary="指标口径（每个数字注明所用口径 code@version）")
def list_definitions(request):
    metrics.check_viewer(request.actor)
    return [metrics.definition_dict(d) for d in metrics.definitions(active_only=False)]


@router.get("/rates", summary="三率等指标：按县区、按单位或全范围")
def list_rates(
    request,
    group_by: str | None = None,
    month: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
):
    """`month=YYYY-MM` for one month, or `month_from`/`month_to` for a range (months of submission). `as_of`: the
    rollup's measuring moment (a case whose contact or opinion deadline was still ahead then is left out)."""
    metrics.check_viewer(request.actor)
    first = _month(month_from or month, "month_from" if month_from else "month")
    last = _month(month_to, "month_to") if month_to else first
    rows = metrics.rates(request.actor, first, last, group_by or None)
    return {
        "month_from": f"{first:%Y-%m}",
        "month_to": f"{last:%Y-%m}",
        "group_by": group_by or None,
        "as_of": case_rollup.as_of(),
        "definitions": rows[0]["definitions"] if rows else metrics.labels(metrics.definitions()),
        "rows": [{k: v for k, v in r.items() if k != "definitions"} for r in rows],
    }


@router.get("/rankings", summary="月度排名（红榜/黑榜、环比）")
def get_ranking(
    request, unit_class: str = Query(None, alias="class"), month: str | None = None, city: str | None = None
):
    metrics.check_viewer(request.actor)
    return rankings.ranking(request.actor, unit_class or "", _month(month), city=city)


@router.get("/topics", summary="每月热点：按问题分类和诉求文本高频词（每月一题的候选）")
def get_topics(request, month: str | None = None, limit: int = Query(10, ge=1, le=50)):
    from .topics import hot_topics

    metrics.check_viewer(request.actor)
    found = hot_topics(request.actor, _month(month), limit)
    return {**found, "month": f"{found['month']:%Y-%m}"}
