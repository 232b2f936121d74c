"""Public card pages (no login) and the printable card for administrators. Thin: services write, selectors read."""
import datetime as dt
import secrets

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.urls import reverse
from django.utils import timezone

from whistle.cases.models import Case
from whistle.core.errors import NotFound, Problem
from whistle.org.models import Role
from whistle.org.scopes import Actor

from .models import Cadre, Level, Tag
from .rectification import progress, rating_for_token, rerate, rerate_token
from .selectors import card_get, monthly_ranking, rating_summary
from .services import appeal_file, appeal_review, rating_review, rating_submit

DEVICE_COOKIE = "whistle_device"
PRINTING_ROLES = {Role.UNIT_ADMIN, Role.COORDINATOR, Role.LEADER, Role.SYSADMIN}


def _card(code):
    try:
        return card_get(code)
    except NotFound:
        raise Http404 from None


def _qr(request, target):
    return segno.make(request.build_absolute_uri(reverse("ratings:card", args=[target.card_code])), error="m")


def card_public(request, code):
    target = _card(code)
    context = {"target": target, "is_cadre": isinstance(target, Cadre), "levels": Level.choices, "tags": Tag.choices,
               "form": {}, "error": None, "rating": None}
    status = 200
    if request.method == "POST":
        form = request.POST
        context["form"] = {"level": form.get("level", ""), "tags": form.getlist("tags"), "comment": form.get("comment", ""),
                           "case_number": form.get("case_number", ""), "phone": form.get("phone", "")}
        # Without the cookie (first visit blocked cookies) the address and browser stand in for the device.
        device = _device(request)
        try:
            context["rating"] = rating = rating_submit(target, device=device, ip=request.META.get("REMOTE_ADDR", ""), **context["form"])
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            if rating.rectification_id:
                context["rerate_url"] = request.build_absolute_uri(reverse("ratings:rerate", args=[rerate_token(rating)]))
    context["summary"] = rating_summary(target)
    response = render(request, "ratings/card.html", context, status=status)
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=400 * 86400, httponly=True, samesite="Lax")
    return response


def _device(request) -> str:
    return request.COOKIES.get(DEVICE_COOKIE) or f"{request.META.get('REMOTE_ADDR')}|{request.META.get('HTTP_USER_AGENT', '')}"


def rerate_page(request, token):
    """The rater's link after a poor rating: how the rectification stands, and — once the unit has answered —
    the re-rating, recorded on the case (follow-up) and as a rating of the rectification case number."""
    try:
        rating = rating_for_token(token)
    except NotFound:
        raise Http404 from None
    context = {"rating": rating, "target": rating.target, "levels": Level.choices, "form": {}, "error": None, "done": None}
    status = 200
    if request.method == "POST":
        context["form"] = {"level": request.POST.get("level", ""), "comment": request.POST.get("comment", "")}
        try:
            context["done"] = rerate(token, device=_device(request), ip=request.META.get("REMOTE_ADDR", ""), **context["form"])
        except Problem as problem:
            context["error"], status = problem, problem.status
    context.update(progress(Case.objects.get(pk=rating.rectification_id)))
    return render(request, "ratings/rerate.html", context, status=status)


def card_qr(request, code):
    response = HttpResponse(content_type="image/svg+xml")
    _qr(request, _card(code)).save(response, kind="svg", scale=4)
    return response


@login_required
def card_print(request, code):
    """The A6 card (105 × 148 mm) a unit prints and posts at the counter."""
    target = _card(code)
    actor = Actor.of(request.user)
    if actor.role not in PRINTING_ROLES or not (actor.role == Role.SYSADMIN or actor.covers(target.unit)):
        raise Http404  # outside scope looks exactly like missing
    return render(request, "ratings/print.html", {"target": target, "is_cadre": isinstance(target, Cadre),
                                                  "qr": _qr(request, target).svg_inline(scale=3)})


def _decision_response(request, template, act):
    try:
        done = act(Actor.of(request.user))
    except NotFound:
        raise Http404 from None  # outside scope looks exactly like missing
    except Problem as problem:
        return render(request, template, {"error": problem}, status=problem.status)
    return render(request, template, {"done": done})


@require_POST
@login_required
def appeal_file_view(request, pk):
    return _decision_response(request, "ratings/appeal.html", lambda actor: appeal_file(actor, pk, request.POST.get("reason", "")))


@require_POST
@login_required
def appeal_review_view(request, pk):
    return _decision_response(request, "ratings/appeal.html", lambda actor: appeal_review(
        actor, pk, request.POST.get("decision", ""), request.POST.get("review_reason", "")))


@require_POST
@login_required
def rating_review_view(request, pk):
    return _decision_response(request, "ratings/review.html", lambda actor: rating_review(
        actor, pk, request.POST.get("decision", ""), request.POST.get("review_reason", "")))


@login_required
def ranking(request):
    """Monthly 亮评价 of the cadres and windows in the signed-in user's scope (?month=2026-11, default this month)."""
    try:
        month = dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        month = timezone.localdate().replace(day=1)
    actor = Actor.of(request.user)
    return render(request, "ratings/ranking.html", {"month": month, "rows": monthly_ranking(actor, month)})
