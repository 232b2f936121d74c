"""Thin pages for coordinators: the proposals, one proposal with its evidence and decision, the action record,
a cadre's record, and the .xlsx export. Reads through selectors, writes through services."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from whistle.core import sheets
from whistle.core.errors import Problem
from whistle.pagekit import page

from . import exports, selectors, services
from .models import ActionKind, ProposalState
from .selectors import READ_ROLES

RECORD_KINDS = [(k, label) for k, label in ActionKind.choices if k in services.RECORDABLE]


@page(*READ_ROLES)
def proposals(request):
    context = selectors.proposals_page(request.actor, request.GET.get("state", ProposalState.PENDING))
    tabs = [(value, label) for value, label in ProposalState.choices] + [("all", "全部")]
    return render(
        request,
        "accountability/proposals.html",
        {**context, "tabs": tabs, "can_decide": request.actor.role == "coordinator"},
    )


def _detail(request, pk, *, error=None, form=None, status=200):
    return render(
        request,
        "accountability/proposal.html",
        {
            **selectors.proposal_detail(request.actor, pk),
            "can_decide": request.actor.role == "coordinator",
            "kinds": RECORD_KINDS,
            "error": error,
            "form": form or {},
            "today": timezone.localdate().isoformat(),
        },
        status=status,
    )


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


@page(*READ_ROLES)
def export(request):
    """问责建议 and 问责记录 in the actor's scope, one sheet each."""
    name = f"问责-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(exports.workbook(request.actor), as_attachment=True, filename=name, content_type=sheets.XLSX)


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
        proposal = services.proposal_raise_by_hand(
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
