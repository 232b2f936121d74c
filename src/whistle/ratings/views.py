"""Public card pages (no login) and the printable card for administrators. Thin: services write, selectors read."""

import base64
import io
import re
import secrets
import tempfile
import zipfile

import segno
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from whistle.core import params, tables
from whistle.core.archive import entry_name
from whistle.core.errors import Invalid, NotFound, Problem
from whistle.core.links import public_url
from whistle.org.scopes import Actor

from .callbacks import callback_record, callbacks_of, relay_enabled
from .card_import import IMPORT_ROLES, import_cards, rejects_xlsx, template_xlsx
from .models import TAG_GRADES, Cadre, CallOutcome, Level, Tag
from .rating_rollup import card_page_key
from .rectification import progress, rating_for_token, rerate, rerate_token
from .selectors import (
    CONTACT_PURPOSES,
    card_get,
    contact_purpose,
    contact_rating_get,
    contact_reads,
    monthly_ranking,
    rating_summary,
    unit_cards_get,
)
from .services import appeal_file, appeal_review, rater_contact, rating_review, rating_submit

DEVICE_COOKIE = "whistle_device"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _card(code, request=None):
    """The card, and the page in its unit's city's wording (`core.wording.context`)."""
    try:
        target = card_get(code)
    except NotFound:
        raise Http404 from None
    if request is not None:
        request.wording_city = target.unit.city_id
    return target


def _qr(request, target):
    return segno.make(public_url(reverse("ratings:card", args=[target.card_code]), request), error="m")


# The card page as anyone first sees it is the same for everyone but its CSRF token: kept for a minute per card
# (`CARD_PAGE_SECONDS`) with the token cut out, and each answer puts the asker's own token back (`get_token`, which
# also sets the CSRF cookie the form's POST is checked against). Ratings, an edit of the card or its deactivation
# show within that minute; a change of its figures drops it at once (`rating_rollup.forget_card_pages`). A POST always
# reads the card afresh.
CARD_PAGE_SECONDS = 60
_CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_SLOT = "\x00csrf\x00"


def card_public(request, code):
    if request.method == "GET":
        key = card_page_key(code)
        page = cache.get(key)
        if page is None:
            page = _CSRF_INPUT.sub(
                lambda m: m.group(1) + _CSRF_SLOT + m.group(2), _card_page(request, code).content.decode()
            )
            cache.set(key, page, CARD_PAGE_SECONDS)
        response = HttpResponse(page.replace(_CSRF_SLOT, get_token(request)))
        # The browser may keep its own copy (its token is its own); no shared cache may.
        patch_cache_control(response, private=True, max_age=CARD_PAGE_SECONDS)
        return _with_device_cookie(request, response)
    return _with_device_cookie(request, _card_page(request, code))


def _card_page(request, code):
    target = _card(code, request)
    tags = [(tag.value, tag.label, " ".join(TAG_GRADES[tag])) for tag in Tag]
    context = {
        "target": target,
        "is_cadre": isinstance(target, Cadre),
        "levels": Level.choices,
        "tags": tags,
        "form": {},
        "error": None,
        "rating": None,
    }
    status = 200
    if request.method == "POST":
        form = request.POST
        context["form"] = {
            "level": form.get("level", ""),
            "tags": form.getlist("tags"),
            "comment": form.get("comment", ""),
            "case_number": form.get("case_number", ""),
            "phone": form.get("phone", ""),
        }
        # Without the cookie (first visit blocked cookies) the address and browser stand in for the device.
        device = _device(request)
        try:
            context["rating"] = rating = rating_submit(
                target, device=device, ip=request.META.get("REMOTE_ADDR", ""), **context["form"]
            )
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            if rating.rectification_id:
                context["rerate_url"] = public_url(reverse("ratings:rerate", args=[rerate_token(rating)]), request)
    # After a rating on PostgreSQL the write statement returned the card's figures with it (`card_levels`).
    context["summary"] = rating_summary(target, getattr(context["rating"], "card_levels", None))
    return render(request, "ratings/card.html", context, status=status)


def _with_device_cookie(request, response):
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(
            DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=400 * 86400, httponly=True, samesite="Lax"
        )
    return response


def _device(request) -> str:
    return (
        request.COOKIES.get(DEVICE_COOKIE)
        or f"{request.META.get('REMOTE_ADDR')}|{request.META.get('HTTP_USER_AGENT', '')}"
    )


def rerate_page(request, token):
    """The rater's link after a poor rating: how the rectification stands, and — once the unit has answered —
    the re-rating, recorded on the case (follow-up) and as a rating of the rectification case number."""
    try:
        rating = rating_for_token(token)
    except NotFound:
        raise Http404 from None
    context = {
        "rating": rating,
        "target": rating.target,
        "levels": Level.choices,
        "form": {},
        "error": None,
        "done": None,
    }
    status = 200
    if request.method == "POST":
        context["form"] = {"level": request.POST.get("level", ""), "comment": request.POST.get("comment", "")}
        try:
            context["done"] = rerate(
                token, device=_device(request), ip=request.META.get("REMOTE_ADDR", ""), **context["form"]
            )
        except Problem as problem:
            context["error"], status = problem, problem.status
    context.update(progress(rating.rectification_id))
    return render(request, "ratings/rerate.html", context, status=status)


def card_qr(request, code):
    response = HttpResponse(content_type="image/svg+xml")
    _qr(request, _card(code)).save(response, kind="svg", scale=4)
    return response


def _may_print(actor, unit) -> bool:
    from .selectors import may_print_card

    return may_print_card(actor, unit)


@login_required
def card_print(request, code):
    """The A6 card (105 × 148 mm) a unit prints and posts at the counter."""
    target = _card(code, request)
    if not _may_print(Actor.of(request.user), target.unit):
        raise Http404  # outside scope looks exactly like missing
    return render(
        request,
        "ratings/print.html",
        {"target": target, "is_cadre": isinstance(target, Cadre), "qr": _qr(request, target).svg_inline(scale=3)},
    )


CARD_DUTY_CHARS = 29  # CJK characters per line across the A6 card at 30 units (of 1050)
CARD_DUTY_LINES = 9


def _wrap(text: str, width: float) -> list[str]:
    """Lines for SVG, which does not wrap: a CJK character counts one, a Latin one about half."""
    lines = []
    for paragraph in (text or "").splitlines():
        line, used = "", 0.0
        for ch in paragraph.strip():
            w = 1.0 if ord(ch) > 0x2E80 else 0.55
            if used + w > width:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + ch, used + w
        if line:
            lines.append(line)
    return lines


def card_svg(request, target) -> str:
    """One A6 card as a complete SVG file: identity, duties (and service items), the QR code and the phone."""
    is_cadre = isinstance(target, Cadre)
    text = target.duties + ("\n" + target.service_items if is_cadre and target.service_items else "")
    lines = _wrap(text, CARD_DUTY_CHARS)
    if len(lines) > CARD_DUTY_LINES:
        lines = lines[: CARD_DUTY_LINES - 1] + [lines[CARD_DUTY_LINES - 1][: CARD_DUTY_CHARS - 1] + "…"]
    duties = [{"y": 400 + 42 * i, "text": line} for i, line in enumerate(lines)]
    buffer = io.BytesIO()
    _qr(request, target).save(buffer, kind="svg", xmldecl=False, svgns=False, nl=False, omitsize=True, border=2)
    inner = buffer.getvalue().decode()
    # Centred between the last line of duties and the phone lines (which start at 1300).
    top = 410 + 42 * len(lines)
    qr = {
        "size": 520,
        "x": 265,
        "y": top + max(0, (1290 - 520 - top) // 2),
        "attrs": inner[len("<svg") : -len("</svg>")],
    }
    return render(
        request, "ratings/card.svg", {"target": target, "is_cadre": is_cadre, "duties": duties, "qr": qr}
    ).content.decode()


@login_required
def card_file(request, code):
    """The card as an .svg file to print or send to a print shop."""
    target = _card(code)
    if not _may_print(Actor.of(request.user), target.unit):
        raise Http404
    response = HttpResponse(card_svg(request, target), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"亮码卡片-{target.name}-{target.card_code}.svg")
    return response


@login_required
def unit_cards(request, unit):
    """Every active card of a unit and the units under it, one SVG each, in a .zip."""
    try:
        root, cards = unit_cards_get(Actor.of(request.user), unit)
    except NotFound:
        raise Http404 from None
    out = tempfile.TemporaryFile()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind, target in cards:
            # Names are people's text: `../`, separators or control characters must not shape the path.
            archive.writestr(
                entry_name(target.unit.name, f"{kind}-{target.name}-{target.card_code}.svg"),
                card_svg(request, target),
            )
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"亮码卡片-{root.name}.zip", content_type="application/zip")


@login_required
def cards_template(request):
    response = HttpResponse(template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "干部和窗口导入模板.xlsx")
    return response


@login_required
def cards_import(request):
    """Upload page for a system or unit administrator: all rows go in, or none and a rejects report says why."""
    actor = Actor.of(request.user)
    if actor.role not in IMPORT_ROLES:
        raise Http404
    context, status = {"result": None, "error": None, "unit": actor.unit}, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            data = tables.uploaded(upload, max_bytes=IMPORT_MAX_BYTES)
            result = import_cards(actor, data, upload.name)
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            context["result"] = result
            if result.rejects:
                status = 422
                context["rejects_href"] = (
                    f"data:{XLSX};base64,{base64.b64encode(rejects_xlsx(result.rejects)).decode()}"
                )
    return render(request, "ratings/cards_import.html", context, status=status)


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
    return _decision_response(
        request, "ratings/appeal.html", lambda actor: appeal_file(actor, pk, request.POST.get("reason", ""))
    )


@require_POST
@login_required
def appeal_review_view(request, pk):
    return _decision_response(
        request,
        "ratings/appeal.html",
        lambda actor: appeal_review(actor, pk, request.POST.get("decision", ""), request.POST.get("review_reason", "")),
    )


@require_POST
@login_required
def rating_review_view(request, pk):
    return _decision_response(
        request,
        "ratings/review.html",
        lambda actor: rating_review(actor, pk, request.POST.get("decision", ""), request.POST.get("review_reason", "")),
    )


@login_required
def ranking(request):
    """Monthly 亮评价 of the cadres and windows in the signed-in user's scope (?month=2026-11, default this month)."""
    try:
        month = params.parse_month(request.GET.get("month", ""))
    except Invalid:
        month = timezone.localdate().replace(day=1)
    actor = Actor.of(request.user)
    return render(request, "ratings/ranking.html", {"month": month, "rows": monthly_ranking(actor, month)})


@never_cache  # the number is shown once, for this read: no copy kept by a browser or proxy
@login_required
def rater_contact_page(request, pk):
    """查看评价人电话: a poor rating's call-back for the rated unit's staff and its coordinators. The number shows only
    after a reason is chosen, and each showing is a logged read (services.rater_contact); outside scope: 404."""
    actor = Actor.of(request.user)
    try:
        rating = contact_rating_get(actor, pk)
    except NotFound:
        raise Http404 from None
    context = {
        "rating": rating,
        "target": rating.target,
        "purposes": CONTACT_PURPOSES.items(),
        "form": {},
        "error": None,
        "phone": None,
        "reader": actor.label,
    }
    status = 200
    if request.method == "POST" and "outcome" in request.POST:
        # The call's outcome (回访结果), recorded after a read: ratings/callbacks.py.
        context["outcome_form"] = {"outcome": request.POST.get("outcome", ""), "note": request.POST.get("note", "")}
        try:
            callback_record(actor, rating.pk, **context["outcome_form"])
        except Problem as problem:
            context["outcome_error"], status = problem, problem.status
        else:
            context["recorded"] = True
    elif request.method == "POST":
        context["form"] = {"reason": request.POST.get("reason", ""), "note": request.POST.get("note", "")}
        try:
            purpose = contact_purpose(**context["form"])
            context["phone"] = rater_contact(actor, rating.pk, purpose, staff_phone=request.POST.get("staff_phone", ""))
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            context["purpose"] = purpose
    context["relay"] = relay_enabled() and bool(rating.rater_phone_cipher)
    context["outcomes"] = CallOutcome.choices
    context["callbacks"] = callbacks_of(rating)
    context["reads"] = contact_reads(rating)
    return render(request, "ratings/contact.html", context, status=status)
