"""Rules over ratings → proposals. Set-based: one aggregate per subject type and month, then a small rank in
Python per class. The worker runs `evaluate_rules` after each sweep; running it again proposes nothing new."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from whistle.core.figures import percent
from whistle.core.months import add_months
from whistle.org.models import Unit
from whistle.ratings.models import Appeal, AppealState, Cadre, Rating, Window

from .models import Proposal, Rule, RuleKind, Subject

SUBJECT_FIELD = {Subject.CADRE: "cadre", Subject.WINDOW: "window", Subject.UNIT: "unit"}
SUBJECT_MODEL = {Subject.CADRE: Cadre, Subject.WINDOW: Window, Subject.UNIT: Unit}
LEVEL_LABELS = {"city": "市级", "county": "县区级", "township": "乡镇街道"}


def month_start(day: dt.date, back: int = 0) -> dt.date:
    """The first day of the month `back` months before `day`'s month."""
    return add_months(day.replace(day=1), -back)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


def counted_ratings():
    return Rating.objects.filter(counted=True)


def month_table(subject: str, month: dt.date) -> list[dict]:
    """Counted ratings of one Beijing month per cadre, window or unit: count, satisfied (基本满意 and above), poor."""
    field = SUBJECT_FIELD[subject]
    rows = (counted_ratings().filter(created_at__gte=_aware(month), created_at__lt=_aware(month_start(month, -1)),
                                     **({f"{field}__isnull": False} if field != "unit" else {}))
            .values(field).annotate(count=Count("id"), satisfied=Count("id", filter=Q(level__gte=3)),
                                    poor=Count("id", filter=Q(level__lte=2))).order_by())
    return [{"id": r[field], "count": r["count"], "satisfied": r["satisfied"], "poor": r["poor"]} for r in rows]


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
    model = SUBJECT_MODEL[subject]
    objects = model.objects.select_related(*([] if subject == Subject.UNIT else ["unit"])).in_bulk([r["id"] for r in rows])
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
                bottom[r["id"]] = {"month": month.strftime("%Y-%m"), "rank": rank, "of": len(members), "class": name,
                                   "count": r["count"], "poor": r["poor"], "satisfaction_rate": r["rate"]}
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
            found.append({"subject": subject, "id": subject_id, "evidence": {"months": evidence},
                          "key": f"{subject}:{subject_id}:" + ",".join(e["month"] for e in evidence),
                          "summary": f"{span}连续{len(evidence)}个月在{evidence[-1]['class']}中排名末位"})
    return found


def upheld_poor(since: dt.datetime, until: dt.datetime):
    """Poor ratings that stand: counted (neither flagged nor voided) and not awaiting an appeal's review."""
    pending = Appeal.objects.filter(rating=OuterRef("pk"), state=AppealState.PENDING)
    return counted_ratings().filter(level__lte=2, created_at__gte=since, created_at__lte=until).exclude(Exists(pending))


def _evaluate_repeated(rule: Rule, now: dt.datetime) -> list[dict]:
    """调整: at least `threshold` upheld poor ratings within the last `months` months, none of them cited by an
    earlier proposal of this rule."""
    today = timezone.localtime(now).date()
    start = month_start(today, rule.months)
    since = _aware(start.replace(day=min(today.day, 28)))
    found = []
    for subject in rule.subjects:
        field = SUBJECT_FIELD[subject]
        poor = upheld_poor(since, now).exclude(**{f"{field}__isnull": True} if field != "unit" else {})
        candidates = poor.values(field).annotate(n=Count("id")).filter(n__gte=rule.threshold).values_list(field, flat=True)
        for subject_id in sorted(candidates):
            cited = {i for p in _previous(rule, subject, subject_id) for i in p.evidence.get("ratings", [])}
            rows = [r for r in poor.filter(**{field: subject_id}).order_by("created_at", "id").values("id", "level", "created_at")
                    if r["id"] not in cited]
            if len(rows) < rule.threshold:
                continue
            ids = [r["id"] for r in rows]
            found.append({
                "subject": subject, "id": subject_id,
                "evidence": {"ratings": ids, "since": since.date().isoformat(), "until": today.isoformat(),
                             "levels": [r["level"] for r in rows],
                             "dates": [timezone.localtime(r["created_at"]).date().isoformat() for r in rows]},
                "key": f"{subject}:{subject_id}:ratings:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32],
                "summary": f"{rule.months}个月内有效差评{len(ids)}条（阈值{rule.threshold}条）",
            })
    return found


EVALUATORS = {RuleKind.BOTTOM_MONTHS: _evaluate_bottom, RuleKind.REPEATED_POOR: _evaluate_repeated}


def evaluate_rules(now: dt.datetime | None = None, *, force: bool = False) -> dict[str, int]:
    """The worker job: evaluate every active rule that is due (`every_minutes` since its last evaluation), store
    what is new. Returns {"accountability_proposals": n}."""
    now = now or timezone.now()
    created = 0
    for rule in Rule.objects.filter(is_active=True, kind__in=list(EVALUATORS)).order_by("code"):
        if not force and rule.evaluated_at and rule.evaluated_at <= now < rule.evaluated_at + dt.timedelta(minutes=rule.every_minutes):
            continue
        for hit in EVALUATORS[rule.kind](rule, now):
            created += _propose(rule, hit, now)
        Rule.objects.filter(pk=rule.pk).update(evaluated_at=now)
    return {"accountability_proposals": created}


def _propose(rule: Rule, hit: dict, now: dt.datetime) -> int:
    subject, subject_id = hit["subject"], hit["id"]
    target = SUBJECT_MODEL[subject].objects.get(pk=subject_id)
    unit = target if subject == Subject.UNIT else target.unit
    try:
        with transaction.atomic():
            Proposal.objects.create(
                rule=rule, action=rule.action, subject=subject, unit=unit,
                cadre=target if subject == Subject.CADRE else None, window=target if subject == Subject.WINDOW else None,
                summary=hit["summary"][:300], evidence=hit["evidence"], evidence_key=hit["key"][:200], created_at=now,
            )
    except IntegrityError:  # another worker stored the same evidence a moment ago
        return 0
    return 1
