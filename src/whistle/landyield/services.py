"""Every write of 亩产效益: rounds, the participant list, figures through 企业填报 → 部门核实 → 企业确认, 异议 and
answers, scoring, 公示, sign-off, and D-class firms into 领导包保. One transaction each; refusals are
`whistle.core.errors` problems (Chinese detail, stable code, the field at fault)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from whistle.cases.models import Channel, Kind
from whistle.cases.services import case_submit
from whistle.core import calendar, uploads
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Role, Unit
from whistle.org.scopes import Actor

from . import access, scoring
from .models import (
    Figure,
    FigureKind,
    FigureState,
    FigureStep,
    Group,
    Objection,
    ObjectionFile,
    Participant,
    ParticipantChange,
    ParticipantStatus,
    Round,
    RoundOwner,
    RoundState,
    Scheme,
    SchemeItem,
    VisitPlan,
)

VALUE_MAX = Decimal("1e13")
TEXT_MAX = 2000
# A development zone's bureau serves several functions (its 经发局 is 工信, 发改 and 商务 at once …).
FUNCTION_ALIASES = {"gxj": ["jjfz"], "fgw": ["jjfz"], "kjj": ["jjfz"], "zrzy": ["ghjs"], "rsj": ["shsy"]}
OBJECTION_FILE_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OBJECTION_FILES_MAX = 5
OBJECTION_FILE_BYTES = 20 * 1024 * 1024


# ---- small validators --------------------------------------------------------------------------------------------


def clean_value(value, field: str = "value") -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Invalid("数值须为数字", code="invalid_number", field=field)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid("数值须为数字", code="invalid_number", field=field) from None
    if not number.is_finite():
        raise Invalid("数值须为数字", code="invalid_number", field=field)
    if number < 0:
        raise Invalid("数值不能为负数", code="negative_value", field=field)
    if number >= VALUE_MAX:
        raise Invalid("数值过大，请检查计量单位", code="value_too_large", field=field)
    return number.quantize(Decimal("0.0001"))


def clean_text(value, field: str, *, label: str, limit: int = TEXT_MAX, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid(f"请填写{label}", code="required", field=field)
    if len(text) > limit:
        raise Invalid(f"{label}不能超过{limit}字", code="too_long", field=field)
    return text


def _now(now):
    return now or timezone.now()


def _locked_round(actor: Actor, round_id: int) -> Round:
    from .selectors import round_get

    rnd = round_get(actor, round_id)
    return Round.objects.select_for_update(of=("self",)).select_related("county", "scheme", "lead_unit").get(pk=rnd.pk)


def _managed_round(actor: Actor, round_id: int) -> Round:
    rnd = _locked_round(actor, round_id)
    if not access.can_manage(actor, rnd):
        raise Forbidden("只有牵头部门或辖区吹哨办可以办理本轮评价", code="round_manage_not_permitted")
    return rnd


def _not_frozen(rnd: Round):
    if rnd.is_frozen:
        raise Conflict("本轮评价已审定，数据和结果不能再改动", code="round_frozen")


# ---- the scheme as data --------------------------------------------------------------------------------------------


def scheme_spec(scheme: Scheme) -> dict:
    """The scheme as the plain data `scoring` reads, kept on the round so a frozen result recomputes exactly."""
    indicators: dict[str, list] = {Group.ABOVE: [], Group.BELOW: []}
    for ind in scheme.indicators.select_related("numerator", "denominator").order_by("group", "order", "code"):
        indicators[ind.group].append(
            {
                "code": ind.code,
                "name": ind.name,
                "numerator": ind.numerator.code,
                "denominator": ind.denominator.code if ind.denominator_id else None,
                "scale": str(ind.scale),
                "unit": ind.value_unit,
                "weight": str(ind.weight),
                "benchmark_mode": ind.benchmark_mode,
                "benchmark_value": str(ind.benchmark_value) if ind.benchmark_value is not None else None,
                "benchmark_factor": str(ind.benchmark_factor),
                "cap": str(ind.cap) if ind.cap is not None else None,
                "missing": ind.missing,
            }
        )
    return {
        "scheme": scheme.pk,
        "name": scheme.name,
        "year": scheme.year,
        "version": scheme.version,
        "indicators": indicators,
        "items": {it.code: {"kind": it.kind, "name": it.name, "points": str(it.points)} for it in scheme.items.all()},
        "quota": {
            "cut_mode": scheme.cut_mode,
            "a_max_pct": str(scheme.a_max_pct),
            "b_upto_pct": str(scheme.b_upto_pct),
            "d_min_pct": str(scheme.d_min_pct),
            "cuts": {
                "A": str(scheme.a_min_score) if scheme.a_min_score is not None else None,
                "B": str(scheme.b_min_score) if scheme.b_min_score is not None else None,
                "C": str(scheme.c_min_score) if scheme.c_min_score is not None else None,
            },
        },
    }


def scheme_for(county: Unit, year: int) -> Scheme:
    """The county's own scheme for the year, else the city's; the highest version."""
    scheme = (
        Scheme.objects.filter(year=year, county=county).order_by("-version").first()
        or Scheme.objects.filter(year=year, county__isnull=True).order_by("-version").first()
    )
    if scheme is None:
        raise Invalid(f"{year}年度尚无评价办法，请先在后台维护", code="no_scheme", field="year")
    return scheme


# ---- rounds and the participant list -----------------------------------------------------------------------------


def unit_for(county: Unit, function: str) -> Unit | None:
    """The unit of a line of work serving a county: its own, its zone bureau's, else the city's."""
    for code in [f"{county.code}-{function}"] + [f"{county.code}-{a}" for a in FUNCTION_ALIASES.get(function, [])]:
        unit = Unit.objects.filter(code=code, is_active=True).first()
        if unit is not None:
            return unit
    return Unit.objects.filter(
        code__endswith=f"-{function}", level=Level.CITY, city_id=county.city_id, is_active=True
    ).first()


def _is_utility(enterprise: Enterprise, keywords: list[str]) -> bool:
    return any(k and k in (enterprise.industry or "") for k in keywords)


def round_open(actor: Actor, *, county, year: int, lead_unit=None, now=None) -> Round:
    """Open a county's round for a year: the scheme, the owner of each figure, the participant list drawn from the
    enterprise register (规上 firms; 规下 firms whose land last year reached the scheme's threshold; utilities
    collected but not ranked)."""
    county = county if isinstance(county, Unit) else Unit.objects.filter(code=str(county or "")).first()
    if county is None or county.level not in (Level.COUNTY, Level.CITY) or county.kind not in ("government", "zone"):
        raise Invalid("请选择县区", code="unknown_county", field="county")
    if not (actor.role == Role.SYSADMIN or (actor.role == Role.COORDINATOR and actor.covers(county))):
        raise Forbidden("只有辖区吹哨办可以新建评价轮次", code="round_open_not_permitted")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid("评价年度不正确", code="invalid_year", field="year")
    scheme = scheme_for(county, year)
    lead = lead_unit if isinstance(lead_unit, Unit) else unit_for(county, "gxj")
    if lead is None:
        raise Invalid("未找到牵头部门（工信部门）", code="unknown_lead_unit", field="lead_unit")
    now = _now(now)
    with transaction.atomic():
        if Round.objects.filter(county=county, year=year).exists():
            raise Conflict(f"{county.display_name}{year}年度评价已建立", code="round_exists", field="year")
        rnd = Round.objects.create(scheme=scheme, county=county, year=year, lead_unit=lead)
        owners = []
        for kind in FigureKind.objects.all():
            unit = unit_for(county, kind.owner_function) or lead
            owners.append(RoundOwner(round=rnd, kind=kind, unit=unit))
        RoundOwner.objects.bulk_create(owners)
        participants_draw(rnd, now=now)
    return rnd


def participants_draw(rnd: Round, *, now=None) -> int:
    """The register's firms of the county into the round (part of `round_open`'s transaction)."""
    scheme = rnd.scheme
    keywords = [k.strip() for k in scheme.excluded_industries.replace("，", ",").split(",")]
    # A city's own round draws the firms of all its counties; a county's, its own.
    firms = (
        Enterprise.objects.filter(county__path__startswith=rnd.county.path)
        if rnd.county.level == Level.CITY
        else Enterprise.objects.filter(county=rnd.county)
    )
    land = FigureKind.objects.filter(code="land_area").first()
    last_land = {}
    if land is not None:
        last_land = dict(
            Figure.objects.filter(
                kind=land, round__year=rnd.year - 1, participant__enterprise__in=firms, value__isnull=False
            ).values_list("participant__enterprise_id", "value")
        )
    rows = []
    for e in firms.only("pk", "industry", "above_scale", "township_id"):
        if e.above_scale:
            group = Group.ABOVE
        elif last_land.get(e.pk, 0) >= scheme.below_min_land_mu:
            group = Group.BELOW
        else:
            continue
        utility = _is_utility(e, keywords)
        rows.append(
            Participant(
                round=rnd,
                enterprise_id=e.pk,
                group=group,
                park_id=e.township_id,
                status=ParticipantStatus.EXCLUDED if utility else ParticipantStatus.EVALUATED,
                reason="专营单位：采集数据，不参与排名" if utility else "",
            )
        )
    Participant.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def participant_set(
    actor: Actor, round_id: int, *, enterprise, status: str, reason: str, group: str | None = None, now=None
) -> Participant:
    """Add an enterprise, set it to T 类 or out of the ranking, or restore it — always with a reason."""
    now = _now(now)
    with transaction.atomic():
        rnd = _managed_round(actor, round_id)
        _not_frozen(rnd)
        if rnd.state not in (RoundState.COLLECTING, RoundState.SCORED):
            raise Conflict("名单只能在公示前调整", code="list_closed")
        if status not in ParticipantStatus.values:
            raise Invalid("参评状态须为 evaluated、t_class 或 excluded", code="invalid_status", field="status")
        reason = clean_text(reason, "reason", label="调整原因", limit=200)
        if not isinstance(enterprise, Enterprise):
            enterprise = Enterprise.objects.filter(uscc=str(enterprise or "").strip().upper()).first()
        if enterprise is None or (rnd.county.parent_id is not None and enterprise.county_id != rnd.county_id):
            raise Invalid("企业不存在或不属于本县区", code="unknown_enterprise", field="enterprise")
        if group is not None and group not in Group.values:
            raise Invalid("类别须为 above 或 below", code="invalid_group", field="group")
        participant = Participant.objects.filter(round=rnd, enterprise=enterprise).first()
        if participant is None:
            participant = Participant.objects.create(
                round=rnd,
                enterprise=enterprise,
                group=group or (Group.ABOVE if enterprise.above_scale else Group.BELOW),
                park_id=enterprise.township_id,
                status=status,
                reason=reason,
            )
        else:
            participant.status, participant.reason = status, reason
            if group:
                participant.group = group
            participant.save(update_fields=["status", "reason", "group"])
        ParticipantChange.objects.create(
            round=rnd, enterprise=enterprise, status=status, reason=reason, by=actor.user, at=now
        )
        if rnd.state == RoundState.SCORED:
            Round.objects.filter(pk=rnd.pk).update(needs_rescore=True)
    return participant


def participant_items(actor: Actor, participant_id: int, items: list[str], *, reason: str, now=None) -> Participant:
    """Set the scheme's bonus, penalty, veto and protection items that apply to a participant (with the reason)."""
    from .selectors import participant_get

    now = _now(now)
    with transaction.atomic():
        participant = participant_get(actor, participant_id)
        rnd = _managed_round(actor, participant.round_id)
        _not_frozen(rnd)
        if rnd.state == RoundState.PUBLICITY:
            raise Conflict("公示期间不能调整加减分项，请在公示期满后处理", code="list_closed")
        known = set(SchemeItem.objects.filter(scheme=rnd.scheme).values_list("code", flat=True))
        codes = sorted({str(c) for c in items or []})
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Invalid(f"评价办法中没有这些项目：{'、'.join(unknown)}", code="unknown_item", field="items")
        reason = clean_text(reason, "reason", label="原因", limit=200)
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        participant.items = codes
        participant.save(update_fields=["items"])
        ParticipantChange.objects.create(
            round=rnd,
            enterprise_id=participant.enterprise_id,
            status=participant.status,
            reason=f"加减分/否决/保护项：{'、'.join(codes) or '无'}；{reason}",
            by=actor.user,
            at=now,
        )
        if rnd.score_runs:
            Round.objects.filter(pk=rnd.pk).update(needs_rescore=True)
    return participant


# ---- figures -------------------------------------------------------------------------------------------------------


def _kind(code) -> FigureKind:
    kind = FigureKind.objects.filter(code=str(code or "")).first()
    if kind is None:
        raise Invalid(f"数据项不存在：{code}", code="unknown_figure", field="kind")
    return kind


def _may_write_figure(actor: Actor, rnd: Round, participant: Participant, kind: FigureKind) -> str:
    """The step this actor's write is (filed by the enterprise, verified by the owner) or a refusal."""
    if actor.role == Role.ENTERPRISE:
        if participant.enterprise_id != actor.enterprise_id:
            raise NotFound("参评企业不存在", code="participant_not_found")
        if not kind.enterprise_files:
            raise Forbidden(f"“{kind.name}”由{kind.owner_label}报送，企业可确认或提出异议", code="figure_not_owned")
        return FigureStep.Step.FILED
    if actor.is_system or kind.pk in access.owned_kinds(actor, rnd):
        return FigureStep.Step.VERIFIED
    raise Forbidden(f"“{kind.name}”由{kind.owner_label}报送", code="figure_not_owned")


def figure_record(
    actor: Actor,
    participant_id: int,
    kind_code: str,
    value,
    *,
    note: str = "",
    step: str | None = None,
    now=None,
) -> Figure:
    """One figure filed (enterprise) or verified (owning department): the value and the step recorded."""
    from .selectors import participant_get

    now = _now(now)
    with transaction.atomic():
        participant = participant_get(actor, participant_id)
        rnd = (
            _locked_round(actor, participant.round_id)
            if actor.role != Role.ENTERPRISE
            else _round_for_update(participant.round_id)
        )
        _not_frozen(rnd)
        if rnd.state in (RoundState.PUBLICITY, RoundState.REVIEW):
            raise Conflict("公示开始后数据只能通过异议答复更正", code="figures_closed")
        kind = _kind(kind_code)
        own_step = _may_write_figure(actor, rnd, participant, kind)
        number = clean_value(value)
        note = clean_text(note, "note", label="说明", limit=500, required=False)
        figure = _write_figure(actor, rnd, participant, kind, number, step or own_step, note, now)
        if rnd.score_runs:
            Round.objects.filter(pk=rnd.pk).update(needs_rescore=True)
    return figure


def _round_for_update(round_id: int) -> Round:
    return (
        Round.objects.select_for_update(of=("self",)).select_related("county", "scheme", "lead_unit").get(pk=round_id)
    )


def _write_figure(actor, rnd, participant, kind, number, step, note, now) -> Figure:
    state = FigureState.FILED if step == FigureStep.Step.FILED else FigureState.VERIFIED
    figure, created = Figure.objects.select_for_update().get_or_create(
        participant=participant, kind=kind, defaults={"round": rnd, "value": number, "state": state, "updated_at": now}
    )
    if not created:
        figure.value, figure.state, figure.updated_at = number, state, now
        figure.save(update_fields=["value", "state", "updated_at"])
    FigureStep.objects.create(
        figure=figure, step=step, value=number, note=note, by=actor.user, by_label=actor.label, at=now
    )
    if participant.confirmed_at is not None and step != FigureStep.Step.FILED:
        Participant.objects.filter(pk=participant.pk).update(confirmed_at=None)
    return figure


def figures_confirm(actor: Actor, participant_id: int, *, now=None) -> int:
    """企业确认: the enterprise confirms every verified figure of its participation."""
    from .selectors import participant_get

    now = _now(now)
    with transaction.atomic():
        participant = participant_get(actor, participant_id)
        if actor.role != Role.ENTERPRISE:
            raise Forbidden("只有企业本身可以确认数据", code="confirm_not_permitted")
        rnd = _round_for_update(participant.round_id)
        _not_frozen(rnd)
        if rnd.state != RoundState.COLLECTING:
            raise Conflict("数据采集已结束", code="figures_closed")
        figures = list(Figure.objects.select_for_update().filter(participant=participant))
        if any(f.state == FigureState.DISPUTED for f in figures):
            raise Conflict("还有提出异议、尚未答复的数据，答复后再确认", code="dispute_open")
        waiting = [f for f in figures if f.state == FigureState.VERIFIED]
        for f in waiting:
            f.state, f.updated_at = FigureState.CONFIRMED, now
        Figure.objects.bulk_update(waiting, ["state", "updated_at"])
        FigureStep.objects.bulk_create(
            [
                FigureStep(
                    figure=f, step=FigureStep.Step.CONFIRMED, value=f.value, by=actor.user, by_label=actor.label, at=now
                )
                for f in waiting
            ]
        )
        Participant.objects.filter(pk=participant.pk).update(confirmed_at=now)
    return len(waiting)


def _check_files(files) -> list[tuple]:
    files = list(files or [])
    if len(files) > OBJECTION_FILES_MAX:
        raise Invalid(f"附件最多{OBJECTION_FILES_MAX}个", code="too_many_files", field="files")
    checked = []
    for upload in files:
        if upload.size > OBJECTION_FILE_BYTES:
            raise Invalid("单个附件不能超过20MB", code="file_too_large", field="files")
        content_type, name = uploads.checked(
            upload, OBJECTION_FILE_TYPES, field="files", message="附件须为PDF、图片或Office文档"
        )
        checked.append((upload, content_type, name))
    return checked


def objection_file(
    actor: Actor,
    participant_id: int,
    *,
    text: str,
    kind_code: str | None = None,
    claimed_value=None,
    files=None,
    today: dt.date | None = None,
    now=None,
) -> Objection:
    """异议 in writing, with files: on a figure while data is collected (the figure is then disputed), or on the
    published result during 公示 (on a figure or on the class)."""
    from .selectors import participant_get

    now = _now(now)
    today = today or timezone.localdate()
    checked = _check_files(files)
    with transaction.atomic():
        participant = participant_get(actor, participant_id)
        if actor.role != Role.ENTERPRISE:
            raise Forbidden("异议由企业本身提出", code="objection_not_permitted")
        rnd = _round_for_update(participant.round_id)
        _not_frozen(rnd)
        if rnd.state in (RoundState.COLLECTING, RoundState.SCORED):
            stage = Objection.Stage.DATA
        elif rnd.state == RoundState.PUBLICITY and rnd.publicity_ends_on and today <= rnd.publicity_ends_on:
            stage = Objection.Stage.PUBLICITY
        else:
            raise Conflict("现在不在数据确认期或公示期内，不能提出异议", code="objection_closed")
        text = clean_text(text, "text", label="异议内容")
        figure = None
        if kind_code:
            kind = _kind(kind_code)
            figure = Figure.objects.select_for_update().filter(participant=participant, kind=kind).first()
            if figure is None:
                raise Invalid(f"“{kind.name}”尚无数据，无从提出异议", code="no_figure", field="kind")
            if figure.objections.filter(state=Objection.State.OPEN).exists():
                raise Conflict("该数据已有待答复的异议", code="objection_open", field="kind")
        elif stage == Objection.Stage.DATA:
            raise Invalid("请选择有异议的数据项", code="required", field="kind")
        claimed = clean_value(claimed_value, "claimed_value")
        objection = Objection.objects.create(
            participant=participant,
            figure=figure,
            stage=stage,
            text=text,
            claimed_value=claimed,
            filed_by=actor.user,
            filed_at=now,
        )
        for upload, content_type, name in checked:
            upload.seek(0)
            stored = ObjectionFile(objection=objection, name=name, content_type=content_type, size=upload.size)
            stored.file.save(name, upload, save=True)
        if figure is not None:
            figure.state, figure.updated_at = FigureState.DISPUTED, now
            figure.save(update_fields=["state", "updated_at"])
            FigureStep.objects.create(
                figure=figure,
                step=FigureStep.Step.DISPUTED,
                value=claimed,
                note=text[:500],
                by=actor.user,
                by_label=actor.label,
                at=now,
            )
    return objection


def objection_answer(actor: Actor, objection_id: int, *, answer: str, corrected_value=None, now=None) -> Objection:
    """The owning department answers: a corrected value (the figure changes, the round must be re-scored) or the
    value upheld with the reason. An objection on the class alone is answered by the round's managers."""
    from .selectors import objection_get

    now = _now(now)
    with transaction.atomic():
        objection = objection_get(actor, objection_id)
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("figure__kind", "participant")
            .get(pk=objection.pk)
        )
        rnd = _round_for_update(objection.participant.round_id)
        _not_frozen(rnd)
        if objection.state != Objection.State.OPEN:
            raise Conflict("该异议已答复", code="objection_answered")
        figure = objection.figure
        if figure is not None:
            if figure.kind_id not in access.owned_kinds(actor, rnd) and not actor.role == Role.SYSADMIN:
                raise Forbidden(f"由{figure.kind.owner_label}答复", code="answer_not_permitted")
        elif not access.can_manage(actor, rnd):
            raise Forbidden("由牵头部门答复", code="answer_not_permitted")
        answer = clean_text(answer, "answer", label="答复意见")
        corrected = clean_value(corrected_value, "corrected_value")
        if corrected is not None and figure is None:
            raise Invalid("对类别的异议没有可更正的数值", code="nothing_to_correct", field="corrected_value")
        objection.answer, objection.answered_by, objection.answered_at = answer, actor.user, now
        objection.state = Objection.State.CORRECTED if corrected is not None else Objection.State.UPHELD
        objection.save(update_fields=["answer", "answered_by", "answered_at", "state"])
        if figure is not None:
            changed = corrected is not None and corrected != figure.value
            figure.value = corrected if corrected is not None else figure.value
            figure.state, figure.updated_at = FigureState.VERIFIED, now
            figure.save(update_fields=["value", "state", "updated_at"])
            FigureStep.objects.create(
                figure=figure,
                step=FigureStep.Step.CORRECTED if corrected is not None else FigureStep.Step.UPHELD,
                value=figure.value,
                note=answer[:500],
                by=actor.user,
                by_label=actor.label,
                at=now,
            )
            if changed and rnd.score_runs:
                Round.objects.filter(pk=rnd.pk).update(needs_rescore=True)
    return objection


# ---- scoring, 公示, sign-off ---------------------------------------------------------------------------------------


def round_rows(rnd: Round) -> tuple[list[scoring.Row], dict[int, int]]:
    """The evaluated participants with their figures, read set-wise (two queries). Also {pid: enterprise id}."""
    codes = dict(FigureKind.objects.values_list("pk", "code"))
    parts = list(
        Participant.objects.filter(round=rnd, status=ParticipantStatus.EVALUATED).values_list(
            "pk", "group", "items", "enterprise_id"
        )
    )
    figures: dict[int, dict] = {pk: {} for pk, *_ in parts}
    with connection.cursor() as cursor:
        # As float8 on PostgreSQL: a numeric would come back as a Decimal per value, then be turned into a float.
        value = "value::float8" if connection.vendor == "postgresql" else "value"
        cursor.execute(
            f"SELECT participant_id, kind_id, {value} FROM landyield_figure WHERE round_id = %s AND value IS NOT NULL",
            [rnd.pk],
        )
        for pid, kind_id, value in cursor.fetchall():
            bucket = figures.get(pid)
            if bucket is not None:
                bucket[codes[kind_id]] = float(value)
    rows = [
        scoring.Row(pk, group, figures[pk], items if isinstance(items, list) else json.loads(items or "[]"))
        for pk, group, items, _ in parts
    ]
    return rows, {pk: ent for pk, _g, _i, ent in parts}


def _previous_d(rnd: Round) -> dict[int, int]:
    """{enterprise id: consecutive D years up to last year}, from last year's signed-off rounds."""
    return dict(
        Participant.objects.filter(round__year=rnd.year - 1, round__state=RoundState.FROZEN, klass="D").values_list(
            "enterprise_id", "consecutive_d"
        )
    )


def round_score(actor: Actor, round_id: int, *, now=None) -> dict:
    """Score the round from its figures with the scheme's current spec (a frozen scheme's spec is the one it
    was signed off with), and store score, rank, class and the consecutive D years. Returns counts by class."""
    now = _now(now)
    with transaction.atomic():
        rnd = _managed_round(actor, round_id) if not actor.is_system else _round_for_update(round_id)
        _not_frozen(rnd)
        spec = scheme_spec(rnd.scheme)
        rows, enterprises = round_rows(rnd)
        groups = {row.pid: row.group for row in rows}
        benchmarks, results = scoring.score_round(spec, rows)
        previous = _previous_d(rnd)
        write_results(rnd, results, {pid: previous.get(ent, 0) for pid, ent in enterprises.items()})
        counts = {k: 0 for k in "ABCD"}
        floors: dict[str, dict[str, float]] = {}
        for pid, r in results.items():
            counts[r.klass] += 1
            group = floors.setdefault(groups[pid], {})
            group[r.klass] = min(group.get(r.klass, r.score), r.score)
        rnd.spec, rnd.benchmarks, rnd.floors, rnd.scored_at = spec, benchmarks, floors, now
        rnd.score_runs += 1
        rnd.needs_rescore = False
        if rnd.state == RoundState.COLLECTING:
            rnd.state = RoundState.SCORED
        rnd.save(update_fields=["spec", "benchmarks", "floors", "scored_at", "score_runs", "needs_rescore", "state"])
    return counts


def write_results(rnd: Round, results: dict[int, scoring.Result], previous_d: dict[int, int]) -> None:
    """Store the results; participants no longer evaluated lose theirs.

    PostgreSQL: one statement per 10,000 participants, the rows sent as one JSON array (id, score, rank, class,
    class by quota, detail, consecutive D years) that the server unpacks (`jsonb_array_elements`) — one `json.dumps`
    in C instead of seven 10,000-element arrays with a JSON string escaped into each element. SQLite (in-process, no
    round trips): one prepared `executemany`, measured faster there than unpacking a document with `json_each`."""
    Participant.objects.filter(round=rnd).exclude(status=ParticipantStatus.EVALUATED).update(
        score=None, rank=None, klass="", quota_klass="", detail={}, consecutive_d=0
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = [
                (
                    pid,
                    round(r.score, scoring.PLACES),
                    r.rank,
                    r.klass,
                    r.quota_klass,
                    r.detail,
                    (previous_d.get(pid, 0) + 1) if r.klass == "D" else 0,
                )
                for pid, r in results.items()
            ]
            for start in range(0, len(rows), 10000):
                cursor.execute(
                    "UPDATE landyield_participant p SET score = (u.r->>1)::numeric, rank = (u.r->>2)::int, "
                    "klass = u.r->>3, quota_klass = u.r->>4, detail = u.r->5, consecutive_d = (u.r->>6)::int "
                    "FROM jsonb_array_elements(%s::jsonb) AS u(r) WHERE p.id = (u.r->>0)::bigint",
                    [json.dumps(rows[start : start + 10000], ensure_ascii=False, separators=(",", ":"))],
                )
        else:
            cursor.executemany(
                "UPDATE landyield_participant SET score = %s, rank = %s, klass = %s, quota_klass = %s, detail = %s, "
                "consecutive_d = %s WHERE id = %s",
                [
                    (
                        str(round(r.score, scoring.PLACES)),
                        r.rank,
                        r.klass,
                        r.quota_klass,
                        json.dumps(r.detail, ensure_ascii=False, separators=(",", ":")),
                        (previous_d.get(pid, 0) + 1) if r.klass == "D" else 0,
                        pid,
                    )
                    for pid, r in results.items()
                ],
            )


def publicity_end(start: dt.date, days: int, working: bool) -> dt.date:
    """The last day of 公示: `days` days counted from the first (working days through core.calendar)."""
    if not working:
        return start + dt.timedelta(days=days - 1)
    moment = timezone.make_aware(dt.datetime.combine(start, dt.time(12)))
    first = moment if calendar.is_working_day(start) else calendar.add_working_days(moment, 0)
    return calendar.add_working_days(first, days - 1).date()


def round_publish(actor: Actor, round_id: int, *, starts_on=None, now=None) -> Round:
    """公示: the scored list is published for the scheme's number of days; the published class is kept."""
    now = _now(now)
    with transaction.atomic():
        rnd = _managed_round(actor, round_id)
        _not_frozen(rnd)
        if rnd.state != RoundState.SCORED:
            raise Conflict("只有已评分、未公示的轮次可以公示", code="not_scored")
        if rnd.needs_rescore:
            raise Conflict("数据已变更，请先重新评分再公示", code="rescore_needed")
        start = starts_on or timezone.localdate(now)
        if isinstance(start, str):
            try:
                start = dt.date.fromisoformat(start)
            except ValueError:
                raise Invalid("日期格式应为 YYYY-MM-DD", code="invalid_date", field="starts_on") from None
        rnd.publicity_starts_on = start
        rnd.publicity_ends_on = publicity_end(start, rnd.scheme.publicity_days, rnd.scheme.publicity_working_days)
        rnd.state = RoundState.PUBLICITY
        rnd.save(update_fields=["publicity_starts_on", "publicity_ends_on", "state"])
        Participant.objects.filter(round=rnd).update(provisional_klass=F("klass"))
    return rnd


def publicity_close(rnd_id: int, today: dt.date) -> bool:
    """公示期满 → review (the worker, or a manager once the last day has passed)."""
    with transaction.atomic():
        rnd = _round_for_update(rnd_id)
        if rnd.state != RoundState.PUBLICITY or rnd.publicity_ends_on is None or today <= rnd.publicity_ends_on:
            return False
        rnd.state = RoundState.REVIEW
        rnd.save(update_fields=["state"])
    return True


def round_sign_off(actor: Actor, round_id: int, *, today: dt.date | None = None, now=None) -> Round:
    """审定: after 公示, with every objection answered and the round re-scored since the last change; then frozen,
    and its scheme locked."""
    now = _now(now)
    today = today or timezone.localdate(now)
    with transaction.atomic():
        rnd = _managed_round(actor, round_id)
        _not_frozen(rnd)
        if rnd.state == RoundState.PUBLICITY and rnd.publicity_ends_on and today > rnd.publicity_ends_on:
            rnd.state = RoundState.REVIEW
        if rnd.state != RoundState.REVIEW:
            raise Conflict("公示期满后才能审定", code="publicity_not_over")
        if Objection.objects.filter(participant__round=rnd, state=Objection.State.OPEN).exists():
            raise Conflict("还有未答复的异议", code="objections_open")
        if rnd.needs_rescore:
            raise Conflict("数据已更正，请先重新评分", code="rescore_needed")
        rnd.state, rnd.signed_off_by, rnd.signed_off_at = RoundState.FROZEN, actor.user, now
        rnd.save(update_fields=["state", "signed_off_by", "signed_off_at"])
        Scheme.objects.filter(pk=rnd.scheme_id).update(locked=True)
    return rnd


# ---- after the class: 领导包保 for D-class firms, problems as cases ---------------------------------------------


def d_class_patronage(
    actor: Actor, participant_id: int, *, leader, lead_unit, started_on, visits: list[tuple], reason: str = ""
):
    """Put a D-class firm of a signed-off round into 领导包保 (patronage's own service) with a visit plan."""
    from whistle.patronage import services as patronage_services

    from .selectors import participant_get

    participant = participant_get(actor, participant_id)
    if participant.klass != "D" or not participant.round.is_frozen:
        raise Conflict("只有已审定的D类企业可以纳入亩产效益包保", code="not_d_class")
    plan = []
    for i, (day, purpose) in enumerate(visits or []):
        day = patronage_services.clean_date(day, f"visits[{i}].planned_on")
        purpose = clean_text(purpose, f"visits[{i}].purpose", label="走访重点", limit=200)
        plan.append((day, purpose))
    if not plan:
        raise Invalid("请至少安排一次走访", code="visit_plan_required", field="visits")
    with transaction.atomic():
        patronage = patronage_services.patronage_assign(
            actor,
            enterprise=participant.enterprise,
            leader=leader,
            lead_unit=lead_unit,
            started_on=started_on,
            reason=reason or f"{participant.round.year}年度亩产效益评价D类企业",
        )
        VisitPlan.objects.bulk_create(
            [VisitPlan(participant=participant, patronage=patronage, planned_on=d, purpose=p) for d, p in plan]
        )
    return patronage


def problem_raise(actor: Actor, participant_id: int, *, description: str, category: str, now=None):
    """A D-class firm's problem (found on a visit or in the evaluation) raised as a case, through the case service."""
    from .selectors import participant_get

    participant = participant_get(actor, participant_id)
    if actor.role not in (Role.COORDINATOR, Role.LEADER):
        raise Forbidden("由包保领导或辖区吹哨办转为工单", code="problem_not_permitted")
    description = clean_text(description, "description", label="问题描述")
    enterprise = participant.enterprise
    case, _ = case_submit(
        actor,
        kind=Kind.HELP,
        category=category,
        description=f"{description}\n\n（来源：{participant.round.year}年度亩产效益评价 {participant.get_klass_display()}；登记人 {actor.label}）",
        channel=Channel.VISIT,
        enterprise=enterprise,
        county=participant.round.county.code if participant.round.county.parent_id else enterprise.county.code,
        external_ref=f"landyield:{participant.pk}",
        now=now,
    )
    return case


def scheme_copy(scheme: Scheme, year: int, *, county=None) -> Scheme:
    """A scheme for another year (or a county's own), indicators and items included, as a new unlocked version."""
    with transaction.atomic():
        version = (
            Scheme.objects.filter(year=year, county=county)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        indicators, items = list(scheme.indicators.all()), list(scheme.items.all())
        scheme.pk, scheme.id = None, None
        scheme.year, scheme.county, scheme.version, scheme.locked = year, county, version, False
        scheme.save()
        for obj in indicators + items:
            obj.pk = obj.id = None
            obj.scheme = scheme
            obj.save()
    return scheme
