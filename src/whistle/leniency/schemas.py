import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema


class SuggestIn(Schema):
    description: str = Field(max_length=2000, description="发现的问题")
    enterprise: str = Field(max_length=120, description="企业统一社会信用代码")
    inspected_on: dt.date


class InspectionIn(Schema):
    enterprise: str = Field(max_length=120, description="企业统一社会信用代码或全称")
    inspected_on: dt.date
    subject: str = Field(max_length=120, description="检查事项")
    kind: Literal["random", "routine", "special", "complaint"] = "routine"
    findings: list[str] = Field(default_factory=list, max_length=50, description="发现的问题，每项一条")


class FindingIn(Schema):
    description: str = Field(max_length=2000)


class DecideIn(Schema):
    decision: Literal["no_penalty", "light_penalty", "ordinary"]
    item: int | None = Field(None, description="适用的清单事项 id（不罚、轻罚必填）")
    answers: dict[str, bool] = Field(default_factory=dict, description="现场确认的条件：条件代码 → 是否满足")
    reason: str = Field("", max_length=2000, description="依法处罚或偏离建议的理由")
    fine_standard: Decimal = Field(Decimal(0), ge=0, lt=Decimal("1e10"), description="按一般程序应处罚款（元）")
    fine_imposed: Decimal = Field(Decimal(0), ge=0, lt=Decimal("1e10"), description="实际罚款（元）")
    days: int | None = Field(None, ge=1, le=90, description="责令改正期限（工作日）")
    content: str = Field("", max_length=2000, description="改正要求")


class ApprovalIn(Schema):
    decision: Literal["approve", "reject"]
    note: str = Field("", max_length=200)


class RecheckIn(Schema):
    corrected: bool
    rechecked_on: dt.date | None = None
    note: str = Field("", max_length=200)


class ReportIn(Schema):
    report: str = Field(max_length=2000)


class ReplyIn(Schema):
    text: str = Field(max_length=2000)


class CaseIn(Schema):
    category: str = Field(max_length=60)
    description: str = Field(max_length=2000)
    kind: Literal["complaint", "suggestion", "help"] = "complaint"


class ReviewIn(Schema):
    decision: Literal["approve", "reject"]
    reviewer_unit: str = Field(max_length=80)
    reviewer_name: str = Field(max_length=40)
    reviewed_on: dt.date
    opinion: str = Field("", max_length=2000)
