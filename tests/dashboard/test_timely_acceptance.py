"""及时签收率 (issue 14 item 12; rules.md §4 榆林 “及时接收率”, §8.6): signed for within the return window, over the
cases whose signing was due — signed, or the window past. A case whose window is still open is left out until it
closes; the rollup recomputes its month then."""

import datetime as dt

from django.utils import timezone

from tests.conftest import at
from whistle.dashboard import case_rollup, metrics
from whistle.dashboard.models import MetricDefinition
from whistle.org.scopes import Actor

from .conftest import MARCH, make_case


def _accept_rate():
    return metrics.rates(Actor.system(), MARCH, MARCH, None)[0]["accept"]


def test_rule_8_6_timely_acceptance_rate_is_signing_within_the_return_window(heze):
    submitted = at(2026, 3, 10)
    window = submitted + dt.timedelta(days=2)
    make_case(heze, return_due_at=window, accepted_at=submitted + dt.timedelta(hours=3))  # in time
    make_case(heze, return_due_at=window, accepted_at=window + dt.timedelta(hours=1))  # signed late
    make_case(heze, return_due_at=window, accepted_at=None)  # never signed, window past: due, not in time
    still_open = timezone.now() + dt.timedelta(days=1)
    make_case(heze, return_due_at=still_open, accepted_at=None)  # window still open: pending, left out
    make_case(heze, return_due_at=None, accepted_at=None, state="returned")  # returned: its clocks stopped
    case_rollup.rebuild()
    assert _accept_rate() == {"value": 33.3, "numerator": 1, "denominator": 3}

    case_rollup.refresh(now=still_open + dt.timedelta(minutes=1))  # the open window closes unsigned
    assert _accept_rate() == {"value": 25.0, "numerator": 1, "denominator": 4}


def test_timely_acceptance_is_a_metric_definition_from_a_migration():
    d = MetricDefinition.objects.get(code="accept")
    assert (d.name, d.kind, d.params) == (
        "及时签收率",
        "ratio",
        {"numerator": {"accept_in_time": 1}, "denominator": {"accept_due": 1}},
    )
    assert "§" not in d.caption  # the caption is what an official page prints
