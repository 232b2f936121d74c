"""Thin HTTP over notices (/api/v1/notices): one's in-app messages and read marks, the coordinators' failed notices
and sending one again. Outgoing webhooks are documented in docs/api.md ("推送接口")."""

from __future__ import annotations

from ninja import Query, Router

from whistle.core.paging import PageFilter, page_of

from . import selectors, services
from .models import Delivery
from .schemas import FailedOut, FailedPage, MessageOut, MessagePage

router = Router(tags=["notices"])


def _case_number(d: Delivery) -> str | None:
    return d.case.number if d.case_id else None


def message_out(d: Delivery) -> dict:
    return {
        "id": d.pk,
        "subject": d.subject,
        "body": d.body,
        "link": d.link,
        "created_at": d.created_at,
        "read_at": d.read_at,
        "case": _case_number(d),
    }


def failed_out(d: Delivery) -> dict:
    return {
        "id": d.pk,
        "channel": d.channel,
        "recipient": d.recipient_label,
        "subject": d.subject,
        "status": d.status,
        "attempts": d.attempts,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "case": _case_number(d),
    }


@router.get("/messages", response=MessagePage, summary="我的站内消息（最新在前）")
def messages(request, filters: Query[PageFilter], unread: bool = False):
    qs = selectors.inbox(request.actor, unread_only=unread).select_related("case")
    return page_of(qs, filters, message_out)


@router.post("/messages/{int:message_id}/read", response=MessageOut, summary="标为已读")
def message_read(request, message_id: int):
    return message_out(services.message_read(request.actor, message_id))


@router.get("/failed", response=FailedPage, summary="发送失败的通知（吹哨办，按权限范围）")
def failed(request, filters: Query[PageFilter]):
    return page_of(selectors.failed(request.actor), filters, failed_out)


@router.post("/failed/{int:delivery_id}/requeue", response=FailedOut, summary="重新发送一条失败的通知")
def requeue(request, delivery_id: int):
    return failed_out(services.notice_requeue(request.actor, delivery_id))
