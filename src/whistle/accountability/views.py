"""Thin pages for coordinators: the proposals, one proposal with its evidence and decision, the action record,
a cadre's record, and the .xlsx export. Reads through selectors, writes through services."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from whistle.core import sheets
from whistle.core.errors import Problem
from whistle.pagekit import page

from . import selectors, services
from .models import ActionKind, ProposalState, Rule
from .selectors import READ_ROLES

RECORD_KINDS = [(k, label) for k, label in ActionKind.choices if k in services.RECORDABLE]


@page(*READ_ROLES)
def proposals(request):
    state = request.GET.get("state", ProposalState.PENDING)
    if state not in ProposalState.values and state != "all":
        state = ProposalState.PENDING
    rows = selectors.proposal_list(request.actor, state=None if state == "all" else state)
    tabs = [(value, label) for value, label in ProposalState.choices] + [("all", "全部")]
    return render(
        request,
        "accountability/proposals.html",
        {
            "proposals": rows[:200],
            "state": state,
            "tabs": tabs,
            "can_decide": request.actor.role == "coordinator",
            "actions": selectors.action_list(request.actor)[:20],
            "rules": Rule.objects.filter(is_active=True),
        },
    )


def _detail(request, pk, *, error=None, form=None, status=200):
    proposal = selectors.proposal_get(request.actor, pk)
    return render(
        request,
        "accountability/proposal.html",
        {
            "p": proposal,
            "actions": proposal.actions.select_related("recorded_by__membership"),
            "can_decide": request.actor.role == "coordinator",
            "kinds": RECORD_KINDS,
            "error": error,
            "form": form or {},
            "today": timezone.localdate().isoformat(),
            "ratings": _evidence_ratings(proposal),
        },
        status=status,
    )


def _evidence_ratings(proposal):
    from whistle.ratings.models import Rating

    ids = proposal.evidence.get("ratings") or []
    return Rating.objects.filter(pk__in=ids).select_related("rectification").order_by("created_at") if ids else []


@page(*READ_ROLES)
def proposal_detail(request, pk):
    return _detail(request, pk)


@require_POST
@page(*READ_ROLES)
def proposal_decide_view(request, pk):
    try:
        services.proposal_decide(request.actor, pk, request.POST.get("decision", ""), request.POST.get("reason", ""))
    except Problem as problem:
        if problem.status == 404:
            raise
        return _detail(request, pk, error=problem, form=request.POST, status=problem.status)
    return redirect("accountability:proposal", pk=pk)


@require_POST
@page(*READ_ROLES)
def action_record_view(request, pk):
    form = request.POST
    try:
        services.action_record(
            request.actor,
            pk,
            kind=form.get("kind", ""),
            held_on=form.get("held_on", ""),
            participants=form.get("participants", ""),
            outcome=form.get("outcome", ""),
        )
    except Problem as problem:
        if problem.status == 404:
            raise
        return _detail(request, pk, error=problem, form=form, status=problem.status)
    return redirect("accountability:proposal", pk=pk)


@page(*READ_ROLES)
def cadre_record_view(request, pk):
    from whistle.ratings.selectors import may_print_card

    record = selectors.cadre_record(request.actor, pk)
    # An auditor reads the record but may not print cards: no link that would answer 404.
    record["may_print"] = may_print_card(request.actor, record["cadre"].unit)
    return render(request, "accountability/cadre.html", record)


PROPOSAL_COLUMNS = [
    "编号",
    "建议措施",
    "对象类型",
    "对象",
    "所属单位",
    "事由",
    "规则",
    "提出时间",
    "状态",
    "确认人",
    "确认时间",
    "确认意见",
]
ACTION_COLUMNS = ["建议编号", "措施", "对象", "所属单位", "日期", "参加人员", "结果", "记录人", "记录时间"]


def _who(user) -> str:
    if user is None:
        return ""
    membership = getattr(user, "membership", None)
    return (membership.display_name if membership else "") or user.get_username()


@page(*READ_ROLES)
def export(request):
    """问责建议 and 问责记录 in the actor's scope, one sheet each."""
    actor = request.actor
    out = tempfile.TemporaryFile()
    book = sheets.Book(out, constant_memory=True)
    proposals = selectors.proposal_list(actor)
    sheet = book.sheet("问责建议", PROPOSAL_COLUMNS, rows=proposals.count())
    for p in proposals.iterator(chunk_size=1000):
        sheet.row(
            [
                p.pk,
                p.get_action_display(),
                p.get_subject_display(),
                p.target.name,
                p.unit.name,
                p.summary,
                p.rule.name,
                p.created_at,
                p.get_state_display(),
                _who(p.decided_by),
                p.decided_at,
                p.decision_reason,
            ]
        )
    actions = selectors.action_list(actor)
    sheet = book.sheet("问责记录", ACTION_COLUMNS, rows=actions.count())
    for a in actions.iterator(chunk_size=1000):
        sheet.row(
            [
                a.proposal_id,
                a.get_kind_display(),
                a.proposal.target.name,
                a.proposal.unit.name,
                a.held_on,
                a.participants,
                a.outcome,
                _who(a.recorded_by),
                a.recorded_at,
            ]
        )
    book.close()
    out.seek(0)
    name = f"问责-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=sheets.XLSX)


# ---- raised by hand, and the referral letter (issue 14 §12) -------------------------------------------------

RAISE_SUBJECTS = [("unit", "单位"), ("cadre", "干部"), ("window", "窗口")]


def _raise_page(request, *, error=None, form=None, status=200):
    from whistle.org.selectors import units_for

    form = form or request.GET
    cadre = None
    if form.get("subject") == "cadre" and str(form.get("subject_id", "")).isdecimal():
        cadre = selectors.cadre_for_raise(request.actor, int(form["subject_id"]))
    return render(
        request,
        "accountability/raise.html",
        {
            "units": units_for(request.actor),
            "cadre": cadre,
            "kinds": RECORD_KINDS,
            "subjects": RAISE_SUBJECTS,
            "form": form,
            "error": error,
        },
        status=status,
    )


@page("coordinator")
def proposal_raise_view(request):
    """吹哨办 raises a proposal by hand with its evidence (most often 移送纪检监察); decided like any other."""
    if request.method != "POST":
        return _raise_page(request)
    form = request.POST
    try:
        proposal = services.proposal_raise(
            request.actor,
            subject=form.get("subject", ""),
            subject_id=form.get("subject_id", ""),
            action=form.get("action", ""),
            summary=form.get("summary", ""),
            evidence=form.get("evidence", ""),
        )
    except Problem as problem:
        return _raise_page(request, error=problem, form=form, status=problem.status)
    return redirect("accountability:proposal", pk=proposal.pk)


@page(*READ_ROLES)
def referral_letter(request, pk):
    """The printable 移送函 of a confirmed referral, in the city's wording (no codes, no research notes)."""
    return render(request, "accountability/referral_letter.html", selectors.referral_letter(request.actor, pk))
