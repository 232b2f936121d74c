from __future__ import annotations

from ninja import Field, Schema


class FigureIn(Schema):
    indicator: str = Field(..., max_length=40, description="指标编码，如 gdp、retail、pm25")
    region: str = Field(..., max_length=40, description="地区编码，如 heze、caoxian")
    period: str = Field(..., max_length=10, description="期别（期末月份）YYYY-MM，季度指标填季末月")
    value: float | str | None = Field(None, description="数值（累计指标填1-N月累计值）")
    growth: float | str | None = Field(None, description="同比增长（%），公布可比价增速时填写")
    source_note: str = Field("", max_length=300, description="数据来源说明")


class ReviewIn(Schema):
    decision: str = Field(..., description="approve（通过发布）或 reject（退回）")
    note: str = Field("", max_length=300, description="审核意见；退回、或通过异常波动数据时必填")


class AnswerIn(Schema):
    answer: str = Field(..., max_length=3000, description="整改措施")
