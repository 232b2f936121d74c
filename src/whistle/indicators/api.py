"""Thin HTTP over indicator monitoring (/api/v1/indicators): the catalogue, published series, figures pushed by
other systems (they wait for review like any other), review, warning letters and their answers."""

from __future__ import annotations

import datetime as dt

from ninja import Router
from ninja.responses import Status

from whistle.core import params
from whistle.core.errors import NotFound

from . import derive, selectors, services
from .models import Figure, Origin, Warning
from .schemas import AnswerIn, FigureIn, ReviewIn

router = Router(tags=["indicators"])


def _viewer(request):
    actor = request.actor
    if not selectors.can_view(actor):
        raise NotFound("不存在或不在您的权限范围内")
    return actor


def _num(x):
    return None if x is None else float(x)


def indicator_out(i) -> dict:
    return {
        "code": i.code,
        "name": i.name,
        "category": i.category,
        "measure": i.measure,
        "frequency": i.frequency,
        "cumulative": i.cumulative,
        "direction": i.direction,
        "derivation": i.derivation,
        "rank_basis": i.rank_basis,
        "peer_sets": i.peer_sets,
        "version": i.version,
        "caption": i.caption,
    }


def figure_out(f: Figure) -> dict:
    return {
        "id": f.pk,
        "indicator": f.indicator.code,
        "region": f.region.code,
        "period": f.period.strftime("%Y-%m"),
        "version": f.version,
        "value": _num(f.value),
        "growth": _num(f.growth),
        "state": f.state,
        "origin": f.origin,
        "source_note": f.source_note,
        "jump_flag": f.jump_flag,
        "jump_detail": f.jump_detail,
        "entered_at": f.entered_at,
        "reviewed_at": f.reviewed_at,
        "review_note": f.review_note,
    }


def warning_out(w: Warning) -> dict:
    return {
        "id": w.pk,
        "number": w.number,
        "rule": w.rule.code,
        "indicator": w.indicator.code,
        "region": w.region.code,
        "unit": {"code": w.unit.code, "name": w.unit.name},
        "period": w.period.strftime("%Y-%m"),
        "summary": w.summary,
        "evidence": w.evidence,
        "issued_at": w.issued_at,
        "due_at": w.due_at,
        "state": w.state,
        "answer": w.answer,
        "answered_at": w.answered_at,
        "proposal": w.proposal_id,
    }


@router.get("/catalogue", summary="指标目录")
def catalogue(request):
    _viewer(request)
    return [indicator_out(i) for i in selectors.catalogue()]


@router.get("/series", summary="已发布数据（一个指标，按地区和期别）")
def series(request, indicator: str, region: str | None = None, start: str | None = None, end: str | None = None):
    _viewer(request)
    ind = selectors.indicator_get(indicator)
    first = params.parse_month(start, "start") if start else dt.date(2000, 1, 1)
    last = params.parse_month(end, "end") if end else dt.date(2100, 12, 1)
    qs = selectors.series_points(ind, first, last).select_related("region")
    if region:
        qs = qs.filter(region__code=region[:40])
    return [
        {
            "region": p.region.code,
            "period": p.period.strftime("%Y-%m"),
            "label": derive.period_label(ind, p.period),
            "value": _num(p.value),
            "single": _num(p.single),
            "ytd": _num(p.ytd),
            "growth": _num(p.growth),
            "target": _num(p.target),
            "gap": _num(p.gap),
            "rank": p.rank,
            "rank_of": p.rank_of,
            "rank_change": p.rank_change,
        }
        for p in qs[:5000]
    ]


@router.post("/figures", response={201: dict, 200: dict}, summary="报送数据（填报单位或其系统推送；审核后发布）")
def figure_push(request, data: FigureIn):
    figure, created = services.figure_submit(
        request.actor,
        indicator=data.indicator,
        region=data.region,
        period=data.period,
        value=data.value,
        growth=data.growth,
        source_note=data.source_note,
        origin=Origin.API,
    )
    body = figure_out(figure)
    return Status(201, body) if created else Status(200, body)


@router.get("/figures", summary="报送的数据（本单位报送的，或待本人审核的）")
def figure_list(request, state: str | None = None):
    qs = selectors.figures_visible(request.actor)
    if state:
        qs = qs.filter(state=state[:10])
    return [figure_out(f) for f in qs.order_by("-entered_at", "-pk")[:500]]


@router.get("/figures/{int:pk}", summary="一条数据及其历次版本")
def figure_detail(request, pk: int):
    figure = selectors.figure_get(request.actor, pk)
    return {**figure_out(figure), "versions": [figure_out(f) for f in selectors.history(figure)]}


@router.post("/figures/{int:pk}/review", summary="审核：通过发布或退回")
def figure_review(request, pk: int, data: ReviewIn):
    return figure_out(services.figure_review(request.actor, pk, data.decision, data.note))


@router.get("/warnings", summary="预警函（按权限范围）")
def warning_list(request, state: str | None = None):
    qs = selectors.warnings_visible(request.actor)
    if state:
        qs = qs.filter(state=state[:10])
    return [warning_out(w) for w in qs[:500]]


@router.get("/warnings/{int:pk}", summary="一份预警函")
def warning_detail(request, pk: int):
    return warning_out(selectors.warning_get(request.actor, pk))


@router.post("/warnings/{int:pk}/answer", summary="责任单位答复整改措施")
def warning_answer(request, pk: int, data: AnswerIn):
    return warning_out(services.warning_answer(request.actor, pk, data.answer))
