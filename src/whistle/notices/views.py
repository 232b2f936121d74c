"""消息 pages: one's in-app messages (the bell's page), one's channels (phone, WeChat, e-mail), and the coordinators'
failed notices. Thin: services write, selectors read."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from whistle.core.errors import Problem
from whistle.core.links import public_url
from whistle.pagekit import page

from . import channels, selectors, services
from .models import Channel

PAGE_SIZE = 20


@page()
def inbox(request):
    actor = request.actor
    items = Paginator(selectors.inbox(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/inbox.html", {"items": items, "unread": selectors.unread_count(actor.user)})


@page()
def open_message(request, pk):
    """Mark the message read and go where it points (the case page, the re-rate form …)."""
    message = services.message_read(request.actor, pk)
    parts = urlsplit(message.link)
    # Links are absolute (they also go out by SMS and e-mail); inside the site follow only their path.
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notices:inbox")
    return redirect(target)


@page()
@require_POST
def read_all(request):
    n = services.messages_read_all(request.actor)
    messages.success(request, f"已将 {n} 条消息标为已读")
    return redirect("notices:inbox")


def _settings_context(request, **extra):
    actor = request.actor
    profile = selectors.profile_of(actor.user)
    available = channels.configured()
    return {
        "profile": profile,
        "sms_available": Channel.SMS in available,
        "wechat_available": Channel.WECHAT in available,
        "email_available": Channel.EMAIL in available,
        "email": actor.user.email,
        **extra,
    }


@page()
def settings_page(request):
    actor = request.actor
    status, extra = 200, {}
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "channels":
                services.channels_set(
                    actor,
                    sms="sms" in request.POST,
                    wechat="wechat" in request.POST,
                    email="email" in request.POST,
                )
                messages.success(request, "通知方式已保存")
                return redirect("notices:settings")
            if step == "send_code":
                extra["phone"] = request.POST.get("phone", "")
                services.phone_verification_start(actor, extra["phone"])
                extra["code_sent"] = True
            elif step == "verify":
                services.phone_verify(actor, request.POST.get("code", ""))
                messages.success(request, "手机号已验证，之后的通知将发送到该手机")
                return redirect("notices:settings")
            elif step == "remove_phone":
                services.phone_remove(actor)
                return redirect("notices:settings")
            elif step == "wechat_unbind":
                services.wechat_unbind(actor)
                return redirect("notices:settings")
        except Problem as problem:
            extra["error"], status = problem, problem.status
            extra["code_sent"] = step == "verify"
    return render(request, "notices/settings.html", _settings_context(request, **extra), status=status)


@page()
def wechat_start(request):
    state = secrets.token_urlsafe(16)
    request.session["wechat_state"] = state
    callback = public_url(reverse("notices:wechat_callback"), request)
    return redirect(services.wechat_authorize_url(callback, state))


@page()
def wechat_callback(request):
    expected = request.session.pop("wechat_state", None)
    if not expected or request.GET.get("state") != expected:
        messages.error(request, "微信绑定已失效，请重新绑定")
        return redirect("notices:settings")
    try:
        services.wechat_bind(request.actor, request.GET.get("code", ""))
    except Problem as problem:
        messages.error(request, problem.detail)
    else:
        messages.success(request, "微信已绑定，之后的通知将通过公众号发送")
    return redirect("notices:settings")


@page("coordinator", "sysadmin")
def failed(request):
    items = Paginator(selectors.failed(request.actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/failed.html", {"items": items})


@page("coordinator", "sysadmin")
@require_POST
def requeue(request, pk):
    services.notice_requeue(request.actor, pk)
    messages.success(request, "已重新排队发送")
    return redirect("notices:failed")
