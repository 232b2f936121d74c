"""Template helpers of the chain pages. The map's list and its node `<option>`s (`mapcache`) and the pipeline's
columns are built in Python in one pass, not by template loops: a map of 2,000 nodes and a pipeline of hundreds of
projects are tens of thousands of template node renders otherwise (bench/chains_bench.py)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from whistle.chains import mapcache

register = template.Library()

register.simple_tag(mapcache.node_options, name="node_options")


LIGHTS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


@register.simple_tag
def light(value: str):
    """A project's light as a coloured label (`chains/_light.html`)."""
    return mark_safe(_light(value))


def _light(value: str) -> str:
    label = LIGHTS.get(value, "—")
    return f'<span class="light light-{escape(value)}" title="{label}">{label}</span>'


@register.simple_tag
def pipeline_columns(columns, project_base: str):
    """One `<section>` per stage (`selectors.StageColumn`): its name and count, its latest projects with their
    lights, each linking to its page (`project_base` + id)."""
    parts = []
    for c in columns:
        s = c.stage
        more = f'<li class="muted">等{c.count}个</li>' if c.count > len(c.projects) else ""
        items = "".join(
            f'<li>{_light(p.light)} <a href="{project_base}{p.pk}/">{escape(p.name)}</a></li>' for p in c.projects
        )
        prefix = "技改·" if s.pipeline == "renovation" else ""
        parts.append(
            f'<section data-stage="{escape(s.code)}" data-pipeline="{escape(s.pipeline)}"><h3>{prefix}{escape(s.name)} '
            f'<small class="muted">{c.count}</small></h3>\n<ul>{items}{more}</ul></section>'
        )
    return mark_safe("".join(parts))  # every text in it escaped above


@register.simple_tag
def options(items, value: str, selected_pk=None):
    """`<option>`s of `items`: each item's `value` attribute as the value, its name (a project's, a unit's) as the
    label, the one whose pk is `selected_pk` selected."""
    return mark_safe(
        "".join(
            f'<option value="{escape(str(getattr(i, value)))}"{" selected" if i.pk == selected_pk else ""}>'
            f"{escape(i.name)}</option>"
            for i in items
        )
    )
