import datetime as dt
from typing import Literal

from ninja import Field, Schema


class TaskForceIn(Schema):
    name: str = Field(max_length=40)
    unit: str | None = Field(None, description="单位编码")
    duty: str = Field("", max_length=60)
    phone: str = Field("", max_length=20)


class AssignIn(Schema):
    kind: Literal["enterprise", "project"]
    target: str = Field(description="企业统一社会信用代码或项目编号", max_length=40)
    leader: str = Field(description="包保领导账号", max_length=150)
    lead_unit: str = Field(description="牵头部门编码", max_length=80)
    started_on: dt.date
    reason: str = Field("", max_length=200)
    task_force: list[TaskForceIn] = Field(default_factory=list, max_length=50)


class ChangeIn(Schema):
    leader: str = Field(max_length=150)
    lead_unit: str | None = Field(None, max_length=80)
    changed_on: dt.date
    reason: str = Field(max_length=200)


class EndIn(Schema):
    ended_on: dt.date
    reason: str = Field(max_length=200)


class VisitIn(Schema):
    visited_on: dt.date
    participants: str = Field(max_length=200)
    raised: str = Field("", max_length=4000)
    decided: str = Field("", max_length=4000)
    problems: list[str] = Field(default_factory=list, max_length=50)


class ProblemCaseIn(Schema):
    category: str = Field(max_length=60)
    kind: str = Field("help", max_length=12)
    title: str = Field("", max_length=100)


class ProjectIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    county: str = Field(max_length=40)
    enterprise: str | None = Field(None, description="建设企业统一社会信用代码", max_length=18)
    investment: float = Field(0, ge=0, le=1e11)
    planned_start: dt.date
    planned_end: dt.date
    progress: int = Field(0, ge=0, le=100)
    milestones: list[dict] = Field(default_factory=list, max_length=50)


class CoverageSummaryOut(Schema):
    year: int
    above_scale: int
    visited: int
    rate: float | None
    patronages: int
    open_cases: int
    projects: int
    behind_plan: int


class CountyCoverageOut(Schema):
    county: str
    name: str
    above_scale: int
    visited: int
    rate: float | None


class LeaderCoverageOut(Schema):
    leader: str
    name: str
    patronages: int
    enterprises: int
    projects: int
    above_scale: int
    visited: int
    visits: int
    open_cases: int
    rate: float | None


class BehindOut(Schema):
    code: str
    name: str
    county: str
    progress: int
    reasons: list[str]


class CoverageOut(Schema):
    summary: CoverageSummaryOut
    by_county: list[CountyCoverageOut]
    by_leader: list[LeaderCoverageOut]
    behind_plan: list[BehindOut]
