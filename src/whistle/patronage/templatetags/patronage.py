"""`{% patronage_origin case %}`: on a case raised from a visit, the link back to the visit and its patronage."""

from django import template

from whistle.org.scopes import Actor

from ..selectors import case_origin

register = template.Library()


@register.inclusion_tag("patronage/_origin.html", takes_context=True)
def patronage_origin(context, case):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"origin": None}
    actor = getattr(request, "actor", None) or Actor.of(request.user)
    return {"origin": case_origin(actor, case)}
