"""Synthetic cases for benchmarks: set-wise, deterministic, consistent with what the workflow writes."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q

from tests.conftest import at
from whistle.cases import services, sweeper
from whistle.cases.audit import verify_chains
from whistle.cases.models import OPEN_STATES, Case, CaseEvent
from whistle.seed.bulk import generate_cases
from whistle.seed.heze import Heze

pytestmark = pytest.mark.django_db
END = at(2025, 11, 3, 0, 0)


def _snapshot(first_pk: int) -> tuple:
    fields = [f.attname for f in Case._meta.concrete_fields]
    cases = list(Case.objects.filter(pk__gte=first_pk).order_by("pk").values_list(*fields))
    events = list(
        CaseEvent.objects.filter(case_id__gte=first_pk)
        .order_by("case_id", "seq")
        .values_list("case_id", "hash", "payload")
    )
    helpers = sorted(
        Case.assisting_units.through.objects.filter(case_id__gte=first_pk).values_list("case_id", "unit_id")
    )
    return cases, events, helpers


def _sweepable(now):
    return Case.objects.filter(
        Q(yellow_at__lte=now) | Q(red_at__lte=now) | Q(supervise_at__lte=now) | Q(escalate_at__lte=now)
    )


def _delete_all_cases():
    """Empty the event table: on PostgreSQL a trigger refuses DELETE on case events (append-only), TRUNCATE is not
    a row delete and fires no trigger."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {CaseEvent._meta.db_table}")
    else:
        CaseEvent.objects.all().delete()


def test_bulk_generation_is_deterministic():
    generate_cases(2000, seed=5, end=END, enterprises=60)
    first = Case.objects.order_by("pk").first().pk
    before = _snapshot(first)
    _delete_all_cases()
    Case.objects.all().delete()
    generate_cases(2000, seed=5, end=END, enterprises=60)
    assert _snapshot(first) == before
    assert len(before[0]) == 2000


def test_bulk_cases_keep_hash_chains_and_workflow_columns_consistent():
    out = StringIO()
    call_command("seed", "--cases", "2000", "--enterprises", "60", stdout=out)
    assert "已生成 2,000 条合成工单" in out.getvalue()
    checked, broken = verify_chains()
    assert (checked, broken) == (CaseEvent.objects.count(), [])
    # Every case has the history the services write: submitted, routed, then one event per step to its state.
    assert CaseEvent.objects.filter(seq=1, action="submit").count() == 2000
    assert CaseEvent.objects.filter(seq=2, action="route").count() == 2000
    assert not CaseEvent.objects.filter(action="seed_state").exists()
    for case in Case.objects.all()[:300]:
        events = list(case.events.order_by("seq").values_list("seq", "to_state"))
        assert [seq for seq, _ in events] == list(range(1, case.event_seq + 1))
        assert events[-1][1] == case.state
    assert (
        CaseEvent.objects.filter(action="dispatch").count()
        >= Case.objects.exclude(state__in=["submitted", "returned"]).count()
    )
    assert (
        CaseEvent.objects.filter(action="follow_up", to_state="closed").count()
        == Case.objects.filter(state="closed").count()
    )
    assert not Case.objects.filter(is_open=True, state="closed").exists()
    assert not Case.objects.exclude(state__in=["submitted", "returned"]).filter(lead_unit=None).exists()
    assert set(Case.objects.values_list("state", flat=True)) >= set(OPEN_STATES) - {"reopened"}
    # A case raised afterwards gets the next number: the id sequence was moved past the written rows.
    heze = Heze.from_db()
    case, _ = services.case_submit(
        heze.actors[heze.enterprise_users[heze.enterprises[0].pk].pk],
        kind="help",
        category="factor-water",
        description="厂区供水水压不足",
    )
    assert case.pk == Case.objects.exclude(pk=case.pk).order_by("-pk").first().pk + 1


def test_bulk_leaves_about_one_percent_to_the_sweeper_and_a_second_sweep_writes_nothing():
    generate_cases(2000, seed=2, end=END, enterprises=60)
    open_cases = Case.objects.filter(is_open=True).count()
    due = _sweepable(END).count()
    assert 0 < due <= 0.03 * open_cases
    first = sweeper.sweep(now=END)
    assert sum(first.values()) >= due
    assert sweeper.sweep(now=END) == {rule: 0 for rule in first}
    assert verify_chains()[1] == []
