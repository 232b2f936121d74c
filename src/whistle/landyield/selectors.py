"""Every read of 亩产效益, scoped to the actor (see access.py). Outside scope is 404, exactly like missing."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Min, Q, QuerySet, Sum

from whistle.core.errors import NotFound
from whistle.org.models import Role
from whistle.org.scopes import READ_ALL_ROLES, Actor

from . import access, scoring
from .models import (
    ClassPolicy,
    CrossCheck,
    Figure,
    FigureKind,
    Klass,
    Objection,
    ObjectionFile,
    Participant,
    ParticipantStatus,
    Round,
    RoundState,
    VisitPlan,
)

CLASSES = "ABCD"


def _valid_id(value) -> bool:
    return isinstance(value, int) and 0 < value < 2**63


def round_list(actor: Actor) -> QuerySet[Round]:
    return (
        Round.objects.filter(pk__in=Round.objects.filter(access.round_scope_q(actor)).values("pk"))
        .select_related("county", "lead_unit", "scheme")
        .order_by("-year", "county__path")
    )


def round_get(actor: Actor, round_id: int) -> Round:
    rnd = round_list(actor).filter(pk=round_id).first() if _valid_id(round_id) else None
    if rnd is None:
        raise NotFound("评价轮次不存在", code="round_not_found")
    return rnd


def participant_list(
    actor: Actor,
    rnd: Round,
    *,
    klass: str = "",
    group: str = "",
    status: str = "",
    q: str = "",
    park: int | None = None,
) -> QuerySet[Participant]:
    qs = Participant.objects.filter(round=rnd).select_related("enterprise", "park")
    if klass:
        qs = qs.filter(klass=klass)
    if group:
        qs = qs.filter(group=group)
    if status:
        qs = qs.filter(status=status)
    if park:
        qs = qs.filter(park_id=park)
    if q:
        qs = qs.filter(Q(enterprise__name__contains=q) | Q(enterprise__uscc=q.upper()))
    return qs.order_by("group", "rank", "enterprise__name")


def participant_get(actor: Actor, participant_id: int) -> Participant:
    found = None
    if _valid_id(participant_id):
        found = (
            Participant.objects.filter(access.participant_scope_q(actor), pk=participant_id)
            .select_related("round__county", "round__scheme", "round__lead_unit", "enterprise", "park")
            .first()
        )
    if found is None:
        raise NotFound("参评企业不存在", code="participant_not_found")
    return found


def my_participations(actor: Actor) -> QuerySet[Participant]:
    if actor.role != Role.ENTERPRISE or not actor.enterprise_id:
        return Participant.objects.none()
    return (
        Participant.objects.filter(enterprise_id=actor.enterprise_id)
        .select_related("round__county")
        .order_by("-round__year")
    )


def objection_list(actor: Actor, rnd: Round, *, state: str = "") -> QuerySet[Objection]:
    qs = Objection.objects.filter(participant__round=rnd).select_related("participant__enterprise", "figure__kind")
    if actor.role in access.UNIT_ROLES and not access.can_manage(actor, rnd):
        qs = qs.filter(figure__kind_id__in=access.owned_kinds(actor, rnd))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("state", "-filed_at")


def objection_get(actor: Actor, objection_id: int) -> Objection:
    found = None
    if _valid_id(objection_id):
        found = (
            Objection.objects.filter(pk=objection_id)
            .filter(participant__in=Participant.objects.filter(access.participant_scope_q(actor)).values("pk"))
            .select_related("participant__round__county", "participant__enterprise", "figure__kind")
            .first()
        )
    if found is None:
        raise NotFound("异议不存在", code="objection_not_found")
    return found


def objection_file_get(actor: Actor, file_id: int) -> ObjectionFile:
    found = None
    if _valid_id(file_id):
        found = ObjectionFile.objects.filter(pk=file_id).select_related("objection").first()
        if found is not None:
            try:
                objection_get(actor, found.objection_id)
            except NotFound:
                found = None
    if found is None:
        raise NotFound("附件不存在", code="file_not_found")
    return found


def figure_rows(actor: Actor, participant: Participant) -> list[dict]:
    """Each figure kind with its value, state, owner and steps: what the enterprise confirms or disputes, what
    the department verifies."""
    figures = {
        f.kind_id: f for f in Figure.objects.filter(participant=participant).prefetch_related("steps", "objections")
    }
    owned = access.owned_kinds(actor, participant.round) if actor.role in access.UNIT_ROLES else set()
    owners = {o.kind_id: o.unit for o in participant.round.owners.select_related("unit")}
    rows = []
    for kind in FigureKind.objects.all():
        figure = figures.get(kind.pk)
        rows.append(
            {
                "kind": kind,
                "figure": figure,
                "owner": owners.get(kind.pk),
                "steps": list(figure.steps.all()) if figure else [],
                "open_objection": next((o for o in figure.objections.all() if o.state == "open"), None)
                if figure
                else None,
                "can_write": kind.pk in owned or (actor.role == Role.ENTERPRISE and kind.enterprise_files),
            }
        )
    return rows


# ---- the enterprise's own page --------------------------------------------------------------------------------------


def class_floors(rnd: Round, group: str) -> dict[str, float]:
    """The lowest score in each class of a group: the line to pass for that class (kept by the last scoring)."""
    if rnd.floors:
        return rnd.floors.get(group, {})
    rows = (
        Participant.objects.filter(round=rnd, group=group, status=ParticipantStatus.EVALUATED, score__isnull=False)
        .exclude(klass="")
        .values("klass")
        .annotate(low=Min("score"))
    )
    return {r["klass"]: float(r["low"]) for r in rows}


def enterprise_page(actor: Actor, participant: Participant) -> dict:
    """Scores against the benchmarks, class over the years, what moved it, what it takes to reach the next class."""
    rnd = participant.round
    spec = rnd.spec or {}
    indicators = spec.get("indicators", {}).get(participant.group, [])
    detail = participant.detail or {}
    bench = (rnd.benchmarks or {}).get(participant.group, {})
    history = list(
        Participant.objects.filter(enterprise_id=participant.enterprise_id, round__year__lte=rnd.year)
        .exclude(klass="")
        .select_related("round")
        .order_by("round__year")
    )
    previous = next((h for h in reversed(history) if h.round.year < rnd.year), None)
    prev_scores = (previous.detail or {}).get("scores", {}) if previous else {}
    rows = []
    for ind in indicators:
        code = ind["code"]
        value = (detail.get("values") or {}).get(code)
        score = (detail.get("scores") or {}).get(code)
        rows.append(
            {
                "code": code,
                "name": ind["name"],
                "unit": ind.get("unit", ""),
                "weight": float(ind["weight"]),
                "value": value,
                "benchmark": bench.get(code),
                "score": score,
                "pct": round(100 * value / bench[code]) if value is not None and bench.get(code) else None,
                "previous": prev_scores.get(code) if previous else None,
                "delta": round(score - prev_scores[code], 2)
                if previous and score is not None and code in prev_scores
                else None,
                "averaged": code in (detail.get("averaged") or []),
            }
        )
    moved = sorted((r for r in rows if r["delta"] is not None), key=lambda r: abs(r["delta"]), reverse=True)[:3]
    gap = None
    if participant.klass and participant.score is not None and not detail.get("vetoed"):
        gap = scoring.next_class_gap(
            spec, participant.group, float(participant.score), participant.klass, class_floors(rnd, participant.group)
        )
        if gap:
            gap["paths"] = _paths(rows, indicators, participant, gap["gap"])
    return {
        "p": participant,
        "round": rnd,
        "rows": rows,
        "history": history,
        "previous": previous,
        "moved": moved,
        "gap": gap,
        "policies": list(ClassPolicy.objects.filter(klass=participant.klass)) if participant.klass else [],
        "vetoed": detail.get("vetoed"),
        "protected": detail.get("protected"),
        "items": [(spec.get("items", {}).get(c) or {"name": c}) for c in participant.items or []],
        "visit_plans": list(VisitPlan.objects.filter(participant=participant)),
    }


def _paths(rows, indicators, participant, gap) -> list[dict]:
    """For each indicator not at its cap: how much its value must rise, alone, to close the gap."""
    figures = dict(
        Figure.objects.filter(participant=participant, value__isnull=False).values_list("kind__code", "value")
    )
    by_code = {i["code"]: i for i in indicators}
    out = []
    for r in rows:
        ind = by_code[r["code"]]
        bench = r["benchmark"]
        if not bench or r["value"] is None:
            continue
        cap = float(ind["cap"]) if ind.get("cap") else None
        current = r["value"] / bench
        needed_ratio = current + gap / r["weight"]
        if cap is not None and needed_ratio > cap:
            continue
        value_up = needed_ratio * bench - r["value"]
        numerator = None
        den = ind.get("denominator")
        if den and figures.get(den):
            numerator = value_up * float(figures[den]) / float(ind.get("scale") or 1)
        out.append({"name": r["name"], "unit": r["unit"], "value_up": round(value_up, 2), "numerator_up": numerator})
    return sorted(out, key=lambda p: p["value_up"] / max(abs(p["value_up"]), 1e-9))[:6]


# ---- county and park views, cockpit ---------------------------------------------------------------------------------


def class_mix(rnd: Round) -> dict:
    rows = (
        Participant.objects.filter(round=rnd, status=ParticipantStatus.EVALUATED)
        .exclude(klass="")
        .values("group", "klass")
        .annotate(n=Count("pk"))
    )
    mix: dict = defaultdict(lambda: {k: 0 for k in CLASSES})
    for r in rows:
        mix[r["group"]][r["klass"]] += r["n"]
    return {g: dict(v) for g, v in mix.items()}


def park_view(rnd: Round) -> list[dict]:
    """Land efficiency by park (乡镇/园区): tax per mu over the participants with both figures, class mix."""
    land = Figure.objects.filter(round=rnd, kind__code="land_area", value__gt=0)
    tax = dict(
        Figure.objects.filter(round=rnd, kind__code="tax", participant__in=land.values("participant"))
        .values("participant__park")
        .annotate(t=Sum("value"))
        .values_list("participant__park", "t")
    )
    area = dict(land.values("participant__park").annotate(a=Sum("value")).values_list("participant__park", "a"))
    mix = defaultdict(Counter)
    names = {}
    for park_id, name, klass in Participant.objects.filter(round=rnd, status=ParticipantStatus.EVALUATED).values_list(
        "park_id", "park__name", "klass"
    ):
        names[park_id] = name or "未注明"
        if klass:
            mix[park_id][klass] += 1
    rows = []
    for park_id, name in names.items():
        a, t = area.get(park_id), tax.get(park_id)
        rows.append(
            {
                "park_id": park_id,
                "name": name,
                "land": float(a) if a else 0,
                "tax": float(t) if t else 0,
                "tax_per_mu": round(float(t) / float(a), 2) if a and t else None,
                "mix": {k: mix[park_id][k] for k in CLASSES},
                "firms": sum(mix[park_id].values()),
            }
        )
    return sorted(rows, key=lambda r: -(r["tax_per_mu"] or 0))


def trend(actor: Actor, county_id: int) -> list[dict]:
    """The class mix of the county's rounds, year by year."""
    out = []
    for rnd in round_list(actor).filter(county_id=county_id).exclude(score_runs=0).order_by("year"):
        mix = class_mix(rnd)
        total = {k: sum(m.get(k, 0) for m in mix.values()) for k in CLASSES}
        out.append({"year": rnd.year, "state": rnd.get_state_display(), **total})
    return out


def cockpit_summary(actor: Actor) -> dict | None:
    """The leader's summary: the latest round in scope per county, class mix, D-class firms and open objections."""
    if not (actor.role in (Role.LEADER, Role.COORDINATOR) or actor.role in READ_ALL_ROLES):
        return None
    rounds = list(round_list(actor).exclude(score_runs=0))
    if not rounds:
        return None
    latest = {}
    for rnd in rounds:
        latest.setdefault(rnd.county_id, rnd)
    rows, totals = [], Counter()
    for rnd in latest.values():
        mix = class_mix(rnd)
        counts = {k: sum(m.get(k, 0) for m in mix.values()) for k in CLASSES}
        totals.update(counts)
        rows.append(
            {
                "round": rnd,
                **counts,
                "open_objections": Objection.objects.filter(participant__round=rnd, state="open").count(),
                "repeat_d": Participant.objects.filter(round=rnd, klass="D", consecutive_d__gte=2).count(),
            }
        )
    return {"rows": rows, "totals": {k: totals[k] for k in CLASSES}}


def crosscheck_list(actor: Actor, rnd: Round, *, state: str = "") -> QuerySet[CrossCheck]:
    qs = CrossCheck.objects.filter(round=rnd).select_related("participant__enterprise")
    if state:
        qs = qs.filter(state=state)
    return qs


def klass_label(k: str) -> str:
    return dict(Klass.choices).get(k, "—")


def latest_classes(enterprise_ids) -> dict[int, tuple[str, int]]:
    """Each enterprise's class in its latest approved (审定, frozen) round: {enterprise id: (class, year)}. For readers
    above this app (chains' gap analysis and health view); `enterprise_ids` may be a subquery. One query."""
    found: dict[int, tuple[str, int]] = {}
    for enterprise_id, klass, year in (
        Participant.objects.filter(enterprise_id__in=enterprise_ids, round__state=RoundState.FROZEN)
        .exclude(klass="")
        .order_by("enterprise_id", "-round__year")
        .values_list("enterprise_id", "klass", "round__year")
    ):
        found.setdefault(enterprise_id, (klass, year))
    return found
