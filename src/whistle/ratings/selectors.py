"""Reads for the card pages, the monthly ranking and the leader dashboard (from the rollups), and the one read
of a rating for a call-back (the read of rater contact itself is logged, so it is a service)."""

import datetime as dt

from django.db.models import Exists, OuterRef, Sum

from whistle.cases.models import Channel
from whistle.cases.workflow import is_row_id
from whistle.core.compiled import Compiled
from whistle.core.errors import Invalid, NotFound
from whistle.core.figures import percent
from whistle.core.months import month_bounds
from whistle.core.rules import int_param
from whistle.org.models import Role, Unit
from whistle.org.scopes import READ_ALL_ROLES, Actor, subtree_q

from .models import Cadre, CallBack, ContactRead, Level, Rating, RatingRollup, RollupKind, Window


def _card_by_code(model):
    # The unit's county and city government with it: a poor rating files its rectification case under one of them
    # (services._county_of). A code is unique, so no ordering (the model's own would join the unit's path and sort).
    return Compiled(
        lambda code: (
            model.objects.select_related("unit", "unit__county", "unit__city")
            .filter(card_code=code, is_active=True)
            .order_by()[:1]
        ),
        str,
    )


# Every card page and every public rating reads its card: compiled once per connection (`core.compiled`; compiling
# the queryset each time cost about 2.5 ms of Python, ten times the read).
_CARDS = (_card_by_code(Cadre), _card_by_code(Window))


def card_get(code: str):
    """The active cadre or window behind a public card code."""
    for compiled in _CARDS:
        target = compiled.first(code)
        if target is not None:
            return target
    raise NotFound("该亮码不存在或已停用", code="card_not_found")


LEVEL_SUMS = {f"n{n}": Sum(f"n{n}") for n in range(1, 6)}
SATISFIED_PARAM = "ratings.satisfied_min_level"


def satisfied_min_level() -> int:
    """满意率's definition is data (rules.md §8.6: store which variant is in use): the lowest level that counts as
    satisfied — 3: 非常满意+满意+基本满意 (default), 4: 非常满意+满意."""
    return min(max(int_param(SATISFIED_PARAM), 1), 5)


def satisfaction_definition() -> str:
    return "+".join(Level(n).label for n in range(5, satisfied_min_level() - 1, -1))


def _figures(by_level: dict[int, int]) -> dict:
    count = sum(by_level.values())
    least = satisfied_min_level()
    return {
        "count": count,
        "good_rate": percent(by_level[4] + by_level[5], count),
        "poor_rate": percent(by_level[1] + by_level[2], count),
        "satisfaction_rate": percent(sum(by_level[n] for n in range(least, 6)), count),
    }


def _levels(row: dict) -> dict[int, int]:
    return {n: int(row.get(f"n{n}") or 0) for n in range(1, 6)}


def rating_summary(target, levels: dict[int, int] | None = None) -> dict:
    """亮评价 of one cadre or window, from the rollups: only counted ratings (flagged and voided ones are kept but
    not published); 满意率 by the configured definition (default 非常满意+满意+基本满意, rules.md §8.6). `levels`:
    the rollups' sums by level when the caller has them already (the public rating's write statement returns them)."""
    if levels is not None:
        return _figures(levels)
    kind = RollupKind.CADRE if isinstance(target, Cadre) else RollupKind.WINDOW
    return _figures(_levels(RatingRollup.objects.filter(kind=kind, target_id=target.pk).aggregate(**LEVEL_SUMS)))


def _scoped(qs, actor: Actor, field: str = "unit"):
    """Rollups (or anything with a unit) inside the actor's subtree; nothing for an actor without one."""
    if actor.role in READ_ALL_ROLES or actor.is_system:
        return qs
    return qs.filter(actor.subtree_q(field))


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def monthly_ranking(actor, month: dt.date) -> list[dict]:
    """亮评价 by month: every active cadre and window with counted ratings in the actor's scope, ranked by
    satisfaction then count. Beijing calendar months, read from the rollups."""
    rows = (
        _scoped(RatingRollup.objects.filter(month=_month(month)), actor)
        .values("kind", "target_id")
        .annotate(**LEVEL_SUMS)
    )
    targets = {}
    for model, kind in ((Cadre, RollupKind.CADRE), (Window, RollupKind.WINDOW)):
        ids = [r["target_id"] for r in rows if r["kind"] == kind]
        targets[kind] = model.objects.select_related("unit").filter(is_active=True).in_bulk(ids)
    ranked = []
    for r in rows:
        target = targets[r["kind"]].get(r["target_id"])
        by_level = _levels(r)
        if target is None or not sum(by_level.values()):
            continue
        ranked.append(
            {
                "kind": RollupKind(r["kind"]).label,
                "target": target,
                "levels": [by_level[n] for n in range(5, 0, -1)],
                **_figures(by_level),
            }
        )
    ranked.sort(key=lambda r: (-r["satisfaction_rate"], -r["count"], r["target"].name))
    return ranked


def _period(actor: Actor, date_from: dt.date, date_to: dt.date):
    """Rollups are monthly: the period is the whole Beijing months from date_from's to date_to's."""
    return _scoped(RatingRollup.objects.filter(month__gte=_month(date_from), month__lte=_month(date_to)), actor)


def ratings_overview(actor: Actor, date_from: dt.date, date_to: dt.date) -> dict:
    """好差评 in the actor's subtree over whole months (rules.md §8.6): count, five-level distribution, 好评率,
    差评率, 满意率 (with the definition in use), 差评 count, and of the poor ratings that opened a rectification case
    here: 回访率 (a call-back outcome was recorded: 回访核实) and 整改率 (the case was closed). Imported poor ratings were handled
    in their source system and open no case here, so they are not in the call-back and rectification figures."""
    by_level = _levels(_period(actor, date_from, date_to).aggregate(**LEVEL_SUMS))
    figures = _figures(by_level)
    poor = by_level[1] + by_level[2]
    start, end = month_bounds(_month(date_from))[0], month_bounds(_month(date_to))[1]
    # Rectified ratings are live ones: `external_id=""` lets the planner take the live indexes.
    cases = _scoped(
        Rating.objects.filter(
            external_id="", counted=True, rectification__isnull=False, created_at__gte=start, created_at__lt=end
        ),
        actor,
    )
    opened = cases.count()
    # 回访率 counts call-backs with a recorded outcome (CallBack), not the case's contact step.
    called = cases.filter(Exists(CallBack.objects.filter(rating=OuterRef("pk")))).count()
    closed = cases.filter(rectification__is_open=False).count()
    return {
        **figures,
        "by_level": by_level,
        "poor": poor,
        "callback_rate": percent(called, opened),
        "rectification_rate": percent(closed, opened),
        "definition": satisfaction_definition(),
    }


def ratings_by_unit(actor: Actor, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Per rated unit in the actor's subtree over whole months: code, name, count, 满意率, 差评 count; most rated first."""
    rows = _period(actor, date_from, date_to).values("unit").annotate(**LEVEL_SUMS)
    units = Unit.objects.in_bulk([r["unit"] for r in rows])
    out = []
    for r in rows:
        by_level = _levels(r)
        figures = _figures(by_level)
        if figures["count"]:
            unit = units[r["unit"]]
            out.append(
                {
                    "unit": unit.code,
                    "name": unit.name,
                    "count": figures["count"],
                    "satisfaction_rate": figures["satisfaction_rate"],
                    "poor": by_level[1] + by_level[2],
                }
            )
    out.sort(key=lambda r: (-r["count"], r["unit"]))
    return out


# ---- the whole city's rollups, for the accountability worker (no actor: it judges every unit) ----------------------

ROLLUP_SUBJECTS = {
    "cadre": ({"kind": RollupKind.CADRE}, "target_id"),
    "window": ({"kind": RollupKind.WINDOW}, "target_id"),
    "unit": ({}, "unit"),
}


def level_counts(subject: str, month_from: dt.date, month_to: dt.date | None = None) -> dict[int, dict[int, int]]:
    """Counted ratings per cadre, window or rated unit (`subject`) over the Beijing months month_from…month_to
    (default: month_from alone), from the rollups: {id: {level: n}}, ids with no counted rating left out."""
    where, field = ROLLUP_SUBJECTS[subject]
    rows = (
        RatingRollup.objects.filter(month__gte=_month(month_from), month__lte=_month(month_to or month_from), **where)
        .values(field)
        .annotate(**LEVEL_SUMS)
        .order_by()
    )
    counts = {r[field]: _levels(r) for r in rows}
    return {pk: levels for pk, levels in counts.items() if any(levels.values())}


def poor_targets(month_from: dt.date, month_to: dt.date) -> list[dict]:
    """Every cadre and window with counted poor ratings (差评, levels 1–2) in the Beijing months month_from…month_to,
    per rated unit, from the rollups: [{kind, target_id, unit, poor}]."""
    rows = (
        RatingRollup.objects.filter(month__gte=_month(month_from), month__lte=_month(month_to))
        .values("kind", "target_id", "unit")
        .annotate(n1=Sum("n1"), n2=Sum("n2"))
        .order_by()
    )
    return [
        {"kind": r["kind"], "target_id": r["target_id"], "unit": r["unit"], "poor": r["n1"] + r["n2"]}
        for r in rows
        if r["n1"] + r["n2"] > 0
    ]


CONTACT_ROLES = {Role.HANDLER, Role.UNIT_ADMIN, Role.COORDINATOR}
# Why staff read a rater's contact (the reason is logged with the read); "other" needs a note.
CONTACT_PURPOSES = {
    "callback": "回访核实差评",
    "feedback": "向评价人反馈整改结果",
    "appeal": "申诉复核核实评价",
    "other": "其他",
}


def may_read_contact(actor: Actor, rating: Rating) -> bool:
    """A poor rating's call-back is the rated unit's (its handlers and administrators, or a unit above it) and its
    coordinators'; nobody else reads rater contact, and nobody reads it for a rating that is not poor."""
    return rating.grade == "poor" and actor.role in CONTACT_ROLES and actor.covers(rating.unit)


def contact_rating_get(actor: Actor, rating_id) -> Rating:
    """The poor rating whose rater the actor may call back, with its target and rectification; anyone else, or any
    other rating, finds nothing (404). Reads no contact: the page shows it only through `services.rater_contact`, which logs the read."""
    rating = (
        Rating.objects.select_related("unit", "cadre", "window", "rectification").filter(pk=rating_id).first()
        if is_row_id(rating_id)
        else None
    )
    if rating is None or not may_read_contact(actor, rating):
        raise NotFound("评价不存在", code="rating_not_found")
    return rating


def rating_of_case(case) -> Rating | None:
    """The poor rating a rectification case (差评整改) was opened for; None for any other case."""
    if case.channel != Channel.RATING:
        return None
    return Rating.objects.select_related("unit", "cadre", "window").filter(rectification_id=case.pk).first()


def contact_purpose(reason: str, note: str = "") -> str:
    """The logged reason for a read: one of CONTACT_PURPOSES, with an optional note (required for "other")."""
    if reason not in CONTACT_PURPOSES:
        raise Invalid("请选择查看事由", code="purpose_required", field="reason")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise Invalid("选择“其他”时请写明查看事由", code="purpose_note_required", field="note")
    if len(note) > 150:
        raise Invalid("补充说明不能超过150字", code="purpose_note_too_long", field="note")
    return (
        CONTACT_PURPOSES[reason] if not note else note if reason == "other" else f"{CONTACT_PURPOSES[reason]}：{note}"
    )


def contact_reads(rating: Rating) -> list[ContactRead]:
    """Who read this rating's rater contact, when and why, newest first."""
    return list(ContactRead.objects.filter(rating=rating).order_by("-at", "-id")[:50])


# Who may print (download) a unit's 三亮 cards: the unit's administrators and the offices and leaders over it.
PRINTING_ROLES = {Role.UNIT_ADMIN, Role.COORDINATOR, Role.LEADER, Role.SYSADMIN}


def may_print_card(actor, unit) -> bool:
    """The card files answer 404 to anyone else, so pages offer their links only when this is true."""
    return actor.role in PRINTING_ROLES and (actor.role == Role.SYSADMIN or actor.covers(unit))


def unit_cards_get(actor: Actor, unit_code: str) -> tuple[Unit, list[tuple[str, Cadre | Window]]]:
    """A unit and every active card of it and the units under it, for the printer's .zip: [("干部"|"窗口", card)].
    Anyone who may not print the unit's cards finds nothing (404)."""
    root = Unit.objects.filter(code=unit_code, is_active=True).first()
    if root is None or not may_print_card(actor, root):
        raise NotFound("单位不存在", code="unit_not_found")
    cards = [
        (kind, target)
        for model, kind in ((Cadre, "干部"), (Window, "窗口"))
        for target in model.objects.select_related("unit").filter(subtree_q(root, "unit"), is_active=True)
    ]
    return root, cards
