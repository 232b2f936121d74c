"""Template helpers of the chain pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ counts|get_item:n.pk }}`: a dict's value by a key the template computes (None when absent)."""
    return mapping.get(key) if mapping else None
