"""`{% rating_origin case %}`: on a rectification case (差评整改), the poor rating it came from and, for staff who may
call the rater back, the way to 查看评价人电话 (a logged read on its own page; the case itself carries no contact)."""

from django import template

from whistle.org.scopes import Actor

from ..selectors import may_read_contact, rating_of_case

register = template.Library()


@register.inclusion_tag("ratings/_origin.html", takes_context=True)
def rating_origin(context, case):
    request = context.get("request")
    rating = rating_of_case(case) if request is not None and request.user.is_authenticated else None
    if rating is None:
        return {"rating": None}
    actor = getattr(request, "actor", None) or Actor.of(request.user)
    return {"rating": rating, "may_call": may_read_contact(actor, rating)}
