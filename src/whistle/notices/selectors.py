"""Reads of notices, scoped to the actor: one's own in-app messages, the failed notices a coordinator oversees, what
was told of a case."""

from __future__ import annotations

from django.db.models import Q

from whistle.cases.models import Case
from whistle.cases.selectors import case_scope_q
from whistle.core.errors import NotFound
from whistle.org.models import Role
from whistle.org.scopes import Actor

from .models import PROBLEM, Channel, Delivery, NoticeProfile

OVERSEERS = {Role.COORDINATOR, Role.SYSADMIN}
STAFF_ROLES = {Role.HANDLER, Role.UNIT_ADMIN, Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN}


def inbox(actor: Actor, unread_only: bool = False):
    """The actor's in-app messages, newest first."""
    if actor.is_system:
        return Delivery.objects.none()
    qs = Delivery.objects.filter(recipient=actor.user, channel=Channel.INAPP)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return Delivery.objects.filter(recipient=user, channel=Channel.INAPP, read_at__isnull=True).count()


def message_get(actor: Actor, delivery_id: int) -> Delivery:
    found = inbox(actor).filter(pk=delivery_id).first()
    if found is None:
        raise NotFound("消息不存在", code="notice_not_found")
    return found


def failed(actor: Actor):
    """Notices that failed or were given up, on cases in the coordinator's scope (and, for the whole city's office
    and system administrators, those tied to no case: verification codes, digests)."""
    if actor.role not in OVERSEERS:
        return Delivery.objects.none()
    qs = Delivery.objects.filter(status__in=PROBLEM)
    in_scope = Q(case_id__in=Case.objects.filter(case_scope_q(actor)).values("pk"))
    if actor.role == Role.SYSADMIN or actor.sees_all:
        in_scope |= Q(case_id__isnull=True)
    return qs.filter(in_scope).select_related("case").order_by("-created_at", "-pk")


def failed_get(actor: Actor, delivery_id: int) -> Delivery:
    found = failed(actor).filter(pk=delivery_id).first()
    if found is None:
        raise NotFound("消息不存在", code="notice_not_found")
    return found


def case_notices(actor: Actor, case: Case) -> list[Delivery]:
    """Who was told what of a case, and when: for staff who can see the case (the caller checked that). The
    enterprise sees its own messages on its pages, not the staff's."""
    if actor.role not in STAFF_ROLES:
        return []
    return list(
        Delivery.objects.filter(case_id=case.pk)
        .exclude(status__in=["digested"])
        .only("channel", "recipient_label", "subject", "status", "created_at", "sent_at", "read_at", "last_error")
        .order_by("created_at", "pk")[:200]
    )


def profile_of(user) -> NoticeProfile:
    return NoticeProfile.objects.filter(user=user).first() or NoticeProfile(user=user)
