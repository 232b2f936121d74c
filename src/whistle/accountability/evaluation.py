"""Rules over ratings → proposals. Set-based: the month's level counts per subject come from the ratings rollups
(`RatingRollup`, one row per target × unit × month), then a small rank in Python per class. Only the 调整 rule reads
ratings themselves, for what the rollups do not hold (which poor ratings await an appeal's review, their dates and
ids as evidence), and only those of the targets the rollups show with enough poor ratings, each through its
(target, created_at) index. The worker runs `evaluate_rules` after each sweep; running it again proposes nothing new. It only reads: what it
finds is stored by `services.proposal_create`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from whistle.core.figures import percent
from whistle.core.months import add_months
from whistle.ratings.models import Appeal, AppealState, Rating, RollupKind
from whistle.ratings.selectors import level_counts, poor_targets, satisfied_min_level

from . import services
from .models import Proposal, Rule, RuleKind, Subject

SUBJECT_FIELD = {Subject.CADRE: "cadre", Subject.WINDOW: "window", Subject.UNIT: "unit"}
LEVEL_LABELS = {"city": "市级", "county": "县区级", "township": "乡镇街道"}


def month_start(day: dt.date, back: int = 0) -> dt.date:
    """The first day of the month `back` months before `day`'s month."""
    return add_months(day.replace(day=1), -back)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


def month_table(subject: str, month: dt.date) -> list[dict]:
    """Counted ratings of one Beijing month per cadre, window or unit: count, satisfied (at or above the configured
    `ratings.satisfied_min_level`, as every published 满意率), poor."""
    least = satisfied_min_level()
    return [
        {"id": pk, "count": sum(n.values()), "satisfied": sum(n[k] for k in range(least, 6)), "poor": n[1] + n[2]}
        for pk, n in level_counts(subject, month).items()
    ]


def _class_of(subject: str, obj) -> str:
    """Ranking classes (DESIGN.md: like is ranked with like): cadres and windows by the level of their unit;
    units by level and kind (counties, city departments, townships …)."""
    if subject == Subject.UNIT:
        return f"{obj.get_level_display()}{obj.get_kind_display()}"
    return f"{LEVEL_LABELS.get(obj.unit.level, obj.unit.level)}{'干部' if subject == Subject.CADRE else '窗口'}"


def monthly_bottom(rule: Rule, subject: str, month: dt.date) -> dict[int, dict]:
    """Who is in the bottom `rule.bottom_n` of its class this month: {id: {rank, of, class, count, rate}}.
    Only subjects with at least `rule.min_ratings` ratings are ranked, and a class no larger than the bottom
    itself names nobody (the only window of its kind is not 'last')."""
    rows = [r for r in month_table(subject, month) if r["count"] >= rule.min_ratings]
    model = services.SUBJECT_MODEL[subject]
    objects = model.objects.select_related(*([] if subject == Subject.UNIT else ["unit"])).in_bulk(
        [r["id"] for r in rows]
    )
    classes: dict[str, list[dict]] = {}
    for r in rows:
        obj = objects[r["id"]]
        r["rate"] = percent(r["satisfied"], r["count"])
        classes.setdefault(_class_of(subject, obj), []).append(r)
    bottom = {}
    for name, members in classes.items():
        if len(members) <= rule.bottom_n:
            continue
        members.sort(key=lambda r: (-r["rate"], r["poor"], r["id"]))  # best first
        for rank, r in enumerate(members, start=1):
            if rank > len(members) - rule.bottom_n:
                bottom[r["id"]] = {
                    "month": month.strftime("%Y-%m"),
                    "rank": rank,
                    "of": len(members),
                    "class": name,
                    "count": r["count"],
                    "poor": r["poor"],
                    "satisfaction_rate": r["rate"],
                }
    return bottom


def _previous(rule: Rule, subject: str, subject_id: int):
    field = SUBJECT_FIELD[subject]
    return Proposal.objects.filter(rule=rule, subject=subject, **{f"{field}_id": subject_id})


def _evaluate_bottom(rule: Rule, now: dt.datetime) -> list[dict]:
    """约谈: in the bottom of its class in each of the last `months` complete months. A month already cited by an
    earlier proposal of this rule is not cited again, so three bad months make one proposal, four make two."""
    today = timezone.localtime(now).date()
    months = [month_start(today, back) for back in range(rule.months, 0, -1)]
    found = []
    for subject in rule.subjects:
        tables = [monthly_bottom(rule, subject, m) for m in months]
        common = set(tables[0]).intersection(*tables[1:]) if tables else set()
        for subject_id in sorted(common):
            cited = {m["month"] for p in _previous(rule, subject, subject_id) for m in p.evidence.get("months", [])}
            evidence = [t[subject_id] for t in tables]
            if cited & {e["month"] for e in evidence}:
                continue
            span = f"{evidence[0]['month']}至{evidence[-1]['month']}" if len(evidence) > 1 else evidence[0]["month"]
            found.append(
                {
                    "subject": subject,
                    "id": subject_id,
                    "evidence": {"months": evidence},
                    "key": f"{subject}:{subject_id}:" + ",".join(e["month"] for e in evidence),
                    "summary": f"{span}连续{len(evidence)}个月在{evidence[-1]['class']}中排名末位",
                }
            )
    return found


def upheld_poor(since: dt.datetime, until: dt.datetime):
    """Poor ratings that stand: counted (neither flagged nor voided) and not awaiting an appeal's review."""
    pending = Appeal.objects.filter(rating=OuterRef("pk"), state=AppealState.PENDING)
    return Rating.objects.filter(counted=True, level__lte=2, created_at__gte=since, created_at__lte=until).exclude(
        Exists(pending)
    )


def _poor_candidates(subject: str, targets: list[dict], threshold: int) -> dict[int, Q]:
    """Subjects with at least `threshold` counted poor ratings in the rollups' months → the ratings to read for each:
    the subject's cadre or window, or a unit's cadres and windows (the rating_cadre / rating_window indexes)."""
    kind = {Subject.CADRE: RollupKind.CADRE, Subject.WINDOW: RollupKind.WINDOW}.get(subject)
    poor: dict[int, int] = defaultdict(int)
    by_unit: dict[int, dict[str, list[int]]] = defaultdict(lambda: {RollupKind.CADRE: [], RollupKind.WINDOW: []})
    for t in targets:
        if kind is None:
            poor[t["unit"]] += t["poor"]
            by_unit[t["unit"]][t["kind"]].append(t["target_id"])
        elif t["kind"] == kind:
            poor[t["target_id"]] += t["poor"]
    found = {}
    for pk in sorted(pk for pk, n in poor.items() if n >= threshold):
        if kind is None:
            ids = by_unit[pk]
            found[pk] = Q(unit_id=pk) & (
                Q(cadre_id__in=ids[RollupKind.CADRE]) | Q(window_id__in=ids[RollupKind.WINDOW])
            )
        else:
            found[pk] = Q(**{f"{SUBJECT_FIELD[subject]}_id": pk})
    return found


def _evaluate_repeated(rule: Rule, now: dt.datetime) -> list[dict]:
    """调整: at least `threshold` upheld poor ratings within the last `months` months, none of them cited by an
    earlier proposal of this rule. The rollups' whole months (a superset of the period, counting appealed ratings
    too) name the candidates; their ratings then decide."""
    today = timezone.localtime(now).date()
    start = month_start(today, rule.months)
    since = _aware(start.replace(day=min(today.day, 28)))
    targets = poor_targets(start, today)
    found = []
    for subject in rule.subjects:
        for subject_id, ratings in _poor_candidates(subject, targets, rule.threshold).items():
            cited = {i for p in _previous(rule, subject, subject_id) for i in p.evidence.get("ratings", [])}
            rows = [
                r
                for r in upheld_poor(since, now)
                .filter(ratings)
                .order_by("created_at", "id")
                .values("id", "level", "created_at")
                if r["id"] not in cited
            ]
            if not rows or len(rows) < rule.threshold:
                continue
            ids = [r["id"] for r in rows]
            found.append(
                {
                    "subject": subject,
                    "id": subject_id,
                    "evidence": {
                        "ratings": ids,
                        "since": since.date().isoformat(),
                        "until": today.isoformat(),
                        "levels": [r["level"] for r in rows],
                        "dates": [timezone.localtime(r["created_at"]).date().isoformat() for r in rows],
                    },
                    "key": f"{subject}:{subject_id}:ratings:"
                    + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32],
                    "summary": f"{rule.months}个月内有效差评{len(ids)}条（阈值{rule.threshold}条）",
                }
            )
    return found


EVALUATORS = {RuleKind.BOTTOM_MONTHS: _evaluate_bottom, RuleKind.REPEATED_POOR: _evaluate_repeated}


def evaluate_rules(now: dt.datetime | None = None, *, force: bool = False) -> dict[str, int]:
    """The worker job: evaluate every active rule that is due (`every_minutes` since its last evaluation), store
    what is new. Returns {"accountability_proposals": n}."""
    now = now or timezone.now()
    created = 0
    for rule in Rule.objects.filter(is_active=True, kind__in=list(EVALUATORS)).order_by("code"):
        if (
            not force
            and rule.evaluated_at
            and rule.evaluated_at <= now < rule.evaluated_at + dt.timedelta(minutes=rule.every_minutes)
        ):
            continue
        for hit in EVALUATORS[rule.kind](rule, now):
            created += services.proposal_create(rule, hit, now)
        services.rule_evaluated(rule, now)
    return {"accountability_proposals": created}
