import datetime as dt
from typing import Any

from ninja import Field, Schema


class CaseIn(Schema):
    kind: str = Field(description="consult 咨询 / help 求助 / complaint 投诉 / report 举报 / suggestion 建议")
    category: str = Field(description="问题分类编码")
    title: str = ""
    description: str = Field(description="诉求内容，至多4000字")
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    county: str | None = Field(None, description="属地县区编码；企业用户默认企业所在县区")
    cross_county: bool = False
    enterprise: str | None = Field(None, description="吹哨办代企业登记时填企业统一社会信用代码")
    external_ref: str = ""
    urgency: str = Field(
        "ordinary",
        description="紧急程度：ordinary 一般 / urgent 加急 / emergency 紧急（企业可选的由时限方案设定，吹哨办可选全部）",
    )


class UnitRef(Schema):
    code: str
    name: str


class DeadlinesOut(Schema):
    return_due_at: dt.datetime | None
    contact_due_at: dt.datetime | None
    opinion_due_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    next_due_at: dt.datetime | None


class CaseOut(Schema):
    number: str
    title: str
    kind: str
    channel: str
    category: str
    category_name: str
    state: str
    state_label: str
    level: str
    urgency: str
    urgency_label: str
    card: str
    county: UnitRef
    lead_unit: UnitRef | None
    enterprise: str | None
    submitted_at: dt.datetime
    next_due_at: dt.datetime | None
    overdue: bool


class EventOut(Schema):
    seq: int
    action: str
    label: str
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    payload: dict[str, Any]
    hash: str


class TransitionOut(Schema):
    """One workflow transition the caller may apply now (named apart from accountability's ActionOut: two schemas
    of one name made `allowed_actions` point at the other one in the OpenAPI document)."""

    action: str
    label: str
    required: list[str]


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_at: dt.datetime


class CaseDetailOut(CaseOut):
    description: str
    contact_name: str
    contact_phone: str
    address: str
    lat: float | None
    lng: float | None
    assisting_units: list[UnitRef]
    deadlines: DeadlinesOut
    is_complex: bool
    extension_state: str
    returns_count: int
    reopen_count: int
    supervision_count: int
    resolution: str
    satisfaction: str
    events: list[EventOut]
    attachments: list[AttachmentOut]
    allowed_actions: list[TransitionOut]


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[CaseOut]


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None = Field(None, description="上级分类编码")
    city: str | None = Field(None, description="自有分类所属市（人民政府）的单位编码；全省通用为 null")
