"""The navigation each role sees, and how a deadline reads to a person."""

import datetime as dt

from django import template
from django.apps import apps
from django.utils import timezone

from whistle.org.models import Role
from whistle.org.scopes import Actor

register = template.Library()

NAV = {
    Role.ENTERPRISE: [("web:case_new", "我要吹哨"), ("web:my_cases", "我的诉求")],
    Role.HANDLER: [("web:desk", "工作台"), ("web:ledger", "本单位工单")],
    Role.UNIT_ADMIN: [("web:desk", "工作台"), ("web:ledger", "本单位工单")],
    Role.COORDINATOR: [("web:ledger", "吹哨办"), ("web:callbacks", "回访抽查"), ("dashboard:cockpit", "看板")],
    Role.LEADER: [("dashboard:cockpit", "领导驾驶舱"), ("web:ledger", "工单台账")],
    Role.AUDITOR: [("web:ledger", "工单台账"), ("dashboard:cockpit", "看板")],
    Role.SYSADMIN: [("web:ledger", "工单台账"), ("dashboard:cockpit", "看板")],
}


def nav_links(role) -> list[tuple[str, str]]:
    """The core pages' links for a role, then those the other apps declare (`nav_links` on their AppConfig)."""
    extra = [link for config in apps.get_app_configs() for link in getattr(config, "nav_links", {}).get(role, [])]
    return NAV.get(role, []) + extra


@register.inclusion_tag("web/_nav.html", takes_context=True)
def nav(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"links": [], "user": None}
    actor = getattr(request, "actor", None) or Actor.of(user)
    return {
        "links": nav_links(actor.role),
        "user": user,
        "who": actor.label,
        "role": dict(Role.choices).get(actor.role, ""),
        "admin": user.is_staff,
        "current": request.resolver_match.view_name if request.resolver_match else "",
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/_due.html")
def due(case, now=None):
    """A case's next deadline with how it stands: overdue, due within a day, or fine."""
    now = now or timezone.now()
    moment = case.next_due_at
    if not case.is_open or moment is None:
        return {"moment": None, "state": "none"}
    state = "overdue" if moment < now else "soon" if moment - now < dt.timedelta(days=1) else "ok"
    return {"moment": moment, "state": state}


@register.filter
def when(moment) -> str:
    """A moment as people read it: 「3月5日 14:00」 within this year, 「2027年1月4日 09:00」 in any other, so a deadline
    that falls next year never reads as this year's. Dates (no time) read the same way without the clock."""
    if not moment:
        return ""
    today = timezone.localdate()
    if isinstance(moment, dt.datetime):
        local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        clock = f" {local:%H:%M}"
        day = local.date()
    else:
        day, clock = moment, ""
    text = f"{day.month}月{day.day}日{clock}"
    return text if day.year == today.year else f"{day.year}年{text}"


COORDINATING_ROLES = (Role.COORDINATOR, Role.SYSADMIN)


@register.inclusion_tag("web/_calendar_notice.html", takes_context=True)
def calendar_notice(context):
    """Coordinators (and administrators) are told when next year's holidays and 调休 are not entered yet: until they
    are, deadlines falling in it skip only the fixed-date holidays."""
    from whistle.core.calendar import next_year_missing

    request = context.get("request")
    actor = getattr(request, "actor", None)  # set on the signed-in pages (`page`); public pages have none
    user = getattr(request, "user", None)
    if actor is None or not (actor.is_system or actor.role in COORDINATING_ROLES):
        return {"year": None}
    return {"year": next_year_missing(), "admin": bool(user and user.is_staff)}
