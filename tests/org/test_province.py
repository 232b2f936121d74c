"""Cities in one deployment (issue 21 item 1): a province above the cities; each city with its own case-number prefix,
wording and dispatch catalogue; a city's staff see their own city only; the province's staff see every city and a
ranking of the cities.

The `heze` organisation of tests/conftest.py moves under a province, and 济南 joins it with one county:

山东省人民政府 ─ 省吹哨办
├─ 菏泽市人民政府 (HZ) ─ … as in conftest
└─ 济南市人民政府 (JN) ─ 济南市吹哨办, 济南市市场监管局, 历城区人民政府 ─ 历城区吹哨办, 历城区住建局
"""

from types import SimpleNamespace

import pytest
from django.test import Client

from tests.cases.flow import MONDAY, act, submit
from tests.conftest import PASSWORD, _member, _unit, at
from whistle.cases import selectors
from whistle.cases.models import Case, DispatchRule, SlaProfile, SlaStage, pk_from_number
from whistle.core import wording
from whistle.core.errors import Invalid, NotFound
from whistle.core.models import RuleOverride, RuleParameter, Wording
from whistle.dashboard import case_rollup, cockpit, rankings
from whistle.dashboard.models import GroupBy, RankingClass
from whistle.enterprises.models import Enterprise
from whistle.enterprises.selectors import enterprise_list
from whistle.org.models import Unit
from whistle.org.scopes import Actor
from whistle.org.selectors import counties_for
from whistle.org.services import cities_refresh
from whistle.ratings.services import clean_case_number


@pytest.fixture
def province(heze):
    p = SimpleNamespace(heze=heze)
    p.province = _unit("shandong", "山东省人民政府", "province", "government")
    p.office = _unit("shandong-cso", "山东省企业吹哨办", "province", "coordination_office", p.province)
    heze.city.parent = p.province
    heze.city.save()
    p.jinan = _unit("jinan", "济南市人民政府", "city", "government", p.province, case_prefix="JN")
    p.jinan_office = _unit("jinan-cso", "济南市企业吹哨办", "city", "coordination_office", p.jinan)
    p.jinan_scjg = _unit("jinan-scjg", "济南市市场监督管理局", "city", "department", p.jinan)
    p.licheng = _unit("licheng", "历城区人民政府", "county", "government", p.jinan)
    p.licheng_office = _unit("licheng-cso", "历城区企业吹哨办", "county", "coordination_office", p.licheng, p.licheng)
    p.licheng_zjj = _unit("licheng-zjj", "历城区住房和城乡建设局", "county", "department", p.licheng, p.licheng)
    DispatchRule.objects.create(category=heze.cat_build, area=p.licheng, unit=p.licheng_zjj)
    DispatchRule.objects.create(category=heze.cat_market, area=p.jinan, unit=p.jinan_scjg)
    p.ent = Enterprise.objects.create(
        uscc="91370112MA3C5TXL5K", name="历城机械有限公司", county=p.licheng, contact_name="赵经理",
        contact_phone="13905310001",
    )  # fmt: skip
    p.users = SimpleNamespace(
        ent_licheng=_member("ent_licheng", "enterprise", enterprise=p.ent),
        licheng_office=_member("licheng_office", "coordinator", unit=p.licheng_office),
        jinan_office=_member("jinan_office", "coordinator", unit=p.jinan_office),
        jinan_leader=_member("jinan_leader", "leader", unit=p.jinan),
        jinan_scjg=_member("jinan_scjg", "handler", unit=p.jinan_scjg),
        licheng_zjj=_member("licheng_zjj", "handler", unit=p.licheng_zjj),
        province_office=_member("province_office", "coordinator", unit=p.office),
        province_leader=_member("province_leader", "leader", unit=p.province),
    )
    for name in vars(p.users):
        setattr(heze.users, name, getattr(p.users, name))
    p.heze_case = submit(heze)  # 曹县, 施工许可 → 曹县住建局
    p.heze_market = submit(heze, category="market")  # 曹县, any-area rule → 菏泽市市场监管局
    p.jinan_case = submit(heze, "ent_licheng", county="licheng")
    p.jinan_market = submit(heze, "ent_licheng", category="market", county="licheng")
    return p


def _visible(heze, user) -> set[str]:
    return {c.number for c in selectors.case_list(heze.actor(user))}


def test_unit_city_follows_the_tree(province):
    p = province
    assert p.province.city_id is None and p.office.city_id is None
    assert {u.city_id for u in Unit.objects.filter(path__startswith=p.jinan.path)} == {p.jinan.pk}
    assert Unit.objects.get(pk=p.heze.cao_zjj.pk).city_id == p.heze.city.pk
    # 历城区 moves to 菏泽: its subtree follows, and a full refresh finds nothing left to change.
    p.licheng.parent = p.heze.city
    p.licheng.save()
    assert set(Unit.objects.filter(path__startswith=p.licheng.path).values_list("city_id", flat=True)) == {
        p.heze.city.pk
    }
    assert cities_refresh() == 0


def test_case_number_carries_its_city_prefix(province):
    p = province
    assert p.heze_case.number.startswith("HZ") and p.jinan_case.number.startswith("JN")
    assert p.jinan_case.city_id == p.jinan.pk
    assert pk_from_number(p.jinan_case.number) == p.jinan_case.pk
    # The same id under another city's prefix, or an unknown prefix, names no case.
    wrong = "HZ" + p.jinan_case.number[2:]
    assert pk_from_number("XX" + p.jinan_case.number[2:]) is None
    with pytest.raises(NotFound):
        selectors.case_get(p.heze.actor("province_office"), wrong)
    assert selectors.case_get(p.heze.actor("province_office"), p.jinan_case.number).pk == p.jinan_case.pk


def test_city_staff_see_only_their_city(province, subtests):
    p, heze = province, province.heze
    jinan = {p.jinan_case.number, p.jinan_market.number}
    heze_cases = {p.heze_case.number, p.heze_market.number}
    for user, expected in {
        "jinan_office": jinan,
        "jinan_leader": jinan,
        "licheng_office": jinan,
        "city_office": heze_cases,
        "city_leader": heze_cases,
        "province_office": jinan | heze_cases,
        "province_leader": jinan | heze_cases,
    }.items():
        with subtests.test(user=user):
            assert _visible(heze, user) & (jinan | heze_cases) == expected
    with subtests.test("a case of another city does not exist for them"):
        with pytest.raises(NotFound):
            selectors.case_get(heze.actor("city_office"), p.jinan_case.number)
    with subtests.test("enterprises"):
        assert list(enterprise_list(heze.actor("jinan_office"))) == [p.ent]
        assert p.ent not in enterprise_list(heze.actor("city_office"))
        assert p.ent in enterprise_list(heze.actor("province_office"))
    with subtests.test("counties offered"):
        assert list(counties_for(heze.actor("jinan_office"))) == [p.licheng]
        assert p.licheng not in counties_for(heze.actor("city_office"))
        assert {p.licheng, heze.cao, heze.shan} <= set(counties_for(heze.actor("province_office")))
    with subtests.test("who acts for the city"):
        assert heze.actor("jinan_office").is_city_level and not heze.actor("jinan_office").sees_all
        assert not heze.actor("licheng_office").is_city_level
        assert heze.actor("province_office").sees_all


def test_any_area_rule_never_routes_to_another_city(province):
    p = province
    # 菏泽's any-area 市场监管 rule keeps 菏泽's cases; 济南's own city rule takes 济南's.
    assert Case.objects.get(pk=p.heze_market.pk).lead_unit_id == p.heze.city_scjg.pk
    assert Case.objects.get(pk=p.jinan_market.pk).lead_unit_id == p.jinan_scjg.pk
    assert Case.objects.get(pk=p.jinan_case.pk).lead_unit_id == p.licheng_zjj.pk
    # Without the city rule, a 济南 case is left to its office rather than sent to 菏泽.
    DispatchRule.objects.filter(area=p.jinan).delete()
    orphan = submit(p.heze, "ent_licheng", category="market", county="licheng")
    assert orphan.lead_unit_id is None


def test_wording_city_override(province):
    p = province
    wording.clear_cache()
    footer = "济南市“企业吹哨、部门报到、市县联动”服务平台"
    Wording.objects.create(key="platform_footer", text=footer, description="页脚", city=p.jinan)
    assert wording.text("platform_footer", p.jinan.pk) == footer
    assert wording.text("platform_footer") != footer  # the deployment's own phrase stays
    assert wording.text("platform_name", p.jinan.pk) == wording.text("platform_name")  # not overridden: the default
    pages = {}
    for user in ("jinan_office", "city_office"):
        client = Client()
        client.login(username=user, password=PASSWORD)
        pages[user] = client.get("/", follow=True).content.decode()
    assert footer in pages["jinan_office"] and footer not in pages["city_office"]


def test_internal_case_number_refused_for_any_city_prefix(province):
    for number in (province.jinan_case.number, "JN-0000-0001", province.heze_case.number):
        with pytest.raises(Invalid) as refused:
            clean_case_number(number)
        assert refused.value.code == "internal_case_number"
    assert clean_case_number("SD2026-0001") == "SD2026-0001"


def test_cities_ranked_and_county_ranking_within_city(province):
    heze = province.heze
    county = RankingClass.objects.get(code="county")
    RankingClass.objects.create(
        code="city", name="设区市", level="city", kinds=["government"], group_by=GroupBy.CITY, metric=county.metric,
        min_cases=1, window_months=county.window_months,
    )  # fmt: skip
    case_rollup.rebuild(now=MONDAY)
    month = MONDAY.date().replace(day=1)
    cities = rankings.ranking(heze.actor("province_office"), "city", month)
    assert {r["unit"]: r["cases"] for r in cities["rows"]} == {"heze": 2, "jinan": 2}
    # A city's own coordinator sees its row of the cities' ranking, not the other city's.
    assert [r["unit"] for r in rankings.ranking(heze.actor("jinan_office"), "city", month)["rows"]] == ["jinan"]
    # Counties are ranked within the asker's city; the province's staff may pick a city.
    assert [r["unit"] for r in rankings.ranking(heze.actor("jinan_office"), "county", month)["rows"]] == ["licheng"]
    assert {r["unit"] for r in rankings.ranking(heze.actor("city_office"), "county", month)["rows"]} == {
        "caoxian",
        "shanxian",
    }
    picked = rankings.ranking(heze.actor("province_office"), "county", month, city="jinan")
    assert [r["unit"] for r in picked["rows"]] == ["licheng"]
    with pytest.raises(Invalid):
        rankings.ranking(heze.actor("province_office"), "county", month, city="nowhere")
    assert Actor.system().city_id is None


def test_city_rule_override_applies_to_its_own_cases(province):
    p, heze = province, province.heze
    RuleOverride.objects.create(
        parameter=RuleParameter.objects.get(key="escalation.returns_to_city"), city=p.jinan, value=1
    )
    returned = {"reason": "不属本单位", "suggested_unit": "jinan-scjg"}
    jinan = act(heze, p.jinan_case, "return", "licheng_zjj", returned, at(2026, 11, 2, 11))
    assert jinan.returns_count == 1 and jinan.level == "city"  # 济南: up to the city at the first return
    returned["suggested_unit"] = "caoxian-scjg"
    cao = act(heze, p.heze_case, "return", "cao_zjj", returned, at(2026, 11, 2, 11))
    assert cao.returns_count == 1 and cao.level == "county"  # 菏泽 keeps the deployment's 2


def test_city_default_sla_profile_replaces_the_deployments_for_its_cases(province):
    p, heze = province, province.heze
    default = SlaProfile.objects.get(is_default=True, city=None)
    own = SlaProfile.objects.create(code="jinan-default", name="济南默认时限", is_default=True, city=p.jinan)
    SlaStage.objects.bulk_create(
        SlaStage(profile=own, stage=s.stage, amount=5 if s.stage == "resolve" else s.amount, unit=s.unit)
        for s in default.stages.all()
    )
    jinan = submit(heze, "ent_licheng", county="licheng")
    assert jinan.sla_profile_id == own.pk and jinan.resolve_due_at == at(2026, 11, 9, 10)
    cao = submit(heze)
    assert cao.sla_profile_id == default.pk and cao.resolve_due_at == at(2026, 11, 23, 10)


def test_cockpit_ranks_the_counties_of_the_viewers_city(province):
    heze = province.heze
    case_rollup.rebuild(now=MONDAY)
    month = MONDAY.date().replace(day=1)
    for user, counties in {
        "jinan_leader": {"licheng"},
        "city_leader": {"caoxian", "shanxian"},
        "province_leader": {"licheng", "caoxian", "shanxian"},
    }.items():
        rankings_shown = cockpit.page(heze.actor(user), month, now=MONDAY)["rankings"]
        assert {r["unit"] for r in rankings_shown["rows"]} == counties, user


def test_rankings_page_offers_the_province_a_city_and_refuses_an_unknown_one(province):
    case_rollup.rebuild(now=MONDAY)
    pages = {}
    for user in ("province_office", "jinan_office"):
        client = Client()
        client.login(username=user, password=PASSWORD)
        pages[user] = client
    offered = pages["province_office"].get("/dashboard/rankings?class=county&month=2026-11&city=jinan")
    assert offered.status_code == 200
    body = offered.content.decode()
    assert 'name="city"' in body and "历城区人民政府" in body and "曹县人民政府" not in body
    refused = pages["province_office"].get("/dashboard/rankings?class=county&month=2026-11&city=nowhere")
    assert refused.status_code == 422 and "市不存在" in refused.content.decode()
    # A city's own staff are offered no city to pick; asking for another city still shows their own.
    own = pages["jinan_office"].get("/dashboard/rankings?class=county&month=2026-11&city=heze").content.decode()
    assert 'name="city"' not in own and "历城区人民政府" in own and "曹县人民政府" not in own
