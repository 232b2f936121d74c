"""`core.compiled.Compiled`: a read compiled once and run with new values gives what the plain queryset gives — the
same rows, the `select_related` rows and the annotations — and reads the database every time (issue 22)."""

import pytest
from django.db import connections
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from whistle.cases.models import Case, Category, DispatchRule
from whistle.cases.selectors import case_get
from whistle.core.compiled import Compiled
from whistle.org.models import Membership, Unit

pytestmark = pytest.mark.django_db


def _members(username):
    return Membership.objects.select_related("user", "unit__parent", "enterprise__county").filter(
        user__username=username
    )


def _fields(obj, *paths):
    out = []
    for path in paths:
        value = obj
        for part in path.split("."):
            value = getattr(value, part) if value is not None else None
        out.append(value)
    return out


PATHS = ("pk", "role", "user.username", "unit.name", "unit.parent.name", "enterprise.name", "enterprise.county.name")


def test_compiled_read_equals_the_plain_queryset_with_its_joined_rows(heze):
    members = Compiled(_members, str)
    for username in ("cao_zjj", "ent_cao", "city_leader", "auditor", "nobody"):
        plain = list(_members(username))
        compiled = members.rows(username)
        assert [_fields(m, *PATHS) for m in compiled] == [_fields(m, *PATHS) for m in plain]
        for got in compiled:  # the joined rows were filled in, not fetched on access
            with CaptureQueriesContext(connections["default"]) as queries:
                _fields(got, *PATHS)
            assert len(queries) == 0


def test_compiled_read_carries_annotations_and_several_arguments(heze):
    rules = Compiled(
        lambda county, code: Unit.objects.filter(Q(county_id=county) | Q(code=code)).annotate(n=Count("children")),
        int,
        str,
    )
    for county, code in ((heze.cao.pk, "heze"), (heze.shan.pk, "nothing")):
        plain = Unit.objects.filter(Q(county_id=county) | Q(code=code)).annotate(n=Count("children"))
        assert sorted((u.code, u.n) for u in rules.rows(county, code)) == sorted((u.code, u.n) for u in plain)


def test_compiled_read_sees_every_change_at_once(heze):
    """It keeps the statement, not the answer: a rule edited, added or removed is read at the next call."""
    rules = Compiled(lambda category: DispatchRule.objects.filter(category_id=category).select_related("unit"), int)
    assert {r.unit.code for r in rules.rows(heze.cat_build.pk)} == {"caoxian-zjj", "shanxian-zjj"}
    DispatchRule.objects.filter(area=heze.shan).delete()
    Unit.objects.filter(pk=heze.cao_zjj.pk).update(name="曹县住建局（改）")
    found = rules.rows(heze.cat_build.pk)
    assert [(r.unit.code, r.unit.name) for r in found] == [("caoxian-zjj", "曹县住建局（改）")]


def test_compiled_read_refuses_an_argument_that_does_not_reach_the_statement(heze):
    lowered = Compiled(lambda code: Category.objects.filter(code=code.upper()), str)
    with pytest.raises(ValueError, match="did not reach"):
        lowered.rows("market")
    with pytest.raises(TypeError):
        Compiled(lambda when: Case.objects.filter(submitted_at=when), float)


def test_case_get_compiled_keeps_every_scope(heze):
    """The compiled `case_get` answers each scope shape as the plain filter does: in scope found, outside 404."""
    from whistle.cases.services import case_submit
    from whistle.core.errors import NotFound

    case, _ = case_submit(
        heze.actor("ent_cao"), kind="help", category="construction", description="施工许可办理进度咨询"
    )
    for name in ("ent_cao", "cao_zjj", "auditor", "cao_office", "cao_leader", "city_leader"):
        assert case_get(heze.actor(name), case.number).pk == case.pk
    for name in ("ent_shan", "shan_zjj", "shan_office", "cao_scjg"):
        with pytest.raises(NotFound):
            case_get(heze.actor(name), case.number)
