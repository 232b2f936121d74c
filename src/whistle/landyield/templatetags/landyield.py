"""The 亩产效益 section of the leader's cockpit: `{% load landyield %}{% landyield_cockpit %}` in the cockpit
template, one line at merge."""

from django import template

from whistle.org.scopes import Actor

from ..selectors import cockpit_summary

register = template.Library()


@register.inclusion_tag("landyield/_cockpit.html", takes_context=True)
def landyield_cockpit(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"summary": None}
    actor = getattr(request, "actor", None) or Actor.of(user)
    return {"summary": cockpit_summary(actor)}


@register.filter
def pct(value, total):
    try:
        return round(100 * value / total) if total else 0
    except (TypeError, ZeroDivisionError):
        return 0
