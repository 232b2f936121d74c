from __future__ import annotations

import datetime as dt

from ninja import Schema


class MessageOut(Schema):
    id: int
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    case: str | None


class MessagePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MessageOut]


class FailedOut(Schema):
    id: int
    channel: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    case: str | None


class FailedPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[FailedOut]
