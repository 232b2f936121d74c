"""The reform section of the leader's cockpit: `{% load reforms %}{% reform_summary %}` in the cockpit template."""

from django import template

from whistle.reforms.selectors import leader_summary

register = template.Library()


@register.inclusion_tag("reforms/_cockpit.html", takes_context=True)
def reform_summary(context):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    return {"reforms": leader_summary(actor) if actor is not None else None, "request": request}
