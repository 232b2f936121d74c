"""The 不罚/轻罚 section of the leader's cockpit: `{% load leniency %}{% leniency_cockpit month %}` in the cockpit
template (the dashboard names no app above it; the section reads its own selector per request)."""

from django import template

from whistle.leniency.selectors import cockpit_summary

register = template.Library()


@register.inclusion_tag("leniency/_cockpit.html", takes_context=True)
def leniency_cockpit(context, month):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    return {"leniency": cockpit_summary(actor, month) if actor is not None else None, "request": request}
