"""The page kit every app's server-rendered pages share: the `page` decorator (signed in, a role among those named,
refusals as 403/404 pages) and the query helpers of their layouts. A leaf: it imports core and org only, so web,
dashboard, patronage, ratings and accountability use it without importing each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone

from whistle.core import params
from whistle.core.errors import Forbidden, Invalid, NotFound, Problem
from whistle.core.months import last_complete_month
from whistle.org.scopes import Actor


def page(*roles):
    """Signed in, with a role among `roles` (any role if none given); service refusals become 403/404 pages."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.actor = actor = Actor.of(request.user)
            if actor.role is None:
                raise PermissionDenied("您的账号尚未分配角色，请联系系统管理员")
            if roles and actor.role not in roles:
                raise PermissionDenied("您的角色无权查看此页面")
            if actor.membership.must_change_password:
                # Marked after this session began (an administrator's choice): nothing else until it is changed.
                return redirect("web:password")
            try:
                return view(request, *args, **kwargs)
            except NotFound as problem:
                raise Http404(problem.detail) from None
            except Forbidden as problem:
                raise PermissionDenied(problem.detail) from None

        return wrapped

    return decorate


def act(request, run: Callable, *, done, to: str, refused: Callable):
    """A form's POST, then a redirect (POST/redirect/GET): `run()` the write; a refusal (a `Problem`) answers
    `refused(problem)` — the page again with the error, at the problem's status; else the message `done` (or
    `done(result)`) is flashed and the browser sent to `to`."""
    try:
        result = run()
    except Problem as problem:
        return refused(problem)
    messages.success(request, done(result) if callable(done) else done)
    return redirect(to)


def month_param(request) -> dt.date:
    """`?month=YYYY-MM`; anything else (or a month in the future) is the last complete month."""
    try:
        month = params.parse_month(request.GET.get("month", ""))  # bounded: month=0001-01 was a 500
    except Invalid:
        month = None
    return month if month and month <= timezone.localdate() else last_complete_month(timezone.now())
