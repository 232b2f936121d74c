"""What the monitoring reads from the cases: how far behind the deadline sweep is (scraped at /metrics)."""

from __future__ import annotations

import datetime as dt

from .models import Case
from .sweeper import RULES


def oldest_due(now: dt.datetime) -> dt.datetime | None:
    """The earliest sweep moment (card, supervision, escalation) already due and not yet acted on. Each column is one
    step down its partial index, so this stays cheap at millions of cases."""
    moments = [
        Case.objects.filter(**{f"{column}__lte": now}).order_by(column).values_list(column, flat=True).first()
        for _, column in RULES
    ]
    due = [m for m in moments if m is not None]
    return min(due) if due else None


def gauges(now: dt.datetime):
    """Declared on CasesConfig.metrics_gauges: (name, help, value) for core.observability's scrape-time collector."""
    oldest = oldest_due(now)
    yield (
        "whistle_sweep_lag_seconds",
        "How late the oldest due deadline action (card, notice, escalation) not yet taken is; 0 when none is due",
        max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )
