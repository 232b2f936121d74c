"""亩产效益 pages: rounds, the department import, the enterprise's own page (phone first), 异议 and answers, the
county and park view, what-if, cross-checks and the exports. Thin: services write, selectors read; a form or button
is offered only when the same rule the service checks holds (`access`, the round's state)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from whistle.cases.selectors import category_choices
from whistle.core import sheets
from whistle.core.errors import Forbidden, Invalid, NotFound, Problem
from whistle.org.models import Membership, Role
from whistle.pagekit import page

from . import access, crosscheck, importing, prices, selectors, services, whatif
from .models import (
    FigureKind,
    Group,
    Klass,
    Objection,
    ParticipantStatus,
    RoundState,
    SchemeItem,
    Utility,
)

OFFICIAL_ROLES = (Role.HANDLER, Role.UNIT_ADMIN, Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN)
IMPORT_MAX_BYTES = 10 * 1024 * 1024
PAGE_ROWS = 200


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=sheets.XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _act(request, action, done: str, back: str):
    """Run one service; its refusal (other than not found / forbidden, which the page decorator answers) comes back
    as a message on the page the form was on."""
    try:
        result = action()
    except (NotFound, Forbidden):
        raise
    except Problem as problem:
        messages.error(request, problem.detail)
        return redirect(back)
    messages.success(request, done(result) if callable(done) else done)
    return redirect(back)


@page(*OFFICIAL_ROLES)
def home(request):
    actor = request.actor
    rounds = list(selectors.round_list(actor))
    return render(
        request,
        "landyield/home.html",
        {
            "rounds": rounds,
            "can_open": actor.role in (Role.COORDINATOR, Role.SYSADMIN),
            "summary": selectors.cockpit_summary(actor),
            "this_year": timezone.localdate().year - 1,
        },
    )


@page(Role.ENTERPRISE)
def mine(request):
    rows = list(selectors.my_participations(request.actor))
    if len(rows) >= 1 and request.GET.get("all") != "1":
        return redirect("landyield:participant", pk=rows[0].pk)
    return render(request, "landyield/mine.html", {"rows": rows})


@page(Role.COORDINATOR, Role.SYSADMIN)
@require_POST
def round_open_view(request):
    from whistle.core.params import parse_year

    def action():
        year = parse_year(request.POST.get("year"))
        return services.round_open(request.actor, county=request.POST.get("county"), year=year)

    try:
        rnd = action()
    except (NotFound, Forbidden):
        raise
    except Problem as problem:
        messages.error(request, problem.detail)
        return redirect("landyield:home")
    messages.success(request, f"已建立{rnd}，参评名单 {rnd.participants.count()} 家")
    return redirect("landyield:round", pk=rnd.pk)


def _round_context(request, rnd) -> dict:
    actor = request.actor
    manage = access.can_manage(actor, rnd)
    today = timezone.localdate()
    frozen = rnd.is_frozen
    return {
        "r": rnd,
        "manage": manage,
        "owned": access.owned_kinds(actor, rnd),
        "can_score": manage and not frozen and rnd.state != RoundState.PUBLICITY,
        "can_publish": manage and rnd.state == RoundState.SCORED and not rnd.needs_rescore,
        "can_sign_off": manage
        and not rnd.needs_rescore
        and (
            rnd.state == RoundState.REVIEW
            or (rnd.state == RoundState.PUBLICITY and rnd.publicity_ends_on and today > rnd.publicity_ends_on)
        ),
        "can_import": bool(access.owned_kinds(actor, rnd))
        and not frozen
        and rnd.state not in (RoundState.PUBLICITY, RoundState.REVIEW),
        "mix": selectors.class_mix(rnd),
        "groups": dict(Group.choices),
    }


@page(*OFFICIAL_ROLES)
def round_view(request, pk):
    actor = request.actor
    rnd = selectors.round_get(actor, pk)
    f = request.GET
    qs = selectors.participant_list(
        actor,
        rnd,
        klass=f.get("klass", "") if f.get("klass", "") in Klass.values else "",
        group=f.get("group", "") if f.get("group", "") in Group.values else "",
        status=f.get("status", "") if f.get("status", "") in ParticipantStatus.values else "",
        q=(f.get("q") or "")[:60],
    )
    context = _round_context(request, rnd)
    context.update(
        {
            "participants": list(qs[:PAGE_ROWS]),
            "total": qs.count(),
            "objections": list(selectors.objection_list(actor, rnd, state="open")[:50]),
            "open_crosschecks": rnd.crosschecks.filter(state="open").count(),
            "changes": list(rnd.changes.select_related("enterprise")[:20]),
            "filters": f,
            "klasses": Klass.choices,
            "utilities": Utility.choices,
            "owners": list(rnd.owners.select_related("unit", "kind").order_by("kind__order")),
        }
    )
    return render(request, "landyield/round.html", context)


@page(*OFFICIAL_ROLES)
@require_POST
def round_act(request, pk):
    actor = request.actor
    rnd = selectors.round_get(actor, pk)
    back = reverse("landyield:round", args=[rnd.pk])
    what = request.POST.get("action", "")
    p = request.POST
    actions = {
        "score": (
            lambda: services.round_score(actor, rnd.pk),
            lambda c: "评分完成：" + "，".join(f"{k}类{v}家" for k, v in c.items()),
        ),
        "publish": (
            lambda: services.round_publish(actor, rnd.pk, starts_on=p.get("starts_on") or None),
            lambda r: f"已公示，截止 {r.publicity_ends_on}",
        ),
        "sign_off": (lambda: services.round_sign_off(actor, rnd.pk), "已审定，结果已冻结"),
        "crosscheck": (lambda: crosscheck.crosscheck_run(actor, rnd.pk), lambda n: f"交叉核验完成，提示 {n} 条"),
        "participant": (
            lambda: services.participant_set(
                actor, rnd.pk, enterprise=p.get("uscc"), status=p.get("status", ""), reason=p.get("reason", "")
            ),
            "名单已调整",
        ),
    }
    if what not in actions:
        raise Http404("没有这个操作")
    action, done = actions[what]
    return _act(request, action, done, back)


@page(Role.HANDLER, Role.UNIT_ADMIN, Role.SYSADMIN)
def import_view(request, pk):
    actor = request.actor
    rnd = selectors.round_get(actor, pk)
    context = {"r": rnd, "kinds": [k for k in FigureKind.objects.all() if k.pk in access.owned_kinds(actor, rnd)]}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise Invalid("请选择要导入的文件", code="file_required", field="file")
            if upload.size > IMPORT_MAX_BYTES:
                raise Invalid("文件不能超过10MB", code="file_too_large", field="file")
            result = importing.import_figures(actor, rnd.pk, upload.read())
        except (NotFound, Forbidden):
            raise
        except Problem as problem:
            context["error"] = problem
            status = problem.status
        else:
            context["result"] = result
            request.session["landyield_import_rejects"] = result.rejects
    return render(request, "landyield/import.html", context, status=status)


@page(Role.HANDLER, Role.UNIT_ADMIN, Role.SYSADMIN)
def import_template(request, pk):
    rnd = selectors.round_get(request.actor, pk)
    return _xlsx(importing.template_workbook(request.actor, rnd), f"{rnd.year}年度数据报送模板.xlsx")


@page(Role.HANDLER, Role.UNIT_ADMIN, Role.SYSADMIN)
def import_rejects(request, pk):
    selectors.round_get(request.actor, pk)
    return _xlsx(importing.rejects_workbook(request.session.get("landyield_import_rejects", [])), "退回清单.xlsx")


@page(*OFFICIAL_ROLES)
def county_view(request, pk):
    actor = request.actor
    rnd = selectors.round_get(actor, pk)
    parks = selectors.park_view(rnd)
    trend = selectors.trend(actor, rnd.county_id)
    mix = selectors.class_mix(rnd)
    totals = {k: sum(m.get(k, 0) for m in mix.values()) for k in "ABCD"}
    charts = {
        "mix": [{"name": f"{k}类", "value": v} for k, v in totals.items()],
        "parks": [{"name": p["name"], "value": p["tax_per_mu"] or 0} for p in parks],
        "trend": trend,
    }
    return render(
        request,
        "landyield/county.html",
        {"r": rnd, "parks": parks, "trend": trend, "totals": totals, "charts": charts},
    )


@page(Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN, Role.HANDLER, Role.UNIT_ADMIN)
def whatif_view(request, pk):
    actor = request.actor
    rnd = selectors.round_get(actor, pk)
    spec = rnd.spec or services.scheme_spec(rnd.scheme)
    context = {"r": rnd, "spec": spec, "result": None, "form": request.POST}
    status = 200
    if request.method == "POST":
        overrides = {"weights": {}, "benchmarks": {}, "quota": {}}
        for key, value in request.POST.items():
            if key.startswith("w:") and value.strip():
                overrides["weights"][key[2:]] = value
            elif key.startswith("b:") and value.strip():
                overrides["benchmarks"][key[2:]] = value
            elif key.startswith("q:") and value.strip():
                overrides["quota"][key[2:]] = value
        try:
            context["result"] = whatif.whatif(actor, rnd.pk, overrides)
        except (NotFound, Forbidden):
            raise
        except Problem as problem:
            context["error"] = problem
            status = problem.status
    return render(request, "landyield/whatif.html", context, status=status)


@page(*OFFICIAL_ROLES)
def crosschecks_view(request, pk):
    actor = request.actor
    rnd = selectors.round_get(actor, pk)
    manage = access.can_manage(actor, rnd)
    if request.method == "POST":
        back = reverse("landyield:crosschecks", args=[rnd.pk])
        try:
            flag = int(request.POST.get("flag", ""))
        except ValueError:
            raise Http404("核验提示不存在") from None
        return _act(
            request,
            lambda: crosscheck.crosscheck_review(
                actor, flag, state=request.POST.get("state", ""), note=request.POST.get("note", "")
            ),
            "已记录核查结果",
            back,
        )
    return render(
        request,
        "landyield/crosschecks.html",
        {"r": rnd, "flags": list(selectors.crosscheck_list(actor, rnd)[:500]), "manage": manage and not rnd.is_frozen},
    )


@page(*OFFICIAL_ROLES)
def results_export(request, pk):
    rnd = selectors.round_get(request.actor, pk)
    return _xlsx(prices.results_workbook(rnd), f"{rnd}结果.xlsx")


@page(*OFFICIAL_ROLES)
def prices_export(request, pk):
    rnd = selectors.round_get(request.actor, pk)
    utility = request.GET.get("utility", Utility.POWER)
    if utility not in Utility.values:
        raise Http404("没有这个品种")
    if not rnd.is_frozen:
        raise PermissionDeniedPage("审定后才能生成差别化价格清单")
    label = dict(Utility.choices)[utility]
    return _xlsx(prices.price_workbook(rnd, utility), f"{rnd.year}年度{label}差别化价格清单.xlsx")


class PermissionDeniedPage(Forbidden):
    def __init__(self, detail):
        super().__init__(detail, code="round_not_frozen")


# ---- one enterprise -------------------------------------------------------------------------------------------------


def _participant_context(request, participant) -> dict:
    actor = request.actor
    rnd = participant.round
    today = timezone.localdate()
    page_data = selectors.enterprise_page(actor, participant)
    is_own = actor.role == Role.ENTERPRISE
    manage = access.can_manage(actor, rnd)
    collecting = rnd.state == RoundState.COLLECTING
    before_publicity = rnd.state in (RoundState.COLLECTING, RoundState.SCORED)
    publicity_open = rnd.state == RoundState.PUBLICITY and rnd.publicity_ends_on and today <= rnd.publicity_ends_on
    figures = selectors.figure_rows(actor, participant)
    for row in figures:
        row["can_write"] = (
            row["can_write"] and not rnd.is_frozen and rnd.state in (RoundState.COLLECTING, RoundState.SCORED)
        )
        row["can_dispute"] = (
            is_own
            and row["figure"] is not None
            and row["open_objection"] is None
            and (before_publicity or publicity_open)
        )
    return {
        **page_data,
        "figures": figures,
        "is_own": is_own,
        "manage": manage,
        "can_confirm": is_own
        and collecting
        and any(r["figure"] and r["figure"].state == "verified" for r in figures)
        and not any(r["figure"] and r["figure"].state == "disputed" for r in figures),
        "can_object_class": is_own and publicity_open,
        "can_items": manage and not rnd.is_frozen and rnd.state != RoundState.PUBLICITY,
        "scheme_items": list(SchemeItem.objects.filter(scheme=rnd.scheme)),
        "can_patronage": actor.role in (Role.COORDINATOR, Role.SYSADMIN)
        and manage
        and participant.klass == "D"
        and rnd.is_frozen,
        "can_problem": actor.role in (Role.COORDINATOR, Role.LEADER) and participant.klass == "D" and rnd.is_frozen,
        "leaders": list(Membership.objects.filter(role=Role.LEADER).select_related("user", "unit")[:200])
        if actor.role in (Role.COORDINATOR, Role.SYSADMIN)
        else [],
        "categories": category_choices() if actor.role in (Role.COORDINATOR, Role.LEADER) else [],
        "objections": list(participant.objections.select_related("figure__kind").prefetch_related("files")),
        "publicity_open": publicity_open,
    }


@page()
def participant_view(request, pk):
    participant = selectors.participant_get(request.actor, pk)
    return render(request, "landyield/participant.html", _participant_context(request, participant))


@page()
@require_POST
def participant_act(request, pk):
    actor = request.actor
    participant = selectors.participant_get(actor, pk)
    back = reverse("landyield:participant", args=[participant.pk])
    p = request.POST
    what = p.get("action", "")
    if what == "figure":
        return _act(
            request,
            lambda: services.figure_record(
                actor, participant.pk, p.get("kind"), p.get("value"), note=p.get("note", "")
            ),
            "数据已保存",
            back,
        )
    if what == "confirm":
        return _act(
            request, lambda: services.figures_confirm(actor, participant.pk), lambda n: f"已确认 {n} 项数据", back
        )
    if what == "object":
        return _act(
            request,
            lambda: services.objection_file(
                actor,
                participant.pk,
                text=p.get("text", ""),
                kind_code=p.get("kind") or None,
                claimed_value=p.get("claimed_value"),
                files=request.FILES.getlist("files"),
            ),
            "异议已提交，责任部门答复后通知您",
            back,
        )
    if what == "items":
        return _act(
            request,
            lambda: services.participant_items(actor, participant.pk, p.getlist("items"), reason=p.get("reason", "")),
            "加减分、否决与保护项已保存",
            back,
        )
    if what == "patronage":
        visits = [(d, x) for d, x in zip(p.getlist("visit_on"), p.getlist("visit_purpose")) if d or x]
        return _act(
            request,
            lambda: services.d_class_patronage(
                actor,
                participant.pk,
                leader=p.get("leader"),
                lead_unit=p.get("lead_unit"),
                started_on=p.get("started_on"),
                visits=visits,
            ),
            "已纳入领导包保并安排走访",
            back,
        )
    if what == "problem":
        return _act(
            request,
            lambda: services.problem_raise(
                actor, participant.pk, description=p.get("description", ""), category=p.get("category", "")
            ),
            lambda case: f"已转为工单 {case.number}",
            back,
        )
    raise Http404("没有这个操作")


@page()
def objection_view(request, pk):
    actor = request.actor
    objection = selectors.objection_get(actor, pk)
    rnd = objection.participant.round
    if objection.figure_id:
        can_answer = objection.figure.kind_id in access.owned_kinds(actor, rnd) or actor.role == Role.SYSADMIN
    else:
        can_answer = access.can_manage(actor, rnd)
    can_answer = can_answer and objection.state == Objection.State.OPEN and not rnd.is_frozen
    if request.method == "POST":
        back = reverse("landyield:objection", args=[objection.pk])
        return _act(
            request,
            lambda: services.objection_answer(
                actor,
                objection.pk,
                answer=request.POST.get("answer", ""),
                corrected_value=request.POST.get("corrected_value"),
            ),
            "已答复",
            back,
        )
    return render(
        request,
        "landyield/objection.html",
        {"o": objection, "r": rnd, "can_answer": can_answer, "files": list(objection.files.all())},
    )


@page()
def objection_file_view(request, pk):
    stored = selectors.objection_file_get(request.actor, pk)
    return FileResponse(
        stored.file.open("rb"), as_attachment=True, filename=stored.name, content_type=stored.content_type
    )
