"""The worker runs the rules as an app job; the demo seeder evaluates them over the demo ratings."""

from django.utils import timezone

from tests.accountability.conftest import rate
from tests.conftest import at
from whistle.accountability.demo import seed_demo
from whistle.accountability.evaluation import month_start
from whistle.accountability.models import Proposal
from whistle.cases.management.commands.worker import jobs


def test_worker_runs_the_rules_as_an_app_job(month_ratings):
    job = next(j for j in jobs() if j.__module__ == "whistle.accountability.evaluation")
    assert job(at(2026, 11, 3)) == {"accountability_proposals": 2}  # the two talks of test_rules
    assert job(at(2026, 11, 3)) == {"accountability_proposals": 0}


def test_demo_seeder_proposes_from_the_last_two_months(heze, cadres):
    today = timezone.localdate()
    for back in (1, 2):
        day = month_start(today, back)
        when = at(day.year, day.month, 10)
        rate(cadres["li"], [5, 5, 5], when)
        rate(cadres["zhang"], [5, 4, 4], when)
        rate(cadres["wang"], [1, 3, 3], when)
    line = seed_demo(heze, seed=1)
    assert line.startswith("问责建议 ") and Proposal.objects.filter(cadre=cadres["wang"], action="admonition").exists()
