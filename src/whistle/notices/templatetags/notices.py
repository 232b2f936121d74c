from django import template

from whistle.org.scopes import Actor

from .. import selectors

register = template.Library()


@register.inclusion_tag("notices/_bell_link.html", takes_context=True)
def notices_bell(context):
    """The bell in the page header: unread in-app messages, for anyone signed in."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "unread": selectors.unread_count(user)}


@register.inclusion_tag("notices/_case_notices.html", takes_context=True)
def case_notices(context, case):
    """Who was told what of this case, and when (staff only)."""
    request = context.get("request")
    actor = getattr(request, "actor", None) or Actor.of(request.user)
    return {"items": selectors.case_notices(actor, case)}


@register.inclusion_tag("notices/_my_notices.html", takes_context=True)
def my_notices(context, limit=5):
    """The latest messages on the enterprise's 我的诉求 page."""
    request = context.get("request")
    actor = getattr(request, "actor", None) or Actor.of(request.user)
    items = list(selectors.inbox(actor)[:limit])
    return {"items": items, "unread": sum(1 for i in items if i.read_at is None)}
