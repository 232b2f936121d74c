import datetime as dt

from ninja import Field, Schema


class DecisionIn(Schema):
    decision: str = Field(..., description="confirm（确认）或 dismiss（不予问责）")
    reason: str = Field(..., max_length=500)


class ProposalIn(Schema):
    subject: str = Field(..., description="cadre（干部）、window（窗口）或 unit（单位）")
    subject_id: int = Field(..., description="对象的编号")
    action: str = Field("referral", description="admonition、circular、reassignment 或 referral（移送纪检监察）")
    summary: str = Field(..., max_length=300)
    evidence: str = Field(..., max_length=2000, description="依据（证据）")


class ActionIn(Schema):
    kind: str = Field(
        ..., description="admonition（约谈）、circular（通报）、reassignment（调整）或 referral（移送纪检监察）"
    )
    held_on: dt.date
    participants: str = Field(..., max_length=300)
    outcome: str = Field(..., max_length=2000)


class ActionOut(Schema):
    id: int
    proposal: int
    kind: str
    kind_label: str
    held_on: dt.date
    participants: str
    outcome: str
    recorded_by: str
    recorded_at: dt.datetime


class ProposalOut(Schema):
    id: int
    rule: str
    action: str
    action_label: str
    subject: str
    subject_id: int
    subject_name: str
    unit: str
    summary: str
    evidence: dict
    state: str
    state_label: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str
    actions: list[ActionOut]


class ProposalPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ProposalOut]
