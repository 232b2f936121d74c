"""The worker's jobs for 不罚/轻罚, set-based and idempotent (running one twice changes nothing).

- `correction_sweep`: an order to correct whose deadline has passed without a report is marked overdue; an order
  reported or overdue gets its re-check reminder mark (the inspector's page lists them; a notice channel can read
  the marks).
- `yearly_review`: 动态评估调整 from the data — for each completed year, the items matched often and deviated from
  often, and the items of a list in force all year that were never applied, become `ItemFlag`s for the list's next
  review. `evaluate_items(year)` computes the same for any year without writing (the evaluation page).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from whistle.core.rules import int_param

from .models import CorrectionOrder, Finding, FlagKind, ItemFlag, ListItem, ListVersion, OrderState


def correction_sweep(now: dt.datetime) -> dict:
    today = timezone.localtime(now).date()
    with transaction.atomic():
        overdue = CorrectionOrder.objects.filter(
            state=OrderState.OPEN, due_on__lt=today, overdue_at__isnull=True
        ).update(overdue_at=now)
        reminded = CorrectionOrder.objects.filter(
            Q(state=OrderState.REPORTED) | Q(state=OrderState.OPEN, overdue_at__isnull=False),
            reminded_at__isnull=True,
        ).update(reminded_at=now)
    return {"overdue": overdue, "recheck_reminders": reminded}


def _versions_all_year(year: int):
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    versions = (
        ListVersion.objects.filter(effective_from__lte=start)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=end))
        .prefetch_related("reviews")
    )
    return [v for v in versions if v.approved]


def evaluate_items(year: int) -> list[dict]:
    """The items to flag for `year`: {item, kind, matched, applied, deviated, reasons}."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    findings = Finding.objects.filter(inspected_on__gte=start, inspected_on__lt=end).exclude(decision="")
    matched = {
        r["suggested_item"]: r
        for r in findings.filter(suggested_item__isnull=False)
        .values("suggested_item")
        .annotate(matched=Count("pk"), deviated=Count("pk", filter=Q(deviation=True)))
    }
    applied = dict(findings.filter(item__isnull=False).values("item").annotate(n=Count("pk")).values_list("item", "n"))
    least = int_param("leniency.review_min_matches")
    share = int_param("leniency.review_deviation_pct")
    out = []
    often = [pk for pk, r in matched.items() if r["matched"] >= least and r["deviated"] * 100 >= share * r["matched"]]
    reasons: dict[int, list[str]] = {}
    for pk, reason in (
        findings.filter(suggested_item__in=often, deviation=True)
        .order_by("-inspected_on")
        .values_list("suggested_item", "reason")
    ):
        if reason and len(reasons.setdefault(pk, [])) < 5 and reason not in reasons[pk]:
            reasons[pk].append(reason)
    items = ListItem.objects.select_related("version", "field").in_bulk(often)
    for pk in often:
        r = matched[pk]
        out.append(
            {
                "item": items[pk],
                "kind": FlagKind.OFTEN_DEVIATED,
                "matched": r["matched"],
                "applied": applied.get(pk, 0),
                "deviated": r["deviated"],
                "reasons": reasons.get(pk, []),
            }
        )
    unused = (
        ListItem.objects.filter(version__in=_versions_all_year(year))
        .exclude(pk__in=list(applied))
        .select_related("version", "field")
        .order_by("version_id", "pk")
    )
    for item in unused:
        m = matched.get(item.pk, {})
        out.append(
            {
                "item": item,
                "kind": FlagKind.UNUSED,
                "matched": m.get("matched", 0),
                "applied": 0,
                "deviated": m.get("deviated", 0),
                "reasons": [],
            }
        )
    return out


def yearly_review(now: dt.datetime, year: int | None = None) -> dict:
    """Flags for the last completed year (or `year`), written once: the unique (item, year, kind) keeps a second
    run from adding anything."""
    year = year or timezone.localtime(now).year - 1
    if ItemFlag.objects.filter(year=year).exists():
        return {"flags": 0}
    rows = evaluate_items(year)
    with transaction.atomic():
        created = ItemFlag.objects.bulk_create(
            [
                ItemFlag(
                    item=r["item"],
                    year=year,
                    kind=r["kind"],
                    matched=r["matched"],
                    applied=r["applied"],
                    deviated=r["deviated"],
                    reasons=r["reasons"],
                )
                for r in rows
            ],
            ignore_conflicts=True,
        )
    return {"flags": len(created)}
