"""Template helpers of the chain pages. The map's list and its node `<option>`s are built here in one pass rather
than by template loops: a map of 2,000 nodes is tens of thousands of template node renders otherwise, most of the
page's server time (bench/chains_bench.py)."""

# The stdlib function Django's `escape` wraps, without its lazy-string wrapper: at 10,000 calls a page it counts.
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

SEGMENTS = {"up": "上游", "mid": "中游", "down": "下游"}


@register.simple_tag
def map_list(nodes, entries):
    """The map as an indented list, one `<li>` per node coloured by coverage, with its first firms (local ones in
    bold), how many more, and a link to the year's list entries that name it (`entries`: node id → count)."""
    parts = []
    for n in nodes:
        name = escape(n.name)
        seg = SEGMENTS.get(n.segment, "") if n.depth == 0 else ""
        firms = "".join(
            f'<span class="firm{" local" if local else ""}">{escape(firm)}{f"（{escape(place)}）" if place else ""}</span>'
            for firm, local, place in n.firms
        )
        more = f'<span class="muted">等{n.firm_count}家</span>' if n.more else ""
        count = entries.get(n.pk) if entries else None
        listed = f' <a class="entries" href="#lists" data-entries="{count}">清单{count}条</a>' if count else ""
        parts.append(
            f'<li class="{n.coverage}" style="margin-left:{n.depth}.5em" data-node="{name}" id="node-{n.pk}">'
            f'<strong>{name}</strong> <span class="seg">{seg}</span>\n{firms}{more}{listed}</li>'
        )
    return mark_safe("".join(parts))  # every text in it escaped above


@register.simple_tag
def node_options(nodes, selected=None):
    """`<option>`s of the map's nodes (by id), `selected` the chosen one's id."""
    chosen = str(selected) if selected is not None else None
    return mark_safe(
        "".join(
            f'<option value="{n.pk}"{" selected" if str(n.pk) == chosen else ""}>{escape(n.name)}</option>'
            for n in nodes
        )
    )
