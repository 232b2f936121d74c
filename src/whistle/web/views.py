"""Thin pages: read through selectors, write through services, show a refusal beside the field it names."""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from whistle.cases import selectors, services
from whistle.cases.models import Resolution, Satisfaction, State
from whistle.cases.visibility import requester_events
from whistle.cases.workflow import TRANSITIONS, allowed_actions
from whistle.core import params
from whistle.core.errors import Invalid, Problem
from whistle.org.models import Role
from whistle.org.selectors import units_for
from whistle.org.services import login_check, password_change_required, password_set
from whistle.pagekit import page

from . import exports
from . import selectors as pages
from .forms import ACTION_FORMS, UNIT_FORMS, CaseSubmitForm, LoginForm, category_choices
from .timeline import reopen_reason, timeline

PAGE_SIZE = 20
UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)
LEDGER_ROLES = (Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN, *UNIT_ROLES)


# ---- signing in --------------------------------------------------------------------------------------


def login_view(request):
    """Signs in through `login_check`, the one check the API's token endpoint and the admin use too. An account
    that must change its password (a first sign-in, or the published demo password outside demo mode) is not
    signed in yet: it goes to the first-password page, which signs it in once the password is changed."""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                user = login_check(form.cleaned_data["username"], form.cleaned_data["password"], request)
            except Problem as problem:
                form.add_problem(problem)
                status = problem.status
            else:
                target = request.POST.get("next", "")
                if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                    target = reverse("web:home")
                if password_change_required(user):
                    request.session.cycle_key()
                    request.session[FIRST_PASSWORD_KEY] = {
                        "user": user.pk,
                        "at": timezone.now().timestamp(),
                        "next": target,
                    }
                    return redirect("web:first_password")
                auth_login(request, user)
                return redirect(target)
    return render(request, "web/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


FIRST_PASSWORD_KEY = "first_password"
FIRST_PASSWORD_SECONDS = 600  # the old password was typed moments ago; after this, sign in again


def first_password(request):
    """Set one's own password before the first sign-in completes. Reached only from the login form."""
    pending = request.session.get(FIRST_PASSWORD_KEY) or {}
    user = None
    if pending and timezone.now().timestamp() - pending.get("at", 0) < FIRST_PASSWORD_SECONDS:
        user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        request.session.pop(FIRST_PASSWORD_KEY, None)
        messages.info(request, "请重新登录")
        return redirect("web:login")
    form = SetPasswordForm(user, request.POST or None)
    form.label_suffix = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                password_set(user, form.cleaned_data["new_password1"], field="new_password1")
            except Problem as problem:
                form.add_error("new_password1", problem.detail)
            else:
                request.session.pop(FIRST_PASSWORD_KEY, None)
                auth_login(request, user)
                messages.success(request, "密码已设置，欢迎使用")
                return redirect(pending.get("next") or "web:home")
        return render(
            request, "web/password.html", {"form": form, "first": True, "username": user.get_username()}, status=422
        )
    return render(request, "web/password.html", {"form": form, "first": True, "username": user.get_username()})


@require_POST
def logout_view(request):
    """Ends the browser session only: API tokens belong to programs, not to this session (see api/auth.py)."""
    auth_logout(request)
    messages.info(request, "您已安全退出")
    return redirect("web:login")


@login_required
def password_change(request):
    """Not behind `page()`: an account told to change its password must still reach this page."""
    form = PasswordChangeForm(request.user, request.POST or None, label_suffix="")
    if request.method == "POST":
        if form.is_valid():
            password_set(request.user, form.cleaned_data["new_password1"], field="new_password1")
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("web:home")
        return render(request, "web/password.html", {"form": form}, status=422)
    return render(request, "web/password.html", {"form": form, "required": password_change_required(request.user)})


@page()
def home(request):
    role = request.actor.role
    if role == Role.ENTERPRISE:
        return redirect("web:my_cases")
    if role in UNIT_ROLES:
        return redirect("web:desk")
    if role == Role.LEADER:
        return redirect("dashboard:cockpit")
    if role == Role.COORDINATOR:
        return redirect(reverse("web:ledger") + "?view=queue")
    if role == Role.DATA_REVIEWER:
        return redirect("indicators:review")
    if role == Role.REFORM_OFFICE:
        return redirect("reforms:board")
    if role == Role.INSPECTOR:
        return redirect("leniency:home")
    if role == Role.CHAIN_OFFICE:
        return redirect("chains:board")
    return redirect("web:ledger")


# ---- enterprise --------------------------------------------------------------------------------------


@page(Role.ENTERPRISE)
def case_new(request):
    actor = request.actor
    form = CaseSubmitForm(
        request.POST or None,
        request.FILES or None,
        enterprise=actor.membership.enterprise,
        city_id=selectors.category_city(actor),
        urgencies=services.urgency_choices(actor),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                case, created = services.case_submit_with_files(
                    actor,
                    form.cleaned_data["files"],
                    **form.submission(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except Problem as problem:
                form.add_problem(problem)
            else:
                if created:
                    messages.success(request, f"诉求已提交，编号{case.number}。承办单位签收后会与您联系。")
                else:  # the same form sent again (back button, double tap): the case it already created
                    at = timezone.localtime(case.submitted_at)
                    messages.info(
                        request, f"这份诉求已于{at.month}月{at.day}日{at:%H:%M}提交，编号{case.number}，没有重复提交。"
                    )
                return redirect("web:case", number=case.number)
        return render(request, "web/case_new.html", {"form": form}, status=422)
    return render(request, "web/case_new.html", {"form": form})


@page()
def category_options(request):
    """The category picker's search (htmx): the matching options, grouped, keeping the current choice."""
    query = request.GET.get("category_q", "").strip()
    return render(
        request,
        "web/_category_options.html",
        {
            "groups": category_choices(query, city_id=selectors.category_city(request.actor)),
            "selected": request.GET.get("category", ""),
            "query": query,
        },
    )


@page(Role.ENTERPRISE)
def my_cases(request):
    actor = request.actor
    cases = Paginator(selectors.case_list(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    to_rate = selectors.case_list(actor, state=State.REPLIED).count()
    return render(request, "web/my_cases.html", {"cases": cases, "to_rate": to_rate, "now": timezone.now()})


# ---- one case, every role ----------------------------------------------------------------------------


def _form_for(action, case, actor, data=None, files=None):
    kwargs = {}
    if action in UNIT_FORMS:
        # A coordinator dispatches inside its own subtree; a handler returning suggests a unit near the case.
        kwargs["units"] = units_for(actor) if action in ("dispatch", "redispatch") else pages.suggestable_units(case)
    return ACTION_FORMS[action](data, files, case=case, actor=actor, prefix=action, **kwargs)


def _case_page(request, case, bound=None, bound_action="", status=200):
    actor = request.actor
    events = list(selectors.case_events(case))
    if actor.role == Role.ENTERPRISE:
        events = requester_events(case, events, actor)  # no internal notes, no staff names (cases.visibility)
    actions = [t.action for t in allowed_actions(actor, case) if t.action in ACTION_FORMS]
    if bound_action and bound_action not in actions:
        actions.insert(0, bound_action)  # refused because the case moved on: still show why
    # What a person came to the page to do (a row marked primary) is shown open: the first the actor may take, in the
    # table's order (no actor has two primary rows open on one case at once).
    primary = next((a for a in actions if TRANSITIONS[a].primary), None)
    shown = bound_action or primary
    forms = [
        {
            "action": a,
            "label": TRANSITIONS[a].label,
            "open": a == shown,
            "form": bound if a == bound_action else _form_for(a, case, actor),
        }
        for a in actions
    ]
    context = {
        "case": case,
        "entries": timeline(events),
        "reopen_reason": reopen_reason(events) if case.reopen_count else "",
        "forms": forms,
        "attachments": case.attachments.order_by("pk"),
        "assisting_units": case.assisting_units.all(),
        "now": timezone.now(),
        "is_requester_side": actor.role == Role.ENTERPRISE,
        "last_reply": next((e for e in reversed(events) if e.action == "reply"), None),
    }
    return render(request, "web/case.html", context, status=status)


@page()
def case_detail(request, number):
    return _case_page(request, selectors.case_get(request.actor, number))


@page()
@require_POST
def case_act(request, number, action):
    actor = request.actor
    if action not in ACTION_FORMS:
        raise Http404("没有这个操作")
    case = selectors.case_get(actor, number)
    form = _form_for(action, case, actor, request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            services.case_transition_with_files(  # "attach" is only files
                actor, case.number, None if action == "attach" else action, form.payload(), form.files_to_attach
            )
        except Problem as problem:
            form.add_problem(problem)
            status = problem.status
        else:
            messages.success(request, f"已{TRANSITIONS[action].label}")
            if selectors.case_list(actor).filter(pk=case.pk).exists():
                return redirect("web:case", number=case.number)
            # A return hands the case back to the office: the unit can no longer open it.
            return redirect("web:home")
    return _case_page(request, selectors.case_get(actor, number), form, action, status)


@page()
def attachment(request, number, pk):
    case = selectors.case_get(request.actor, number)
    item = get_object_or_404(case.attachments, pk=pk)
    inline = item.content_type.startswith("image/") or item.content_type == "application/pdf"
    return FileResponse(
        item.file.open("rb"), as_attachment=not inline, filename=item.name, content_type=item.content_type
    )


# ---- handler's desk ----------------------------------------------------------------------------------


@page(*UNIT_ROLES)
def desk(request):
    actor = request.actor
    now = timezone.now()
    inbox = selectors.inbox(actor)
    summary = pages.desk_summary(inbox, now)
    # The summary already counted the inbox: page it without a second COUNT.
    paginator = Paginator(inbox, PAGE_SIZE)
    paginator.count = summary["total"]
    cases = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "web/desk.html",
        {
            "cases": cases,
            "summary": summary,
            "assisting": pages.assisting(actor)[:PAGE_SIZE],
            "now": now,
        },
    )


# ---- coordination office: the independent call-back sample (回访抽查) ------------------------------------

CALLBACK_ROLES = (Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN)


def _callbacks_page(request, *, error=None, failed=None, form=None, status=200):
    actor = request.actor
    pending = list(selectors.callback_list(actor, state="pending")[:PAGE_SIZE])
    done = list(selectors.callback_list(actor).exclude(state="pending").order_by("-checked_at")[:PAGE_SIZE])
    return render(
        request,
        "web/callbacks.html",
        {
            "pending": pending,
            "done": done,
            "summary": selectors.callback_summary(actor),
            "can_record": actor.role == Role.COORDINATOR,
            "resolutions": Resolution.choices,
            "satisfactions": Satisfaction.choices,
            "error": error,
            "failed": failed,
            "form": form or {},
        },
        status=status,
    )


@page(*CALLBACK_ROLES)
def callbacks(request):
    return _callbacks_page(request)


@require_POST
@page(Role.COORDINATOR)
def callback_record(request, pk):
    form = request.POST
    try:
        check = services.callback_record(
            request.actor,
            pk,
            resolution=form.get("resolution", ""),
            satisfaction=form.get("satisfaction", ""),
            note=form.get("note", ""),
        )
    except Problem as problem:
        if problem.status == 404:
            raise
        return _callbacks_page(request, error=problem, failed=pk, form=form, status=problem.status)
    messages.success(
        request, f"已登记{check.case.number}的回访抽查" + ("，与企业回访评价不一致" if check.mismatch else "")
    )
    return redirect("web:callbacks")


# ---- coordination office: the ledger (台账) -------------------------------------------------------------


def _ledger_views(actor):
    return exports.ledger_views(actor)


def _ledger_form(request):
    return exports.ledger_form(request.actor, request.GET)


@page(*LEDGER_ROLES)
def ledger(request):
    actor = request.actor
    now = timezone.now()
    form = _ledger_form(request)
    if not form.is_valid():
        # A filter a person can fix (an unknown ?view=, a bad date): a Chinese 400 naming it, with the lists to pick from.
        errors = [
            f"{form.fields[name].label if name in form.fields else name}：{'；'.join(messages)}"
            for name, messages in form.errors.items()
        ]
        tabs = [{"key": v.key, "label": v.label, "count": None, "url": f"?view={v.key}"} for v in _ledger_views(actor)]
        # A bad link (?view= is no field of the form) is a 400; a field's error shows beside it, a 422 as elsewhere.
        return render(
            request,
            "web/ledger.html",
            {"form": form, "cases": [], "filtering": True, "errors": errors, "tabs": tabs, "current": ""},
            status=400 if "view" in form.errors else 422,
        )
    filters = form.cleaned_data
    current = filters.get("view") or "all"
    number = _page_number(request)
    found = pages.ledger(actor, filters, now)
    rows = list(found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
    cases, has_next = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    # The total the list explains (a cockpit figure links here): no COUNT when the first page is the whole list.
    total = len(cases) if number == 1 and not has_next else found.order_by().count()
    returns = pages.last_events([c.pk for c in cases if c.state == State.RETURNED], "return")
    for case in cases:
        case.last_return = returns.get(case.pk)
    query = request.GET.copy()
    query.pop("page", None)
    others = urlencode({k: v for k, v in request.GET.items() if k not in ("view", "page") and v})
    views = _ledger_views(actor)
    counts = pages.ledger_counts(actor, views, now)
    tabs = [
        {
            "key": v.key,
            "label": v.label,
            "count": counts.get(v.key),
            "url": f"?view={v.key}" + (f"&{others}" if others else ""),
        }
        for v in views
    ]
    return render(
        request,
        "web/ledger.html",
        {
            "form": form,
            "tabs": tabs,
            "current": current,
            "cases": cases,
            "now": now,
            "filtering": bool(others),
            "page": number,
            "has_next": has_next,
            "query": query.urlencode(),
            "total": total,
            "caption": pages.ledger_caption(filters),
        },
    )


def _page_number(request) -> int:
    try:  # bounded: page=10**20 was an OFFSET past the database's integers (a 500)
        return params.parse_page(request.GET.get("page"))
    except Invalid:
        return 1


@page(*LEDGER_ROLES)
def ledger_export(request):
    """The filtered 台账 as a file: written here when it is small (rule parameter web.ledger_export_immediate_max),
    else queued for the worker. GET (the old link) only ever answers small ones; POST starts large ones too."""
    actor = request.actor
    now = timezone.now()
    form = exports.ledger_form(actor, request.GET)
    if not form.is_valid():
        return render(request, "web/ledger.html", {"form": form, "cases": [], "filtering": True}, status=422)
    fmt = request.POST.get("format") or request.GET.get("format") or "xlsx"
    if fmt not in ("xlsx", "csv"):
        form.add_error(None, "导出格式只能是 xlsx 或 csv")
        return render(request, "web/ledger.html", {"form": form, "cases": [], "filtering": True}, status=422)
    rows = exports.ledger_rows(actor, form.cleaned_data, now)
    total = rows.count()
    if total > exports.immediate_max():
        if request.method != "POST":
            messages.info(request, f"符合条件的工单共 {total} 件，请点击“导出”在后台生成文件")
            return redirect(reverse("web:ledger") + "?" + request.GET.urlencode())
        query = request.GET.copy()
        query.pop("page", None)
        job = exports.export_start(actor, dict(query.lists()), fmt, total)
        return redirect("web:ledger_export_status", pk=job.pk)
    out = tempfile.TemporaryFile()
    exports.write_ledger(rows.iterator(chunk_size=2000), total, out, fmt, now)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=exports.filename(fmt, now), content_type=exports.content_type(fmt)
    )


@page(*LEDGER_ROLES)
def ledger_export_status(request, pk):
    """The export's progress; htmx polls the same address for the status block until the file is ready."""
    job = exports.export_get(request.actor, pk)
    template = "web/_export_status.html" if request.headers.get("HX-Request") else "web/export.html"
    return render(request, template, {"job": job})


@page(*LEDGER_ROLES)
def ledger_export_file(request, pk):
    job = exports.export_get(request.actor, pk)
    if job.state != "done" or not job.file:
        raise Http404("文件尚未生成")
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.download_name,
        content_type=exports.content_type(job.format),
    )
