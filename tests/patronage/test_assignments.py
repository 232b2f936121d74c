"""领导包保: 一个项目、一名包保领导、一个牵头部门、一套班子、一抓到底 (rules.md §0, §8.1 Leader assignment)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import _member
from whistle.core.errors import Conflict, Invalid, NotFound
from whistle.org.scopes import Actor
from whistle.patronage import selectors, services
from whistle.patronage.models import Patronage

from .conftest import make_project


def test_rule_0_one_project_one_leader_one_lead_unit_one_task_force(assigned):
    p = assigned.patronage
    assert p.leader == assigned.users.cao_leader
    assert p.lead_unit == assigned.cao_zjj
    assert [m.name for m in p.task_force.all()] == ["张专班", "李专班"]
    project = make_project(assigned)
    q = services.patronage_assign(
        assigned.actor("cao_office"),
        project=project,
        leader="city_leader",
        lead_unit="caoxian-zjj",
        started_on="2026-02-01",
    )
    assert q.project == project and q.is_active


def test_rule_0_second_active_assignment_is_refused(assigned):
    with pytest.raises(Conflict) as e:
        services.patronage_assign(
            assigned.actor("cao_office"),
            enterprise=assigned.ent_cao,
            leader="city_leader",
            lead_unit="caoxian-zjj",
            started_on="2026-03-01",
        )
    assert e.value.code == "patronage_active_exists"
    assert Patronage.objects.count() == 1


def test_rule_0_at_most_one_active_assignment_is_a_database_constraint(assigned):
    p = assigned.patronage
    with pytest.raises(IntegrityError), transaction.atomic():
        Patronage.objects.create(
            enterprise=p.enterprise, leader=p.leader, lead_unit=p.lead_unit, started_on=dt.date(2026, 2, 1)
        )


def test_change_ends_the_current_assignment_and_keeps_history(assigned):
    new = services.patronage_change(
        assigned.actor("cao_office"),
        assigned.patronage.pk,
        leader="city_leader",
        changed_on="2026-06-01",
        reason="工作调整",
    )
    old = Patronage.objects.get(pk=assigned.patronage.pk)
    assert old.ended_on == dt.date(2026, 6, 1) and "工作调整" in old.end_reason
    assert new.is_active and new.leader == assigned.users.city_leader and new.started_on == dt.date(2026, 6, 1)
    assert [m.name for m in new.task_force.all()] == ["张专班", "李专班"]
    history = list(selectors.patronage_history(assigned.actor("city_leader"), new))
    assert [h.pk for h in history] == [new.pk, old.pk]


def test_end_with_date_and_reason(assigned):
    ended = services.patronage_end(
        assigned.actor("cao_office"), assigned.patronage.pk, ended_on="2026-10-01", reason="企业退出重点名单"
    )
    assert ended.ended_on == dt.date(2026, 10, 1) and ended.end_reason == "企业退出重点名单"
    # Once ended, the object can be assigned again.
    services.patronage_assign(
        assigned.actor("cao_office"),
        enterprise=assigned.ent_cao,
        leader="cao_leader",
        lead_unit="caoxian-zjj",
        started_on="2026-10-02",
    )
    with pytest.raises(Conflict):
        services.patronage_end(assigned.actor("cao_office"), assigned.patronage.pk, ended_on="2026-10-03", reason="x")


def test_dates_reversed_are_refused(assigned):
    with pytest.raises(Invalid) as e:
        services.patronage_end(
            assigned.actor("cao_office"), assigned.patronage.pk, ended_on="2026-01-01", reason="早于起始"
        )
    assert (e.value.code, e.value.field) == ("dates_reversed", "ended_on")
    with pytest.raises(Invalid) as e:
        services.patronage_change(
            assigned.actor("cao_office"),
            assigned.patronage.pk,
            leader="city_leader",
            changed_on="2025-12-31",
            reason="x",
        )
    assert e.value.code == "dates_reversed"
    with pytest.raises(Invalid) as e:
        make_project(assigned, code="XM-BAD", planned_start="2026-06-01", planned_end="2026-01-01")
    assert (e.value.code, e.value.field) == ("dates_reversed", "planned_end")
    assert Patronage.objects.get(pk=assigned.patronage.pk).ended_on is None


def test_unknown_leader_and_unit_are_refused(key):
    actor = key.actor("cao_office")
    for leader in ("nobody", "cao_zjj", ""):  # a handler is not a leader
        with pytest.raises(Invalid) as e:
            services.patronage_assign(
                actor, enterprise=key.ent_cao, leader=leader, lead_unit="caoxian-zjj", started_on="2026-01-01"
            )
        assert (e.value.code, e.value.field) == ("unknown_leader", "leader")
    with pytest.raises(Invalid) as e:
        services.patronage_assign(
            actor, enterprise=key.ent_cao, leader="cao_leader", lead_unit="nowhere", started_on="2026-01-01"
        )
    assert e.value.code == "unknown_unit"
    with pytest.raises(Invalid) as e:
        services.patronage_assign(
            actor, enterprise=key.ent_cao, leader="cao_leader", lead_unit="caoxian-zjj", started_on="2026-13-01"
        )
    assert e.value.code == "invalid_date"
    assert not Patronage.objects.exists()


def test_a_county_leader_cannot_take_another_countys_enterprise(key):
    with pytest.raises(Invalid) as e:
        services.patronage_assign(
            key.actor("city_office"),
            enterprise=key.ent_shan,
            leader="cao_leader",
            lead_unit="shanxian-zjj",
            started_on="2026-01-01",
        )
    assert e.value.code == "leader_out_of_scope"


def test_only_key_or_above_scale_enterprises_are_assigned(key):
    with pytest.raises(Invalid) as e:
        services.patronage_assign(
            key.actor("cao_office"),
            enterprise=key.ent_small,
            leader="cao_leader",
            lead_unit="caoxian-zjj",
            started_on="2026-01-01",
        )
    assert e.value.code == "not_key_enterprise"


def test_coordinator_manages_only_in_scope(key):
    with pytest.raises(NotFound):
        services.patronage_assign(
            key.actor("shan_office"),
            enterprise=key.ent_cao,
            leader="city_leader",
            lead_unit="caoxian-zjj",
            started_on="2026-01-01",
        )
    for name in ("cao_leader", "cao_zjj", "ent_cao"):
        with pytest.raises(NotFound):
            services.patronage_assign(
                key.actor(name),
                enterprise=key.ent_cao,
                leader="cao_leader",
                lead_unit="caoxian-zjj",
                started_on="2026-01-01",
            )


def test_scopes_leader_sees_own_and_subtree_enterprise_user_nothing(assigned):
    make_shan = services.patronage_assign(
        assigned.actor("shan_office"),
        enterprise=assigned.ent_shan,
        leader="city_leader",
        lead_unit="shanxian-zjj",
        started_on="2026-01-01",
    )
    ids = lambda name: set(selectors.patronage_list(assigned.actor(name)).values_list("pk", flat=True))  # noqa: E731
    assert ids("cao_leader") == {assigned.patronage.pk}
    assert ids("city_leader") == {assigned.patronage.pk, make_shan.pk}
    assert set(selectors.portfolio(assigned.actor("city_leader")).values_list("pk", flat=True)) == {make_shan.pk}
    assert ids("cao_office") == {assigned.patronage.pk}
    assert ids("shan_office") == {make_shan.pk}
    assert ids("auditor") == {assigned.patronage.pk, make_shan.pk}
    for name in ("ent_cao", "cao_zjj"):
        assert ids(name) == set()
        with pytest.raises(NotFound):
            selectors.patronage_get(assigned.actor(name), assigned.patronage.pk)
    with pytest.raises(NotFound):
        selectors.patronage_get(assigned.actor("cao_leader"), make_shan.pk)


def test_scopes_follow_the_org_tree_a_department_leader_has_only_a_portfolio(assigned):
    department_leader = Actor.of(_member("cao_zjj_leader", "leader", unit=assigned.cao_zjj))
    patronage = assigned.patronage
    assert not selectors.patronage_list(department_leader).exists()
    assert not selectors.can_visit(department_leader, patronage)
    with pytest.raises(NotFound):
        selectors.patronage_get(department_leader, patronage.pk)
    assert set(selectors.patronage_list(assigned.actor("city_office")).values_list("pk", flat=True)) == {patronage.pk}
    visits = {
        name: selectors.can_visit(assigned.actor(name), patronage)
        for name in ("cao_leader", "city_leader", "cao_office", "city_office", "shan_office", "cao_zjj", "auditor")
    }
    assert visits == {
        "cao_leader": True,
        "city_leader": True,
        "cao_office": True,
        "city_office": True,
        "shan_office": False,
        "cao_zjj": False,
        "auditor": False,
    }
