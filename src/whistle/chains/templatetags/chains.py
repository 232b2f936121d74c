"""Template helpers of the chain pages. The map's list and its node `<option>`s are built in Python in one pass
(`mapcache`), not by template loops: a map of 2,000 nodes is tens of thousands of template node renders otherwise."""

from django import template
from django.utils.html import format_html

from whistle.chains import mapcache

register = template.Library()

register.simple_tag(mapcache.node_options, name="node_options")


LIGHTS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


@register.simple_tag
def light(value: str):
    """A project's light as a coloured label (`chains/_light.html` for one project; this for a column of them)."""
    return format_html(
        '<span class="light light-{}" title="{}">{}</span>', value, LIGHTS.get(value, "—"), LIGHTS.get(value, "—")
    )
