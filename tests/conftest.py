"""Shared fixtures: a small Heze-shaped organisation built through the real models.

city (菏泽市人民政府) ─ city office (市吹哨办), 市住建局, 市市场监管局
├─ 曹县人民政府 ─ 曹县吹哨办, 曹县住建局, 曹县市场监管局, 庄寨镇
└─ 单县人民政府 ─ 单县吹哨办, 单县住建局
"""

import datetime as dt
import os
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests import shares
from whistle.cases.models import Category, DispatchRule
from whistle.enterprises.models import Enterprise
from whistle.org.models import Membership, Unit
from whistle.org.scopes import Actor

PASSWORD = "Whistle-test-2026"


def pytest_collection_modifyitems(config, items):
    """WHISTLE_TEST_SHARD=K/N keeps the K-th of N shares of the suite (tests/shares.py)."""
    shard = os.environ.get("WHISTLE_TEST_SHARD", "")
    if not shard:
        return
    k, n = (int(x) for x in shard.split("/"))
    share = shares.keep([item.nodeid for item in items], k, n)
    ours = [shares.group(item.nodeid.split("::")[0]) in share for item in items]
    config.hook.pytest_deselected(items=[item for item, mine in zip(items, ours) if not mine])
    items[:] = [item for item, mine in zip(items, ours) if mine]


def at(y, m, d, hh=10, mm=0):
    """A moment in Beijing time."""
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def _unit(code, name, level, kind, parent=None, county=None, **fields):
    unit = Unit.objects.create(code=code, name=name, level=level, kind=kind, parent=parent, county=county, **fields)
    if kind == "government" and level == "county":
        unit.county = unit
        unit.save()
    return unit


def _member(username, role, **scope):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, role=role, display_name=username, **scope)
    return user


@pytest.fixture
def heze(db):
    """The organisation, one enterprise per county, categories, a dispatch catalogue and one user per role."""
    u = SimpleNamespace()
    u.city = _unit("heze", "菏泽市人民政府", "city", "government", case_prefix="HZ")
    u.city_office = _unit("heze-cso", "菏泽市企业吹哨办", "city", "coordination_office", u.city)
    u.city_zjj = _unit("heze-zjj", "菏泽市住房和城乡建设局", "city", "department", u.city)
    u.city_scjg = _unit("heze-scjg", "菏泽市市场监督管理局", "city", "department", u.city)
    u.cao = _unit("caoxian", "曹县人民政府", "county", "government", u.city)
    u.cao_office = _unit("caoxian-cso", "曹县企业吹哨办", "county", "coordination_office", u.cao, u.cao)
    u.cao_zjj = _unit("caoxian-zjj", "曹县住房和城乡建设局", "county", "department", u.cao, u.cao)
    u.cao_scjg = _unit("caoxian-scjg", "曹县市场监督管理局", "county", "department", u.cao, u.cao)
    u.zhuangzhai = _unit("caoxian-zhuangzhai", "庄寨镇", "township", "township", u.cao, u.cao)
    u.shan = _unit("shanxian", "单县人民政府", "county", "government", u.city)
    u.shan_office = _unit("shanxian-cso", "单县企业吹哨办", "county", "coordination_office", u.shan, u.shan)
    u.shan_zjj = _unit("shanxian-zjj", "单县住房和城乡建设局", "county", "department", u.shan, u.shan)

    u.ent_cao = Enterprise.objects.create(
        uscc="91371721MA3C5TXL5J",
        name="曹县木业有限公司",
        county=u.cao,
        contact_name="王经理",
        contact_phone="13905300001",
    )
    u.ent_shan = Enterprise.objects.create(
        uscc="91371722MA3C5TXL51",
        name="单县食品有限公司",
        county=u.shan,
        contact_name="李经理",
        contact_phone="13905300002",
    )

    u.cat_build = Category.objects.create(code="construction", name="工程建设")
    u.cat_permit = Category.objects.create(code="construction-permit", name="施工许可", parent=u.cat_build)
    u.cat_market = Category.objects.create(code="market", name="市场监管")
    u.cat_unrouted = Category.objects.create(code="other", name="其他")
    DispatchRule.objects.create(category=u.cat_build, area=u.cao, unit=u.cao_zjj)
    DispatchRule.objects.create(category=u.cat_build, area=u.shan, unit=u.shan_zjj)
    DispatchRule.objects.create(category=u.cat_market, area=None, unit=u.city_scjg)

    u.users = SimpleNamespace(
        ent_cao=_member("ent_cao", "enterprise", enterprise=u.ent_cao),
        ent_cao2=_member("ent_cao2", "enterprise", enterprise=u.ent_cao),
        ent_shan=_member("ent_shan", "enterprise", enterprise=u.ent_shan),
        cao_zjj=_member("cao_zjj", "handler", unit=u.cao_zjj),
        cao_scjg=_member("cao_scjg", "handler", unit=u.cao_scjg),
        shan_zjj=_member("shan_zjj", "handler", unit=u.shan_zjj),
        city_scjg=_member("city_scjg", "handler", unit=u.city_scjg),
        cao_office=_member("cao_office", "coordinator", unit=u.cao_office),
        shan_office=_member("shan_office", "coordinator", unit=u.shan_office),
        city_office=_member("city_office", "coordinator", unit=u.city_office),
        cao_leader=_member("cao_leader", "leader", unit=u.cao),
        city_leader=_member("city_leader", "leader", unit=u.city),
        auditor=_member("auditor", "auditor"),
    )
    u.city.leader = u.users.city_leader
    u.city.save()
    u.cao.leader = u.users.cao_leader
    u.cao.save()
    u.actor = lambda name: Actor.of(getattr(u.users, name))
    return u


@pytest.fixture(autouse=True)
def _fresh_rule_caches():
    """Holiday overrides, rule parameters, SLA stages and the leniency matcher's dictionary and lists are cached per
    process; a test's rolled-back edits must not leak into the next test through those caches."""
    from whistle.cases import deadlines
    from whistle.core import calendar, rules
    from whistle.leniency import matching
    from whistle.leniency import selectors as leniency

    caches = (
        calendar.clear_cache,
        rules.clear_cache,
        deadlines.clear_cache,
        matching.clear_cache,
        leniency.clear_lists_cache,
    )
    for clear in caches:
        clear()
    yield
    for clear in caches:
        clear()


@pytest.fixture(autouse=True)
def _sequences_follow_restored_rows(request):
    """A serialized rollback puts the migrations' rows back with their ids but leaves PostgreSQL's sequences where the
    flush reset them, so the next insert into such a table (worker jobs, jurisdictions …) would reuse id 1. Move every
    sequence past the restored rows, right after the restore."""
    marker = request.node.get_closest_marker("django_db")
    serialized = (
        marker and marker.kwargs.get("serialized_rollback")
    ) or "django_db_serialized_rollback" in request.fixturenames
    if not serialized:
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(statement)
