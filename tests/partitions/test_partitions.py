"""Issue 21 item 2: the tables that grow are partitioned by month on PostgreSQL (core.partitions; docs/architecture.md,
"Partitioning and distribution"). SQLite keeps one table each, so these tests are PostgreSQL's alone."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from tests.cases.flow import case_in, submit
from tests.conftest import at
from whistle.cases.models import CaseEvent, IdempotencyRecord
from whistle.core import partitions
from whistle.core.models import RuleParameter, WorkerJob
from whistle.notices.models import Notice
from whistle.ratings.models import Rating, RatingKey
from whistle.ratings.services import rating_submit

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="only PostgreSQL partitions its tables; SQLite keeps one table each"
)
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def where(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def months(db):
    """October and November 2026 made for every partitioned table (the test database is migrated today)."""
    return partitions.create_ahead(0, since=OCT)


def rate(cadre, when, **fields):
    fields.setdefault("comment", "办事很快")
    fields.setdefault("level", 5)
    return rating_submit(cadre, device=f"d{when:%m%d%H}", ip="10.0.0.9", now=when, **fields)


def test_rows_land_in_the_partition_of_their_month(heze, cards, months):
    case = submit(heze, now=at(2026, 11, 2, 10, 0))
    event = CaseEvent.objects.get(case=case, seq=1)
    assert (event.case_submitted_at, event.city_id) == (case.submitted_at, case.city_id) and case.city_id
    assert where("cases_caseevent", event.pk) == "cases_caseevent_p202611"
    rating = rate(cards[0], at(2026, 10, 20, 9, 0))
    assert where("ratings_rating", rating.pk) == "ratings_rating_p202610"
    assert Rating.objects.get(pk=rating.pk).city_id == cards[0].unit.city_id
    for notice in Notice.objects.filter(case_id=case.pk):
        assert where("notices_notice", notice.pk) == "notices_notice_p202611"
    # A month nobody made goes to the default partition rather than failing the write.
    old = rate(cards[0], at(2019, 5, 1, 9, 0))
    assert where("ratings_rating", old.pk) == "ratings_rating_pdefault"


def test_the_worker_job_creates_the_months_ahead_and_a_rerun_creates_nothing(db):
    assert WorkerJob.objects.filter(name="partitions_ahead", target="whistle.core.partitions.ahead_job").exists()
    RuleParameter.objects.filter(key=partitions.MONTHS_AHEAD_PARAMETER).update(value=2)
    from whistle.core import rules

    rules.clear_cache()
    later = at(2029, 1, 15, 12, 0)
    assert partitions.ahead_job(later) == {"created": 3 * len(partitions.declared())}
    names = {p.name for p in partitions.partitions("ratings_rating")}
    assert {"ratings_rating_p202901", "ratings_rating_p202902", "ratings_rating_p202903"} <= names
    assert partitions.ahead_job(later) == {"created": 0}


def test_detach_leaves_the_table_working_and_keeps_the_month(heze, cards, months):
    october, november = rate(cards[0], at(2026, 10, 20, 9, 0)), rate(cards[1], at(2026, 11, 20, 9, 0))
    out = io.StringIO()
    call_command("partitions", "detach", "--before", "2026-11", stdout=out)
    assert "ratings_rating_p202610" in out.getvalue() and "pg_dump -Fc" in out.getvalue()
    assert list(Rating.objects.values_list("pk", flat=True)) == [november.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ratings_rating_p202610")
        assert cursor.fetchall() == [(october.pk,)]  # detached, not dropped
    assert rate(cards[0], at(2026, 11, 21, 9, 0)).pk is not None
    listed = io.StringIO()
    call_command("partitions", "list", stdout=listed)
    assert "ratings_rating_p202610  2026-10  已分离" in listed.getvalue()


def test_detach_refuses_a_month_whose_cases_are_still_open(heze, months):
    submit(heze, now=at(2026, 10, 12, 10, 0))
    with pytest.raises(CommandError, match="未办结"):
        call_command("partitions", "detach", "--before", "2026-11")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("partitions", "detach", "--before", "11/2026")


def test_yi_shi_yi_ping_one_rating_per_case_number_across_months(heze, cards, months):
    first = rate(cards[0], at(2026, 10, 20, 9, 0), case_number="SX2026-001")
    again = rate(cards[1], at(2026, 11, 20, 9, 0), case_number="SX2026-001")
    assert first.pk and again.pk is None  # answered as fresh, stored nowhere (no oracle)
    assert Rating.objects.filter(case_number="SX2026-001").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            window=cards[1], unit=cards[1].unit, level=4, case_number="SX2026-001", created_at=at(2026, 12, 1, 9, 0)
        )


def test_rating_one_per_external_id_across_months(heze, cards, months):
    values = dict(cadre=cards[0], unit=cards[0].unit, level=4, external_id="HZ-PJ-1")
    Rating.objects.create(created_at=at(2026, 10, 1, 9, 0), **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(created_at=at(2026, 11, 1, 9, 0), **values)


def test_one_re_rating_per_poor_rating_and_one_rating_per_rectification_across_months(heze, cards, months):
    poor = rate(cards[0], at(2026, 10, 20, 9, 0), level=1, comment="跑了三趟")
    assert poor.rectification_id and RatingKey.objects.filter(kind="r", value=str(poor.rectification_id)).exists()
    values = dict(cadre=cards[0], unit=cards[0].unit, level=4, rerate_of=poor)
    Rating.objects.create(created_at=at(2026, 10, 25, 9, 0), **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(created_at=at(2026, 11, 25, 9, 0), **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            cadre=cards[0],
            unit=cards[0].unit,
            level=2,
            rectification_id=poor.rectification_id,
            created_at=at(2026, 11, 26, 9, 0),
        )


def test_a_changed_case_number_frees_the_old_one(heze, cards, months):
    rating = rate(cards[0], at(2026, 10, 20, 9, 0), case_number="SX2026-002")
    Rating.objects.filter(pk=rating.pk).update(case_number="SX2026-003")
    assert rate(cards[1], at(2026, 11, 20, 9, 0), case_number="SX2026-002").pk is not None
    assert rate(cards[1], at(2026, 11, 20, 10, 0), case_number="SX2026-003").pk is None


def test_case_event_seq_unique_under_partitioning(heze, months):
    case = submit(heze, now=at(2026, 11, 2, 10, 0))
    event = CaseEvent.objects.get(case=case, seq=1)
    event.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


def test_notice_one_per_event_under_partitioning(heze, months):
    case = submit(heze, now=at(2026, 11, 2, 10, 0))
    row = dict(case_id=case.pk, seq=1, action="submit", at=case.submitted_at, case_submitted_at=case.submitted_at)
    Notice.objects.filter(case_id=case.pk).delete()
    Notice.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(**row)


def test_idempotency_keys_and_external_refs_stay_on_unpartitioned_tables(db):
    # The idempotency key lives on its own small table (cases_idempotencyrecord), not on a partitioned one.
    assert not partitions.is_partitioned(IdempotencyRecord._meta.db_table)
    assert not partitions.is_partitioned("cases_case")
    assert all(partitions.is_partitioned(s.table) for s in partitions.declared())


def test_the_append_only_trigger_still_refuses_update_and_delete_of_events(heze, months):
    case = case_in(heze, "accepted")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case_id=case.pk, seq=2).update(payload={"forged": True})
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case_id=case.pk).delete()
    month = partitions.partition_name("cases_caseevent", partitions.month_of(case.submitted_at))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {month} SET action = 'forged' WHERE case_id = %s", [case.pk])
    assert CaseEvent.objects.filter(case_id=case.pk).count() == 4
