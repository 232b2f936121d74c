"""Thin HTTP over 亩产效益 (mounted at /api/v1/landyield): rounds, participants, the departments' figure API,
confirmation, 异议 and answers, scoring, 公示, sign-off, cross-checks and what-if."""

from __future__ import annotations

from django.db.models import Count
from ninja import Field, Query, Router
from ninja.responses import Status

from whistle.core.errors import Invalid
from whistle.core.paging import PageFilter, page_of

from . import crosscheck, importing, selectors, services, whatif
from .models import FigureStep, Participant, Round
from .schemas import (
    AnswerIn,
    FigureIn,
    FiguresIn,
    ItemsIn,
    ObjectionIn,
    ParticipantIn,
    PublishIn,
    ReviewIn,
    RoundIn,
    WhatIfIn,
)

router = Router(tags=["landyield"])


class ParticipantFilter(PageFilter):
    klass: str | None = Field(None, description="A / B / C / D")
    group: str | None = Field(None, description="above / below")
    status: str | None = Field(None, description="evaluated / t_class / excluded")
    q: str | None = Field(None, max_length=60, description="企业名称或信用代码")


def round_out(rnd: Round) -> dict:
    return {
        "id": rnd.pk,
        "county": rnd.county.code,
        "county_name": rnd.county.name,
        "year": rnd.year,
        "state": rnd.state,
        "state_label": rnd.get_state_display(),
        "lead_unit": rnd.lead_unit.code,
        "scheme": f"{rnd.scheme.name} 第{rnd.scheme.version}版",
        "score_runs": rnd.score_runs,
        "needs_rescore": rnd.needs_rescore,
        "publicity_starts_on": rnd.publicity_starts_on,
        "publicity_ends_on": rnd.publicity_ends_on,
        "signed_off_at": rnd.signed_off_at,
        "benchmarks": rnd.benchmarks,
        "class_mix": selectors.class_mix(rnd),
        "participants": dict(
            Participant.objects.filter(round=rnd).values_list("status").annotate(n=Count("pk")).order_by()
        ),
    }


def participant_out(p: Participant) -> dict:
    return {
        "id": p.pk,
        "round": p.round_id,
        "enterprise": p.enterprise.name,
        "uscc": p.enterprise.uscc,
        "group": p.group,
        "status": p.status,
        "reason": p.reason,
        "items": p.items,
        "score": float(p.score) if p.score is not None else None,
        "rank": p.rank,
        "klass": p.klass,
        "provisional_klass": p.provisional_klass,
        "consecutive_d": p.consecutive_d,
        "confirmed_at": p.confirmed_at,
    }


def _result(result: importing.ImportResult) -> dict:
    return {"rows": result.rows, "written": result.written, "columns": result.columns, "rejects": result.rejects}


@router.get("/rounds", summary="评价轮次（按权限范围）")
def list_rounds(request):
    return [round_out(r) for r in selectors.round_list(request.actor)[:100]]


@router.post("/rounds", response={201: dict}, summary="新建评价轮次（抽取参评名单）")
def open_round(request, data: RoundIn):
    rnd = services.round_open(request.actor, county=data.county, year=data.year)
    return Status(201, round_out(selectors.round_get(request.actor, rnd.pk)))


@router.get("/rounds/{round_id}", summary="评价轮次详情（基准值、分类结构）")
def get_round(request, round_id: int):
    return round_out(selectors.round_get(request.actor, round_id))


@router.get("/rounds/{round_id}/participants", summary="参评企业（分页）")
def list_participants(request, round_id: int, filters: Query[ParticipantFilter]):
    rnd = selectors.round_get(request.actor, round_id)
    qs = selectors.participant_list(
        request.actor,
        rnd,
        klass=filters.klass or "",
        group=filters.group or "",
        status=filters.status or "",
        q=filters.q or "",
    )
    return page_of(qs, filters, participant_out)


@router.post("/rounds/{round_id}/participants", summary="调整参评名单（须填原因）")
def set_participant(request, round_id: int, data: ParticipantIn):
    p = services.participant_set(
        request.actor, round_id, enterprise=data.uscc, status=data.status, reason=data.reason, group=data.group
    )
    return participant_out(selectors.participant_get(request.actor, p.pk))


@router.post("/rounds/{round_id}/figures", summary="部门报送数据（批量；问题行退回）")
def post_figures(request, round_id: int, data: FiguresIn):
    """The departments' figure API: rows grouped by enterprise; a figure the caller's unit does not own refuses
    the whole request (403); a bad row comes back in `rejects`."""
    by_uscc: dict[str, dict] = {}
    for item in data.items:
        by_uscc.setdefault(item.uscc.strip().upper(), {})[item.kind] = item.value
    codes = sorted({i.kind for i in data.items})
    records = [(n, uscc, "", raw) for n, (uscc, raw) in enumerate(by_uscc.items(), start=1)]
    return _result(importing.ingest(request.actor, round_id, codes, records, FigureStep.Step.API))


@router.post("/rounds/{round_id}/score", summary="评分（按本年度评价办法）")
def score(request, round_id: int):
    counts = services.round_score(request.actor, round_id)
    return {"classes": counts, "round": round_out(selectors.round_get(request.actor, round_id))}


@router.post("/rounds/{round_id}/publish", summary="公示")
def publish(request, round_id: int, data: PublishIn):
    services.round_publish(request.actor, round_id, starts_on=data.starts_on)
    return round_out(selectors.round_get(request.actor, round_id))


@router.post("/rounds/{round_id}/sign-off", summary="审定并冻结")
def sign_off(request, round_id: int):
    services.round_sign_off(request.actor, round_id)
    return round_out(selectors.round_get(request.actor, round_id))


@router.post("/rounds/{round_id}/crosschecks", summary="交叉核验（评分前的数据质量检查）")
def run_crosschecks(request, round_id: int):
    found = crosscheck.crosscheck_run(request.actor, round_id)
    rnd = selectors.round_get(request.actor, round_id)
    return {
        "found": found,
        "items": [
            {
                "id": c.pk,
                "participant": c.participant_id,
                "enterprise": c.participant.enterprise.name,
                "check": c.check_code,
                "label": c.label,
                "detail": c.detail,
                "state": c.state,
            }
            for c in selectors.crosscheck_list(request.actor, rnd)[:500]
        ],
    }


@router.post("/rounds/{round_id}/whatif", summary="试算：调整权重、基准或比例后谁的类别变化（不保存）")
def what_if(request, round_id: int, data: WhatIfIn):
    result = whatif.whatif(request.actor, round_id, data.dict())
    return {"evaluated": result["evaluated"], "matrix": result["matrix"], "moves": result["moves"][:1000]}


@router.get("/participants/{participant_id}", summary="企业评价详情（对照基准、历年类别、晋级差距）")
def get_participant(request, participant_id: int):
    p = selectors.participant_get(request.actor, participant_id)
    page = selectors.enterprise_page(request.actor, p)
    return {
        **participant_out(p),
        "indicators": page["rows"],
        "history": [{"year": h.round.year, "klass": h.klass, "score": float(h.score or 0)} for h in page["history"]],
        "moved": page["moved"],
        "next_class": page["gap"],
        "policies": [{"name": x.name, "effect": x.effect} for x in page["policies"]],
        "figures": [
            {
                "kind": r["kind"].code,
                "name": r["kind"].name,
                "unit": r["kind"].unit,
                "value": str(r["figure"].value) if r["figure"] and r["figure"].value is not None else None,
                "state": r["figure"].state if r["figure"] else None,
                "steps": [
                    {
                        "step": s.step,
                        "value": str(s.value) if s.value is not None else None,
                        "by": s.by_label,
                        "at": s.at,
                    }
                    for s in r["steps"]
                ],
            }
            for r in selectors.figure_rows(request.actor, p)
        ],
    }


@router.post("/participants/{participant_id}/figures", summary="填报或核实一项数据")
def post_figure(request, participant_id: int, data: FigureIn):
    f = services.figure_record(request.actor, participant_id, data.kind, data.value, note=data.note)
    return {"kind": data.kind, "value": str(f.value) if f.value is not None else None, "state": f.state}


@router.post("/participants/{participant_id}/items", summary="设置加减分、否决与保护项")
def set_items(request, participant_id: int, data: ItemsIn):
    p = services.participant_items(request.actor, participant_id, data.items, reason=data.reason)
    return participant_out(selectors.participant_get(request.actor, p.pk))


@router.post("/participants/{participant_id}/confirm", summary="企业确认部门数据")
def confirm(request, participant_id: int):
    return {"confirmed": services.figures_confirm(request.actor, participant_id)}


@router.post("/participants/{participant_id}/objections", response={201: dict}, summary="提出异议（附件请在网页提交）")
def object_(request, participant_id: int, data: ObjectionIn):
    o = services.objection_file(
        request.actor, participant_id, text=data.text, kind_code=data.kind, claimed_value=data.claimed_value
    )
    return Status(201, {"id": o.pk, "stage": o.stage, "state": o.state})


@router.post("/objections/{objection_id}/answer", summary="部门答复异议（更正或维持）")
def answer(request, objection_id: int, data: AnswerIn):
    o = services.objection_answer(request.actor, objection_id, answer=data.answer, corrected_value=data.corrected_value)
    return {"id": o.pk, "state": o.state, "answer": o.answer}


@router.post("/crosschecks/{flag_id}/review", summary="核查交叉核验提示")
def review(request, flag_id: int, data: ReviewIn):
    if data.state not in ("cleared", "corrected"):
        raise Invalid("核查结果须为 cleared 或 corrected", code="invalid_state", field="state")
    c = crosscheck.crosscheck_review(request.actor, flag_id, state=data.state, note=data.note)
    return {"id": c.pk, "state": c.state}
