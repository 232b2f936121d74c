from __future__ import annotations

from ninja import Field, Schema


class RoundIn(Schema):
    county: str = Field(..., description="县区编码")
    year: int = Field(..., description="评价年度")


class ParticipantIn(Schema):
    uscc: str
    status: str = Field(..., description="evaluated / t_class / excluded")
    reason: str
    group: str | None = Field(None, description="above / below")


class ItemsIn(Schema):
    items: list[str]
    reason: str


class FigureIn(Schema):
    kind: str = Field(..., description="数据项编码，如 tax、land_area")
    value: str | float | int | None
    note: str = ""


class FigureRecord(Schema):
    uscc: str
    kind: str
    value: str | float | int | None


class FiguresIn(Schema):
    items: list[FigureRecord] = Field(..., max_length=100000)


class ObjectionIn(Schema):
    text: str
    kind: str | None = None
    claimed_value: str | float | int | None = None


class AnswerIn(Schema):
    answer: str
    corrected_value: str | float | int | None = None


class PublishIn(Schema):
    starts_on: str | None = None


class ReviewIn(Schema):
    state: str
    note: str


class WhatIfIn(Schema):
    weights: dict[str, str | float | int] = {}
    benchmarks: dict[str, str | float | int] = {}
    quota: dict[str, str | float | int] = {}
