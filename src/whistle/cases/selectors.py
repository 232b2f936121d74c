"""Every read of cases, always scoped to the actor. Outside the scope a case does not exist (404)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Aggregate, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models import Case as DjCase

from whistle.core.compiled import Compiled
from whistle.core.errors import NotFound
from whistle.org.models import Role
from whistle.org.scopes import READ_ALL_ROLES, UNIT_ROLES, Actor

from .models import (
    URGENCY_RANK,
    CallbackCheck,
    CallbackState,
    Case,
    CaseAttachment,
    CaseEvent,
    Category,
    Urgency,
    category_city_q,
    number_matches,
    pk_from_number,
)

Assisting = Case.assisting_units.through


def case_scope_q(actor: Actor) -> Q:
    """The cases an actor may see, as a filter. Nothing for an actor with no role."""
    shape = _scope_shape(actor)
    if shape is not None:
        return _scope(*shape)
    if actor.role in (Role.COORDINATOR, Role.LEADER):
        return actor.subtree_q("county", "lead_unit")
    return Q(pk__in=[])


def _scope_shape(actor: Actor) -> tuple[str, tuple[int, ...]] | None:
    """The scopes that are one of a few shapes with values (everything; an enterprise's; a unit's as lead or
    assisting), as (shape, values), for `case_scope_q` and the compiled `case_get`; None for the others."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return ("all", ())
    if actor.role == Role.ENTERPRISE and actor.enterprise_id is not None:
        return ("enterprise", (actor.enterprise_id,))
    if actor.role in UNIT_ROLES and actor.unit is not None:
        return ("unit", (actor.unit.pk,))
    return None


def _scope(shape: str, values: tuple) -> Q:
    if shape == "enterprise":
        return Q(enterprise_id=values[0])
    if shape == "unit":
        assisting = Exists(Assisting.objects.filter(case_id=OuterRef("pk"), unit_id=values[0]))
        return Q(lead_unit_id=values[0]) | Q(assisting)
    return Q()


def case_list(
    actor: Actor,
    *,
    state: str | None = None,
    unit: int | None = None,
    county: int | None = None,
    kind: str | None = None,
    overdue: bool | None = None,
    due_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    qs = Case.objects.filter(case_scope_q(actor))
    if state:
        qs = qs.filter(state__in=state.split(","))
    if unit:
        qs = qs.filter(lead_unit_id=unit)
    if county:
        qs = qs.filter(county_id=county)
    if kind:
        qs = qs.filter(kind=kind)
    if overdue is not None:
        from django.utils import timezone

        moment = now or timezone.now()
        late = Q(is_open=True, next_due_at__lt=moment)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if due_before:
        qs = qs.filter(next_due_at__lt=due_before)
    return qs.select_related("category", "lead_unit", "county", "enterprise").order_by("-submitted_at", "-pk")


def inbox(actor: Actor) -> QuerySet[Case]:
    """A unit's open cases, nearest deadline first, those owing nothing (replied) last (index `case_inbox`)."""
    if actor.role not in UNIT_ROLES or actor.unit is None:
        return Case.objects.none()
    return (
        Case.objects.filter(lead_unit_id=actor.unit.pk, is_open=True)
        .select_related("category", "county", "enterprise", "lead_unit")
        .order_by(urgency_rank(), F("next_due_at").asc(nulls_last=True), "pk")
    )


def urgency_rank() -> DjCase:
    """紧急 first, then 加急, then the rest (rules.md §8.2): the desk's and the dispatch queue's first key."""
    return DjCase(
        *(When(urgency=u, then=Value(rank)) for u, rank in URGENCY_RANK.items() if u != Urgency.ORDINARY),
        default=Value(URGENCY_RANK[Urgency.ORDINARY]),
    )


def case_get(actor: Actor, number: str | int, *, for_update: bool = False) -> Case:
    pk = pk_from_number(number) if isinstance(number, str) else number
    if pk is None:
        raise NotFound("工单不存在", code="case_not_found", field="number")
    shape = _scope_shape(actor)
    if shape is None:  # a coordinator's or leader's subtree (a path prefix): compiled afresh each time
        case = next(iter(_case_query(case_scope_q(actor), for_update, pk)), None)
    else:
        key = (shape[0], for_update)
        if key not in _CASE_GETS:
            _CASE_GETS[key] = Compiled(
                lambda pk, *values: _case_query(_scope(key[0], values), key[1], pk), int, *(int,) * len(shape[1])
            )
        case = _CASE_GETS[key].first(pk, *shape[1])
    if case is None or not number_matches(case, number):
        raise NotFound("工单不存在", code="case_not_found", field="number")
    if for_update:
        ids = getattr(case, "assisting_list", None)
        case.assisting_ids = {int(i) for i in ids.split(",")} if ids else set()
        case.has_attachments = bool(getattr(case, "any_attachment", True))
    return case


# `case_get`'s statement for each scope shape, locking or not, compiled once (`core.compiled`): the same statement
# with the case's id and the scope's values, without Django compiling its seven-table SQL at each request.
_CASE_GETS: dict[tuple[str, bool], Compiled[Case]] = {}


def _case_query(scope: Q, for_update: bool, pk) -> QuerySet[Case]:
    qs = Case.objects.filter(scope, pk=pk).select_related(
        "category", "lead_unit", "county", "enterprise", "sla_profile"
    )
    if for_update:
        # One statement checks the scope, locks, and brings what planning and the answer read: the joined rows, the
        # assisting units' ids and whether there are attachments (`Case.assisting_ids`, `Case.has_attachments`).
        # `of` keeps the lock on the case row, not the rows it joins.
        assisting: QuerySet = Assisting.objects.filter(case_id=OuterRef("pk")).values("case_id")
        qs = qs.select_for_update(of=("self",)).annotate(
            assisting_list=Subquery(assisting.annotate(ids=IdList("unit_id")).values("ids")),
            any_attachment=Exists(CaseAttachment.objects.filter(case_id=OuterRef("pk"))),
        )
    return qs[:1]


class IdList(Aggregate):
    """A group's ids as one comma-separated string (SQLite's group_concat, PostgreSQL's string_agg)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s((%(expressions)s)::text, ',')",
            **extra_context,
        )


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.order_by("seq")


def category_city(actor: Actor) -> int | None:
    """The city whose own categories an actor may choose (`Category.city`): the city of their unit, an enterprise's
    county's city; None (the province's categories only) for the province's staff and the system."""
    if actor.city_id:
        return actor.city_id
    enterprise = actor.membership.enterprise if actor.membership is not None else None
    return enterprise.county.city_id if enterprise is not None and enterprise.county_id else None


def category_offered(actor: Actor) -> QuerySet[Category]:
    """The active public categories an actor may submit under: the province's and their city's own."""
    return (
        Category.objects.filter(category_city_q(category_city(actor)), is_active=True, is_public=True)
        .select_related("parent", "city")
        .order_by("code")
    )


def category_choices(query: str = "", city_id: int | None = None) -> list:
    """Active categories grouped under their top level; a query keeps the matches (name, keywords, description).
    The province's categories and, for a city, its own (what `case_submit` accepts for a case of that city)."""
    categories = list(
        Category.objects.filter(category_city_q(city_id), is_active=True, is_public=True).only(
            "pk", "code", "name", "parent_id", "keywords", "description"
        )
    )
    by_pk = {c.pk: c for c in categories}

    def top(c):
        while c.parent_id in by_pk:
            c = by_pk[c.parent_id]
        return c

    def depth(c):
        return 0 if c.parent_id not in by_pk else 1 + depth(by_pk[c.parent_id])

    terms = query.split()
    groups: dict[int, list] = {}
    for c in sorted(categories, key=lambda c: c.code):
        haystack = f"{c.name} {c.keywords} {c.description} {top(c).name}"
        if all(t in haystack for t in terms):
            groups.setdefault(top(c).pk, []).append((c.code, "　" * depth(c) + c.name))
    return [(by_pk[pk].name, options) for pk, options in sorted(groups.items(), key=lambda g: by_pk[g[0]].code)]


def callback_list(actor: Actor, *, state: str | None = None) -> QuerySet[CallbackCheck]:
    """The call-back checks of the cases the actor sees (the office calls; others read)."""
    qs = CallbackCheck.objects.filter(case__in=Case.objects.filter(case_scope_q(actor)).values("pk"))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("case", "unit", "draw", "case__enterprise").order_by("-draw__month", "state", "case_id")


def callback_facts(first: dt.date, last: dt.date, unit_ids) -> dict[int, dict]:
    """The facts of the metric `callback_consistency` (回访一致率): per unit, the sampled cases closed in the months
    [first, last] that the office's call reached (`callback_checked`), and those whose answers agreed with the
    requester's own (`callback_consistent`). Unreachable and pending calls count in neither."""
    rows = (
        CallbackCheck.objects.filter(
            draw__month__gte=first.replace(day=1), draw__month__lte=last, unit_id__in=list(unit_ids)
        )
        .order_by()
        .values("unit_id")
        .annotate(
            checked=Count("pk", filter=Q(state=CallbackState.DONE)),
            consistent=Count("pk", filter=Q(state=CallbackState.DONE, mismatch=False)),
        )
    )
    return {r["unit_id"]: {"callback_checked": r["checked"], "callback_consistent": r["consistent"]} for r in rows}


def callback_summary(actor: Actor, month=None) -> list[dict]:
    """Per unit: drawn, checked (answered), mismatches, and 不一致率 = mismatches / checked (percent, one decimal;
    None when nothing was checked). Unreachable calls are neither checked nor mismatched."""
    from whistle.core.figures import percent

    qs = callback_list(actor).order_by()
    if month is not None:
        qs = qs.filter(draw__month=month)
    rows = qs.values("unit__name", "unit_id").annotate(
        drawn=Count("pk"),
        checked=Count("pk", filter=Q(state=CallbackState.DONE)),
        mismatches=Count("pk", filter=Q(mismatch=True)),
        pending=Count("pk", filter=Q(state=CallbackState.PENDING)),
    )
    found = [
        {
            "unit": r["unit__name"],
            "drawn": r["drawn"],
            "checked": r["checked"],
            "pending": r["pending"],
            "mismatches": r["mismatches"],
            "mismatch_rate": percent(r["mismatches"], r["checked"]) if r["checked"] else None,
        }
        for r in rows
    ]
    return sorted(found, key=lambda r: (-(r["mismatch_rate"] or 0), -r["mismatches"], r["unit"]))
