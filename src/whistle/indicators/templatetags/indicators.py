"""The cockpit's warning section: `{% load indicators %}{% indicator_warnings request.actor %}` in any page."""

from django import template

from whistle.indicators.selectors import can_view, cockpit_section

register = template.Library()


@register.inclusion_tag("indicators/_cockpit.html")
def indicator_warnings(actor):
    if actor is None or not can_view(actor):
        return {"section": None}
    return {"section": cockpit_section(actor)}
