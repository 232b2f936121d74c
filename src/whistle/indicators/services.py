"""Every write of the indicators app: a unit reports a figure (form, import, API, bulk), a reviewer approves or
returns it, a unit answers a warning letter. Each is one transaction. Approval rebuilds the indicator's points
(`derive.recompute`), so what is published is exactly what was approved."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from whistle.core import uploads
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.core.months import add_months
from whistle.org.models import Role, Unit
from whistle.org.scopes import Actor

from . import derive, selectors
from .models import Figure, FigureState, Indicator, Origin, Point, Region, Warning, WarningState

EVIDENCE_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
LIMIT = Decimal("1e15")


def _text(value, field: str, label: str, max_length: int, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{label}须为文字", code=f"invalid_{field}", field=field)
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"请填写{label}", code=f"{field}_required", field=field)
    if len(value) > max_length:
        raise Invalid(f"{label}不能超过{max_length}字", code=f"{field}_too_long", field=field)
    if "\x00" in value:
        raise Invalid(f"{label}含有非法字符", code=f"invalid_{field}", field=field)
    return value


def clean_number(value, field: str, label: str) -> Decimal | None:
    """A figure as typed: blank is none; thousands separators and a trailing % are tolerated; anything else is 422."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Invalid(f"{label}须为数字", code=f"invalid_{field}", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(f"{label}须为数字", code=f"invalid_{field}", field=field)
    text = str(value).strip().replace(",", "").replace("，", "").rstrip("%％").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Invalid(f"{label}须为数字", code=f"invalid_{field}", field=field) from None
    if not number.is_finite() or abs(number) >= LIMIT:
        raise Invalid(f"{label}超出范围", code=f"invalid_{field}", field=field)
    return number.quantize(Decimal("0.0001"))


def clean_period(indicator: Indicator, value, today: dt.date) -> dt.date:
    """'YYYY-MM' (or a date) → the period; it must be one of the indicator's periods and not in the future."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        period = value.replace(day=1)
    else:
        text = str(value or "").strip()[:10]
        try:
            period = dt.date.fromisoformat(text[:7] + "-01")
        except ValueError:
            raise Invalid("期别格式应为 YYYY-MM（期末月份）", code="invalid_period", field="period") from None
    if not 2000 <= period.year <= 2100:
        raise Invalid("期别超出范围", code="invalid_period", field="period")
    if not derive.is_period(indicator, period):
        raise Invalid(
            f"{indicator.name}为{indicator.get_frequency_display()}指标，期别应为期末月份",
            code="invalid_period",
            field="period",
        )
    if period > today.replace(day=1):
        raise Invalid("不能填报未来期别的数据", code="period_in_future", field="period")
    if indicator.skip_january and period.month == 1:
        raise Invalid(f"{indicator.name}1月份数据免报", code="january_exempt", field="period")
    return period


def jump_check(indicator: Indicator, region: Region, period: dt.date, value, growth) -> str:
    """Why a figure looks implausible against its own published history (empty when it does not): a value more than
    `jump_pct` % from the same period last year (cumulative figures) or from the previous period; a growth rate
    more than `jump_pct` percentage points from the previous period's."""
    limit = float(indicator.jump_pct)
    if limit <= 0:
        return ""
    base_period = period.replace(year=period.year - 1) if indicator.cumulative else derive.previous(indicator, period)
    base = Point.objects.filter(indicator=indicator, region=region, period=base_period).first()
    if value is not None and base is not None and base.value:
        change = (float(value) - float(base.value)) / abs(float(base.value)) * 100
        if abs(change) > limit:
            which = "上年同期" if indicator.cumulative else "上期"
            return f"较{which}（{base.value.normalize():f}）变动{change:+.1f}%，超过{limit:g}%"
    if growth is not None:
        before = Point.objects.filter(
            indicator=indicator, region=region, period=derive.previous(indicator, period)
        ).first()
        if before is not None and before.growth is not None:
            moved = float(growth) - float(before.growth)
            if abs(moved) > limit:
                return f"增速较上期（{before.growth.normalize():f}%）变动{moved:+.1f}个百分点，超过{limit:g}个百分点"
    return ""


def figure_submit(
    actor: Actor,
    *,
    indicator: str,
    region: str,
    period,
    value=None,
    growth=None,
    source_note: str = "",
    upload=None,
    origin: str = Origin.FORM,
    batch: str = "",
    now: dt.datetime | None = None,
) -> tuple[Figure, bool]:
    """A unit reports one figure; it waits for review (待审核) before it counts. A figure equal to the latest
    version (published or waiting) is that version again, not a new one (so pushing a file twice writes nothing):
    returns (figure, created). A different figure is the next version; a version still waiting is replaced."""
    now = now or timezone.now()
    ind, reg = selectors.series_for_report(actor, indicator, region)
    period = clean_period(ind, period, timezone.localtime(now).date())
    value = clean_number(value, "value", "数值")
    growth = clean_number(growth, "growth", "同比增长")
    if value is None and growth is None:
        raise Invalid("请填写数值或同比增长", code="value_required", field="value")
    if ind.is_derived:
        raise Invalid(f"{ind.name}由系统计算，无需填报", code="derived_indicator", field="indicator")
    source_note = _text(source_note, "source_note", "数据来源说明", 300)
    stored = None
    if upload is not None:
        if upload.size > MAX_EVIDENCE_BYTES:
            raise Invalid("佐证材料不能超过10MB", code="file_too_large", field="file")
        _, stored = uploads.checked(
            upload, EVIDENCE_TYPES, message="佐证材料须为PDF、图片、Word或Excel文件", code="file_type_not_allowed"
        )
    with transaction.atomic():
        existing = list(
            Figure.objects.select_for_update()
            .filter(indicator=ind, region=reg, period=period)
            .exclude(state=FigureState.REJECTED)
            .order_by("-version")[:1]
        )
        latest = existing[0] if existing else None
        if latest is not None and latest.value == value and latest.growth == growth and upload is None:
            return latest, False
        version = (
            Figure.objects.filter(indicator=ind, region=reg, period=period).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        Figure.objects.filter(indicator=ind, region=reg, period=period, state=FigureState.PENDING).update(
            state=FigureState.REJECTED, reviewed_at=now, review_note=f"已由第{version}版取代"
        )
        jump = jump_check(ind, reg, period, value, growth)
        figure = Figure(
            indicator=ind,
            region=reg,
            period=period,
            version=version,
            value=value,
            growth=growth,
            origin=origin,
            source_note=source_note,
            batch=batch,
            reporter=selectors.reporter_of(ind, reg),
            entered_by=actor.user,
            entered_at=now,
            jump_flag=bool(jump),
            jump_detail=jump[:200],
        )
        if stored:
            upload.seek(0)
            figure.file.save(stored, ContentFile(upload.read()), save=False)
            figure.file_name = stored
        figure.save()
    return figure, True


DECISIONS = {"approve": FigureState.APPROVED, "reject": FigureState.REJECTED}


def figure_review(actor: Actor, figure_id, decision: str, note: str = "", now: dt.datetime | None = None) -> Figure:
    """A reviewer publishes (approve) or returns (reject, with a reason) a waiting figure. Not one they entered
    themselves; a figure flagged as an implausible jump is published only with a note saying it was checked."""
    now = now or timezone.now()
    with transaction.atomic():
        figure = selectors.figure_for_review(actor, figure_id, lock=True)
        if decision not in DECISIONS:
            raise Invalid("审核结论须为 approve（通过）或 reject（退回）", code="invalid_decision", field="decision")
        note = _text(note, "note", "审核意见", 300)
        if figure.state != FigureState.PENDING:
            raise Conflict(f"该数据{figure.get_state_display()}，不能重复审核", code="figure_already_reviewed")
        if actor.user is not None and figure.entered_by_id == actor.user.pk:
            raise Forbidden("不能审核本人填报的数据", code="own_figure")
        if decision == "reject" and not note:
            raise Invalid("退回须填写原因", code="note_required", field="note")
        if decision == "approve" and figure.jump_flag and not note:
            raise Invalid("该数据存在异常波动，请填写核实说明后再通过", code="jump_note_required", field="note")
        figure.state, figure.reviewed_by, figure.reviewed_at, figure.review_note = (
            DECISIONS[decision],
            actor.user,
            now,
            note,
        )
        figure.save()
        if figure.state == FigureState.APPROVED:
            derive.recompute(figure.indicator, [figure.period.year])
    return figure


def batch_approve(actor: Actor, batch: str, note: str = "", now: dt.datetime | None = None) -> int:
    """Approve every waiting figure of one import batch the reviewer may review, except those flagged as jumps
    (they are reviewed one by one) and those the reviewer entered. Returns how many were published."""
    now = now or timezone.now()
    batch = _text(batch, "batch", "批次", 40, required=True)
    with transaction.atomic():
        figures = list(
            selectors.review_queue(actor).filter(batch=batch, jump_flag=False).select_for_update(of=("self",))
        )
        if actor.user is not None:
            figures = [f for f in figures if f.entered_by_id != actor.user.pk]
        ids = [f.pk for f in figures]
        Figure.objects.filter(pk__in=ids).update(
            state=FigureState.APPROVED, reviewed_by=actor.user, reviewed_at=now, review_note=note[:300]
        )
        touched: dict[int, set] = {}
        for f in figures:
            touched.setdefault(f.indicator_id, set()).add(f.period.year)
        for indicator in Indicator.objects.filter(pk__in=list(touched)):
            derive.recompute(indicator, touched[indicator.pk])
    return len(ids)


def warning_answer(actor: Actor, warning_id, answer: str, now: dt.datetime | None = None) -> Warning:
    """The responsible unit answers a 预警函 with its measures (整改措施). Once."""
    now = now or timezone.now()
    with transaction.atomic():
        warning = selectors.warning_get(actor, warning_id, lock=True)
        if actor.role not in (Role.HANDLER, Role.UNIT_ADMIN) or actor.unit is None or actor.unit.pk != warning.unit_id:
            raise Forbidden("只有责任单位可以答复预警函", code="not_responsible_unit")
        answer = _text(answer, "answer", "整改措施", 3000, required=True)
        if warning.state != WarningState.ISSUED:
            raise Conflict("该预警函已答复", code="warning_already_answered")
        warning.state, warning.answer, warning.answered_at, warning.answered_by = (
            WarningState.ANSWERED,
            answer,
            now,
            actor.user,
        )
        warning.save()
    return warning


def unit_by_code(code: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound("单位不存在", code="unit_not_found")
    return unit


def months_back(period: dt.date, n: int) -> dt.date:
    return add_months(period, -n)
