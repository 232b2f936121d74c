"""The rules of §6 (链长制) as whistle implements them, and the pipeline's deadlines, lights and 督办."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.chains.conftest import at, make_project
from tests.conftest import PASSWORD
from whistle.cases.models import Case
from whistle.chains import lights, selectors, services
from whistle.chains.models import Chain, Light, ListType, Project, ProjectCase, ProjectNotice, Stage, Trip
from whistle.core import rules
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.core.models import RuleParameter
from whistle.patronage.models import Patronage


def test_rule_6_heze_ten_key_chains_are_data_from_a_migration(db):
    chains = list(Chain.objects.values_list("name", flat=True))
    assert len(chains) == 10
    assert chains[:4] == ["生物医药", "高端化工", "新能源新材料", "新一代信息技术"]
    assert Chain.objects.get(code="biomedicine").layout == "一港四园"
    assert Chain.objects.get(code="chemicals").layout == "3+N"


def test_rule_6_one_map_and_n_lists_list_types_are_data(db):
    names = list(ListType.objects.values_list("name", flat=True))
    assert names[:2] == ["龙头骨干企业", "主要配套企业"]
    assert {"补短板突破环节", "关键产品技术攻关", "重要支持政策", "招商引资目标企业"} <= set(names)


def test_rule_6_chain_map_is_a_tree_and_a_node_without_local_firm_is_a_gap(chains):
    office = chains.actor("chain_bio")
    api = services.node_add(office, chains.bio, name="原料药", segment="up")
    intermediate = services.node_add(office, chains.bio, name="医药中间体", parent=api.pk)
    devices = services.node_add(office, chains.bio, name="医疗器械", segment="down")
    services.firm_add(office, chains.bio, intermediate.pk, uscc=chains.ent_cao.uscc)
    services.firm_add(office, chains.bio, devices.pk, name="深圳某医疗", place="深圳")
    nodes = {n.name: n for n in selectors.chain_map(chains.bio)}
    assert [n.name for n in selectors.chain_map(chains.bio)] == ["原料药", "医药中间体", "医疗器械"]
    assert intermediate.segment == "up" and nodes["医药中间体"].depth == 1
    assert nodes["医药中间体"].coverage == "covered"
    assert nodes["原料药"].coverage == "partial"  # a local firm below it
    assert nodes["医疗器械"].coverage == "gap"  # only a firm elsewhere
    assert [n.name for n in selectors.gap_nodes(chains.bio)] == ["医疗器械"]


def test_rule_6_lists_are_kept_per_chain_and_year(chains):
    office = chains.actor("chain_bio")
    services.entry_add(office, chains.bio, list_type="gaps", year=2026, name="高端制剂")
    services.entry_add(office, chains.bio, list_type="gaps", year=2025, name="原料药")
    with pytest.raises(Conflict):
        services.entry_add(office, chains.bio, list_type="gaps", year=2026, name="高端制剂")
    lists = dict((t.code, [e.name for e in entries]) for t, entries in selectors.lists_of(chains.bio, 2026))
    assert lists["gaps"] == ["高端制剂"]
    assert selectors.list_years(chains.bio) == [2026, 2025]


def test_a_chain_office_keeps_only_its_own_chains_and_others_do_not_exist_for_it(chains):
    office = chains.actor("chain_bio")
    assert list(selectors.chains_for(office)) == [chains.bio]
    with pytest.raises(NotFound):
        selectors.chain_get(office, "chemicals")
    other = make_project(chains, by="chain_chem", chain=chains.chem)
    with pytest.raises(NotFound):
        selectors.project_get(office, other.pk)
    with pytest.raises(Forbidden):
        services.node_add(office, chains.chem, name="x", segment="up")
    assert selectors.chains_for(chains.actor("city_leader")).count() == 10
    assert selectors.chains_for(chains.actor("cao_zjj")).count() == 0


def test_pipeline_moves_forward_only_and_signing_takes_amount_and_date(chains):
    office = chains.actor("chain_bio")
    project = make_project(chains)
    assert project.stage.code == "target" and project.light == Light.GREEN
    with pytest.raises(Invalid) as refused:
        services.project_advance(office, project.pk, stage="signed", on="2026-03-10", now=at(2026, 3, 20))
    assert refused.value.code == "invalid_amount" and refused.value.field == "amount"
    project.refresh_from_db()
    assert project.stage.code == "target" and project.signed_on is None  # nothing half-written
    services.project_advance(office, project.pk, stage="signed", on="2026-03-10", amount="52000", now=at(2026, 3, 20))
    services.project_advance(office, project.pk, stage="started", on="2026-05-06", now=at(2026, 5, 6))
    project.refresh_from_db()
    assert (project.stage.code, project.signed_on, project.amount) == (
        "started",
        dt.date(2026, 3, 10),
        Decimal("52000.00"),
    )
    assert project.started_on == dt.date(2026, 5, 6)
    with pytest.raises(Conflict):
        services.project_advance(office, project.pk, stage="signed", amount="1", now=at(2026, 5, 7))
    assert [e.kind for e in project.events.all()] == ["create", "stage", "stage"]


def test_pipeline_stage_deadline_in_working_days_runs_over_the_national_day_holiday(chains):
    """The 目标锁定 stage limited to 10 working days (data), entered on Monday 21 September 2026: the Mid-Autumn
    Festival (Friday 25 September) and the National Day holiday (1–7 October) do not count and Saturday 10 October is
    a swapped working day (调休), so the limit ends on Monday 12 October; yellow from 5 working days before it (the
    chains' own rule, `chains.yellow_within_working_days`: 29 September), red from the working day after (13 October)."""
    Stage.objects.filter(pipeline="investment", code="target").update(limit_working_days=10)
    project = make_project(chains, now=at(2026, 9, 21))
    assert project.due_on == dt.date(2026, 10, 12)
    assert project.yellow_on == dt.date(2026, 9, 29)
    assert project.red_on == dt.date(2026, 10, 13)
    lights.sweep(at(2026, 9, 28, 8))
    project.refresh_from_db()
    assert project.light == Light.GREEN
    lights.sweep(at(2026, 9, 29, 8))
    project.refresh_from_db()
    assert project.light == Light.YELLOW
    lights.sweep(at(2026, 10, 12, 18))
    project.refresh_from_db()
    assert project.light == Light.YELLOW
    lights.sweep(at(2026, 10, 13, 8))
    project.refresh_from_db()
    assert project.light == Light.RED


def test_stalled_project_gets_one_reminder_and_one_supervision_letter_however_often_the_sweep_runs(chains):
    Stage.objects.filter(pipeline="investment", code="target").update(limit_working_days=10)
    project = make_project(chains, now=at(2026, 9, 21))
    for day in (28, 29, 30):
        lights.sweep(at(2026, 9, day, 8))
    assert list(ProjectNotice.objects.values_list("kind", "lapse_on", "unit__code")) == [
        ("reminder", dt.date(2026, 9, 29), "heze-gxj")
    ]
    lights.sweep(at(2026, 10, 13, 8))
    lights.sweep(at(2026, 10, 13, 9))
    assert ProjectNotice.objects.filter(project=project, kind="letter").count() == 1
    # Moving on clears the lapse: the new stage has its own deadline.
    services.project_advance(chains.actor("chain_bio"), project.pk, stage="contact", now=at(2026, 10, 14))
    project.refresh_from_db()
    assert project.light == Light.GREEN and project.due_on > dt.date(2026, 10, 14)


def test_rule_10_4_one_supervision_letter_per_lapse_never_twice_on_rerun(chains):
    """The sweep writes its notices in one statement per kind: three stalled projects red on the same day get one
    督办 each, a rerun the same day and the next day issues nothing, and a project that moves on and stalls again
    gets a second 督办 for its new lapse."""
    Stage.objects.filter(pipeline="investment", code="target").update(limit_working_days=10)
    projects = [make_project(chains, name=f"项目{i}", now=at(2026, 9, 21)) for i in range(3)]
    first = lights.sweep(at(2026, 10, 13, 8))
    assert (first["chain_letters"], first["chain_notices"]) == (3, 3)
    again = [lights.sweep(at(2026, 10, 13, 9)), lights.sweep(at(2026, 10, 14, 8))]
    assert [(r["chain_letters"], r["chain_notices"]) for r in again] == [(0, 0), (0, 0)]
    assert ProjectNotice.objects.filter(kind="letter").count() == 3
    assert {n.lapse_on for n in ProjectNotice.objects.filter(kind="letter")} == {dt.date(2026, 10, 13)}
    # The first moves on and stalls again: a new lapse, a second 督办 (its 提醒 on the way, too).
    Stage.objects.filter(pipeline="investment", code="contact").update(limit_working_days=10)
    services.project_advance(chains.actor("chain_bio"), projects[0].pk, stage="contact", now=at(2026, 10, 14))
    later = lights.sweep(at(2026, 11, 30, 8))
    assert (later["chain_letters"], later["chain_notices"]) == (1, 1)
    assert ProjectNotice.objects.filter(project=projects[0], kind="letter").count() == 2
    assert ProjectNotice.objects.filter(project=projects[0], kind="reminder").count() == 0  # late: a 督办, no 提醒
    assert lights.sweep(at(2026, 11, 30, 9))["chain_notices"] == 0


def test_chains_yellow_rule_is_their_own_parameter_starting_at_the_reform_tasks_value(chains):
    """`chains.yellow_within_working_days` arrives with the reform rule's value (5); changing the reform rule no
    longer moves a project's yellow light, changing the chains' rule does."""
    ours = RuleParameter.objects.get(key="chains.yellow_within_working_days")
    assert ours.value == RuleParameter.objects.get(key="reforms.yellow_within_working_days").value == 5
    RuleParameter.objects.filter(key="reforms.yellow_within_working_days").update(value=1)
    rules.clear_cache()
    project = make_project(chains, now=at(2026, 3, 2))  # 目标锁定: 20 working days → due Monday 30 March
    assert project.due_on == dt.date(2026, 3, 30) and project.yellow_on == dt.date(2026, 3, 23)
    RuleParameter.objects.filter(key="chains.yellow_within_working_days").update(value=1)
    rules.clear_cache()
    again = make_project(chains, name="另一项目", now=at(2026, 3, 2))
    assert again.yellow_on == dt.date(2026, 3, 27)
    rules.clear_cache()


def test_the_last_stage_has_no_deadline_and_no_light(chains):
    project = make_project(chains)
    services.project_advance(
        chains.actor("chain_bio"), project.pk, stage="at_capacity", on="2026-03-02", amount="8000", now=at(2026, 3, 2)
    )
    project.refresh_from_db()
    assert project.light == Light.NONE and project.red_on is None


def test_a_problem_becomes_a_whistle_case_in_one_click_through_the_case_service(chains):
    project = make_project(chains, uscc=chains.ent_cao.uscc)
    case = services.problem_to_case(
        chains.actor("chain_bio"), project.pk, category="construction", description="施工许可办理受阻\n请协调"
    )
    case = Case.objects.get(pk=case.pk)
    assert case.county == chains.cao and case.enterprise == chains.ent_cao
    assert case.state == "dispatched"  # routed by the catalogue like any case
    assert case.external_ref == f"chains-project:{project.pk}"
    assert "原料药扩产项目" in case.description and "chain_bio" in case.description
    assert case.events.order_by("seq").first().action == "submit"
    assert ProjectCase.objects.get(case=case).project == project
    assert [c.number for c in selectors.open_cases(chains.bio)["linked"]] == [case.number]


def test_a_bad_category_raises_no_case_and_links_nothing(chains):
    project = make_project(chains)
    with pytest.raises(Invalid):
        services.problem_to_case(chains.actor("chain_bio"), project.pk, category="no-such", description="x")
    assert not Case.objects.exists() and not ProjectCase.objects.exists()


def test_a_key_project_is_put_under_leader_patronage_by_the_county_coordinator(chains):
    project = make_project(chains)
    with pytest.raises(NotFound):
        services.problem_to_case(chains.actor("chain_chem"), project.pk, category="construction", description="x")
    with pytest.raises(Forbidden):  # a leader reads the chain; its office keeps it
        services.problem_to_case(chains.actor("city_leader"), project.pk, category="construction", description="x")
    patronage = services.project_patronage(
        chains.actor("cao_office"), project.pk, leader="cao_leader", lead_unit="caoxian-zjj", started_on="2026-03-05"
    )
    project.refresh_from_db()
    assert project.is_key and project.patronage_project.name == "原料药扩产项目"
    assert Patronage.objects.get(pk=patronage.pk).project == project.patronage_project
    with pytest.raises(Conflict):
        services.project_patronage(
            chains.actor("cao_office"),
            project.pk,
            leader="cao_leader",
            lead_unit="caoxian-zjj",
            started_on="2026-03-05",
        )


def test_investment_figures_for_a_period_against_a_hand_counted_fixture(chains):
    """In Q1 2026: 3 leaders' trips (a cadres' visit and a trip in April do not count); 2 projects signed at or above
    1亿 (10000万元) for 1.5亿 + 3亿 = 4.5亿 (a 9000万 signing and a signing in April do not count)."""
    office = chains.actor("chain_bio")
    for day, city, leader in [
        ("2026-01-10", "北京", True),
        ("2026-02-03", "上海", True),
        ("2026-03-31", "深圳", True),
        ("2026-03-15", "上海", False),
        ("2026-04-01", "北京", True),
    ]:
        services.trip_record(
            office, chains.bio, {"went_on": day, "city": city, "who": "张市长", "led_by_leader": leader}
        )
    for name, day, amount in [
        ("甲", "2026-01-20", "15000"),
        ("乙", "2026-03-31", "30000"),
        ("丙", "2026-02-10", "9000"),
        ("丁", "2026-04-02", "50000"),
    ]:
        p = make_project(chains, name=name, now=at(2026, 1, 5))
        services.project_advance(office, p.pk, stage="signed", on=day, amount=amount, now=at(2026, 4, 30))
    figures = selectors.investment_figures(office, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert (figures["trips"], figures["signed"], figures["amount_yi"]) == (3, 2, Decimal("4.50"))
    assert figures["trip_cities"] == ["上海", "北京", "深圳"]
    # The chain office of another chain counts none of them.
    other = selectors.investment_figures(chains.actor("chain_chem"), dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert (other["trips"], other["signed"]) == (0, 0)
    assert Trip.objects.count() == 5 and Project.objects.filter(signed_on__isnull=False).count() == 4


def test_rule_6_chain_kpis_by_their_definitions_against_a_hand_counted_fixture(chains, client):
    """生物医药 in 2026, counted by hand: 新开工扩规项目 3 (two investment projects and one 技改 started in 2026; one
    started in 2025 and one of 高端化工 do not count); 净增规上企业 4 − 1 = 3 (2025's entries do not count); 创新平台
    2; 产业集群主营业务收入 as recorded, 86.50亿元 (none recorded for 2025)."""
    office = chains.actor("chain_bio")
    for name, day, pipeline in [
        ("甲", "2026-02-02", "investment"),
        ("乙", "2026-12-31", "investment"),
        ("丙", "2026-06-01", "renovation"),
        ("丁", "2025-12-31", "investment"),
    ]:
        extra = {"pipeline": pipeline, "uscc": chains.ent_cao.uscc} if pipeline == "renovation" else {}
        p = make_project(chains, name=name, now=at(2025, 12, 1), **extra)
        services.project_advance(office, p.pk, stage="started", on=day, amount="5000", now=at(2027, 1, 5))
    other = make_project(chains, by="chain_chem", chain=chains.chem, now=at(2025, 12, 1))
    services.project_advance(
        chains.actor("chain_chem"), other.pk, stage="started", on="2026-03-03", amount="1", now=at(2027, 1, 5)
    )
    for year, kind, names in [
        (2026, "above-scale-in", ["入规一", "入规二", "入规三", "入规四"]),
        (2026, "above-scale-out", ["退规一"]),
        (2025, "above-scale-in", ["去年入规一", "去年入规二"]),
        (2026, "platforms", ["省级工程技术研究中心", "市级重点实验室"]),
    ]:
        for name in names:
            services.entry_add(office, chains.bio, list_type=kind, year=year, name=name)
    services.entry_add(chains.actor("chain_chem"), chains.chem, list_type="platforms", year=2026, name="化工中试基地")
    services.kpi_record(office, chains.bio, kpi="revenue", year=2026, value="80", now=at(2026, 7, 1))
    services.kpi_record(office, chains.bio, kpi="revenue", year=2026, value="86.5", note="统计局快报")

    def figures(year):
        return {f.definition.code: f.value for f in selectors.kpi_figures(chains.bio, year)}

    assert figures(2026) == {"started": 3, "above-scale-net": 3, "platforms": 2, "revenue": Decimal("86.50")}
    assert figures(2025) == {"started": 1, "above-scale-net": 2, "platforms": 0, "revenue": None}
    with pytest.raises(Invalid) as refused:  # a computed KPI is not recorded by hand
        services.kpi_record(office, chains.bio, kpi="started", year=2026, value="9")
    assert refused.value.code == "invalid_kpi"
    with pytest.raises(Forbidden):
        services.kpi_record(chains.actor("city_leader"), chains.bio, kpi="revenue", year=2026, value="1")
    assert client.login(username="city_leader", password=PASSWORD)
    page = client.get("/chains/biomedicine/?year=2026").content.decode()
    assert (
        '<tr data-kpi="above-scale-net"><th scope="row">净增规上企业</th><td class="num"><span class="n">3</span>'
        in page
    )
    assert "86.50" in page and "统计局快报" in page and 'id="kpi-form"' not in page
