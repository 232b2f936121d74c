"""The partitioning migrations (cases 0016, notices 0003, ratings 0014) work on a database that has data: back to
the migrations before them (one table each again), rows written on that schema, forward again — every row is in its
month's partition, the unique rules and the append-only trigger hold."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.cases.flow import case_in
from tests.conftest import at
from whistle.cases.models import CaseEvent
from whistle.core import partitions
from whistle.ratings.models import Rating, RatingKey
from whistle.ratings.services import rating_submit

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="only PostgreSQL partitions its tables; SQLite keeps one table each"
)
BEFORE = [("cases", "0015_sla_profile_city"), ("notices", "0002_defaults"), ("ratings", "0013_callback_phone")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest():
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in {"cases", "notices", "ratings"}]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the migrations' rows (SLA profiles) back
def test_the_migrations_partition_a_database_with_data(heze, cards):
    case = case_in(heze, "accepted")  # submitted 2026-11-02, events in the default partition of a fresh database
    poor = rating_submit(
        cards[0], level=1, comment="跑了三趟", case_number="SX-1", device="d", ip="10.0.0.1", now=at(2026, 10, 20)
    )
    events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("id", "hash"))
    try:
        migrate(BEFORE)
        assert not partitions.is_partitioned("cases_caseevent") and not partitions.is_partitioned("ratings_rating")
        with connection.cursor() as cursor:
            # Written on the old schema: a rating of September, with an external id.
            cursor.execute(
                "INSERT INTO ratings_rating (cadre_id, unit_id, level, tags, comment, case_number, external_id, "
                "rater_phone_hash, rater_phone_masked, channel, created_at) "
                "VALUES (%s, %s, 4, '[]', '', '', 'EXT-1', '', '', 'qr', %s) RETURNING id",
                [cards[0].pk, cards[0].unit_id, at(2026, 9, 5)],
            )
            september = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM ratings_rating")
            assert cursor.fetchone()[0] == 2
    finally:
        migrate(latest())
    assert partitions.is_partitioned("cases_caseevent") and partitions.is_partitioned("ratings_rating")
    assert list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("id", "hash")) == events
    assert set(CaseEvent.objects.filter(case=case).values_list("case_submitted_at", flat=True)) == {case.submitted_at}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM ratings_rating WHERE id = %s", [september])
        assert cursor.fetchone()[0] == "ratings_rating_p202609"  # the migration made the months its rows need
    assert Rating.objects.get(pk=september).city_id == cards[0].unit.city_id
    assert set(RatingKey.objects.values_list("kind", "value")) >= {("c", "SX-1"), ("e", "EXT-1")}
    # The rules hold on the rebuilt tables, and the sequence goes on after the copied ids.
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            cadre=cards[0], unit=cards[0].unit, level=4, external_id="EXT-1", created_at=at(2026, 11, 5)
        )
    again = Rating.objects.create(cadre=cards[0], unit=cards[0].unit, level=4, created_at=at(2026, 11, 5))
    assert again.pk > max(september, poor.pk)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case=case).delete()
