"""A read API over the chains (/api/v1/chains): the chains the caller reads with the year's figures, a chain's
organisation, map summary and KPIs, and its pipeline by stage. Scoped as the pages are (`selectors.chains_for`): a
chain outside a chain office's own is a 404 like a missing one; a role that reads no chain is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema

from whistle.core.errors import Forbidden
from whistle.core.params import parse_year

from . import mapcache, selectors
from .models import Project

router = Router(tags=["chains"])


class UnitOut(Schema):
    code: str
    name: str


class ChiefOut(Schema):
    kind: str
    name: str
    title: str


class ChainRow(Schema):
    code: str
    name: str
    lead_unit: UnitOut | None
    chiefs: list[ChiefOut]
    nodes: int
    projects: int
    red: int
    yellow: int
    signed: int
    signed_yi: Decimal


class ChainList(Schema):
    year: int
    results: list[ChainRow]


class MapOut(Schema):
    nodes: int
    gaps: int
    covered: int
    firms: int
    local_firms: int


class KpiOut(Schema):
    code: str
    name: str
    unit: str
    value: Decimal | None
    note: str


class ChainOut(Schema):
    code: str
    name: str
    layout: str
    summary: str
    year: int
    lead_unit: UnitOut | None
    chiefs: list[ChiefOut]
    parks: list[str]
    owners: list[str]
    map: MapOut
    signed: int
    signed_amount_wan: Decimal
    in_production: int
    red: int
    above_scale: int
    kpis: list[KpiOut]


class ProjectOut(Schema):
    id: int
    name: str
    target_firm: str
    light: str
    stage_since: dt.date
    due_on: dt.date | None
    responsible_unit: UnitOut
    amount_wan: Decimal | None
    signed_on: dt.date | None
    started_on: dt.date | None
    is_key: bool


class StageOut(Schema):
    pipeline: str
    code: str
    name: str
    limit_working_days: int | None
    count: int
    projects: list[ProjectOut]


class PipelineOut(Schema):
    chain: str
    stages: list[StageOut]


def _actor(request):
    actor = request.actor
    if not (actor.is_system or actor.role in selectors.VIEW_ROLES):
        raise Forbidden("您的角色无权查看产业链", code="forbidden")
    return actor


def _year(value: str | None) -> int:
    return parse_year(value) if value else timezone.localdate().year


def _unit(u):
    return {"code": u.code, "name": u.name} if u else None


def _chiefs(chiefs) -> list[dict]:
    return [{"kind": c.kind, "name": c.name, "title": c.title} for c in chiefs]


@router.get("", response=ChainList, summary="产业链列表：图谱规模、项目与红黄灯、本年签约（按权限范围）")
def chain_list(request, year: str | None = None):
    actor = _actor(request)
    year_value = _year(year)
    rows = selectors.board(actor, year_value)
    return {
        "year": year_value,
        "results": [
            {
                "code": r["chain"].code,
                "name": r["chain"].name,
                "lead_unit": _unit(r["chain"].lead_unit),
                "chiefs": _chiefs(r["chiefs"]),
                "signed_yi": Decimal(r["signed_yi"]).quantize(Decimal("0.01")),
                **{k: r[k] for k in ("nodes", "projects", "red", "yellow", "signed")},
            }
            for r in rows
        ],
    }


@router.get("/{chain}", response=ChainOut, summary="产业链详情：链长、链主、园区、图谱概况与年度指标")
def chain_detail(request, chain: str, year: str | None = None):
    actor = _actor(request)
    found = selectors.chain_get(actor, chain)
    year_value = _year(year)
    the_map = mapcache.payload(found, year_value)
    kpis = selectors.chain_kpis(found, year_value, the_map.nodes)
    return {
        "code": found.code,
        "name": found.name,
        "layout": found.layout,
        "summary": found.summary,
        "year": year_value,
        "lead_unit": _unit(found.lead_unit),
        "chiefs": _chiefs(found.chiefs.all()),
        "parks": [p.name for p in found.parks.all()],
        "owners": [o.enterprise.name for o in found.owners.select_related("enterprise")],
        "map": {
            "nodes": the_map.count,
            "gaps": the_map.gaps,
            "covered": sum(1 for n in the_map.nodes if n.coverage == "covered"),
            "firms": kpis["firms"],
            "local_firms": kpis["local_firms"],
        },
        "signed": kpis["signed"],
        "signed_amount_wan": kpis["signed_amount"],
        "in_production": kpis["in_production"],
        "red": kpis["red"],
        "above_scale": kpis["above_scale"],
        "kpis": [
            {
                "code": f.definition.code,
                "name": f.definition.name,
                "unit": f.definition.unit,
                "value": f.value,
                "note": f.note,
            }
            for f in selectors.kpi_figures(found, year_value)
        ],
    }


@router.get("/{chain}/pipeline", response=PipelineOut, summary="产业链项目推进：按阶段列出招商与技改项目及预警灯")
def chain_pipeline(request, chain: str):
    actor = _actor(request)
    found = selectors.chain_get(actor, chain)
    by_stage: dict[int, list[Project]] = {}
    for p in Project.objects.filter(chain=found).select_related("responsible_unit").order_by("-pk"):
        by_stage.setdefault(p.stage_id, []).append(p)
    stages = []
    for s in selectors.all_stages():
        projects = by_stage.get(s.pk, [])
        stages.append(
            {
                "pipeline": s.pipeline,
                "code": s.code,
                "name": s.name,
                "limit_working_days": s.limit_working_days,
                "count": len(projects),
                "projects": [
                    {
                        "id": p.pk,
                        "name": p.name,
                        "target_firm": p.target_firm,
                        "light": p.light,
                        "stage_since": p.stage_since,
                        "due_on": p.due_on,
                        "responsible_unit": _unit(p.responsible_unit),
                        "amount_wan": p.amount,
                        "signed_on": p.signed_on,
                        "started_on": p.started_on,
                        "is_key": p.is_key,
                    }
                    for p in projects
                ],
            }
        )
    return {"chain": found.code, "stages": stages}
