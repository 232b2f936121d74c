"""`whistle seed --if-empty`, as `make demo` runs it on every start."""

from io import StringIO

import pytest
from django.core.management import call_command

from whistle.cases.models import Case, CaseEvent
from whistle.enterprises.models import Enterprise
from whistle.org.models import Unit

pytestmark = pytest.mark.django_db


def test_seed_if_empty_twice_is_a_no_op():
    first, second = StringIO(), StringIO()
    call_command("seed", "--if-empty", "--history", "20", "--enterprises", "15", stdout=first)
    counts = (Unit.objects.count(), Enterprise.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    call_command("seed", "--if-empty", "--history", "20", "--enterprises", "15", stdout=second)
    # The year of cases is 20; the other apps' demo seeders (ratings, patronage) add theirs after it.
    assert "演示数据已加载" in first.getvalue() and "工单 20 条" in first.getvalue() and counts[2] >= 20
    assert "跳过" in second.getvalue()
    assert (Unit.objects.count(), Enterprise.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == counts
