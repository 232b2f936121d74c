"""走访 → 工单, and coverage (遍访率) checked against a hand count."""

import datetime as dt

import pytest

from whistle.cases.models import Case, Channel
from whistle.core.errors import Conflict, Invalid, NotFound
from whistle.patronage import selectors, services
from whistle.patronage.models import Visit

from .conftest import make_project


def _visit(heze, actor="cao_leader", day="2026-03-10", problems=("厂区道路积水，影响货车进出",), patronage=None):
    return services.visit_log(
        heze.actor(actor),
        (patronage or heze.patronage).pk,
        visited_on=day,
        participants="县长、住建局",
        raised="道路积水",
        decided="住建局一周内查勘",
        problems=list(problems),
        today=dt.date(2026, 11, 26),
    )


def test_visit_logged_with_date_participants_raised_and_decided(assigned):
    visit = _visit(assigned)
    assert (visit.visited_on, visit.participants, visit.raised, visit.decided) == (
        dt.date(2026, 3, 10),
        "县长、住建局",
        "道路积水",
        "住建局一周内查勘",
    )
    assert visit.enterprise == assigned.ent_cao
    assert [p.description for p in visit.problems.all()] == ["厂区道路积水，影响货车进出"]


def test_visit_bad_input(assigned):
    for day, code in (("2026-01-01", "dates_reversed"), ("2027-01-01", "date_in_future"), ("03/10", "invalid_date")):
        with pytest.raises(Invalid) as e:
            _visit(assigned, day=day)
        assert e.value.code == code
    with pytest.raises(Invalid) as e:
        services.visit_log(
            assigned.actor("cao_leader"), assigned.patronage.pk, visited_on="2026-03-10", participants=" "
        )
    assert e.value.field == "participants"
    with pytest.raises(NotFound):
        _visit(assigned, actor="ent_cao")
    with pytest.raises(NotFound):
        _visit(assigned, actor="shan_office")
    assert not Visit.objects.exists()


def test_rule_1_visit_problem_becomes_a_case_on_channel_visit_linked_back(assigned):
    visit = _visit(assigned)
    problem = visit.problems.get()
    case = services.problem_to_case(assigned.actor("cao_leader"), problem.pk, category="construction")
    assert case.channel == Channel.VISIT and case.enterprise == assigned.ent_cao and case.county == assigned.cao
    assert case.lead_unit == assigned.cao_zjj  # routed by the dispatch catalogue like any other case
    assert "领导包保走访" in case.description
    submit = case.events.get(action="submit")  # submitted by the leader, not by the system on their behalf
    assert (submit.actor_id, submit.actor_label) == (assigned.users.cao_leader.pk, assigned.actor("cao_leader").label)
    problem.refresh_from_db()
    assert problem.case == case
    origin = selectors.case_origin(assigned.actor("cao_leader"), case)
    assert origin["visit"] == visit and origin["patronage"] == assigned.patronage
    assert selectors.case_origin(assigned.actor("ent_cao"), case) is None
    with pytest.raises(Conflict):
        services.problem_to_case(assigned.actor("cao_leader"), problem.pk, category="construction")
    assert Case.objects.count() == 1


def test_visit_problem_to_case_bad_category_writes_nothing(assigned):
    problem = _visit(assigned).problems.get()
    with pytest.raises(Invalid):
        services.problem_to_case(assigned.actor("cao_leader"), problem.pk, category="nope")
    problem.refresh_from_db()
    assert problem.case is None and not Case.objects.exists()


def test_a_coordinator_turns_a_problem_into_a_case_as_itself(assigned):
    problem = _visit(assigned, actor="cao_office").problems.get()
    case = services.problem_to_case(assigned.actor("cao_office"), problem.pk, category="construction")
    assert case.events.get(action="submit").actor_label.startswith("曹县")


def test_handler_cannot_log_or_convert(assigned):
    problem = _visit(assigned).problems.get()
    with pytest.raises(NotFound):
        services.problem_to_case(assigned.actor("cao_zjj"), problem.pk, category="construction")


def test_coverage_against_a_hand_count(assigned):
    """Hand count for 2026: above scale = 曹县木业 (曹县), 单县食品 (单县) → 2. 曹县木业 visited twice in 2026 and once in
    2025 (counted once); 单县食品 assigned but visited only in 2025 → 2026 visited = 1, rate 50.0%; 曹县 100%, 单县 0%.
    The small 曹县 firm is not above scale and is in no denominator."""
    shan = services.patronage_assign(
        assigned.actor("shan_office"),
        enterprise=assigned.ent_shan,
        leader="city_leader",
        lead_unit="shanxian-zjj",
        started_on="2025-01-01",
    )
    _visit(assigned, day="2026-03-10")
    _visit(assigned, day="2026-09-01", problems=())
    Visit.objects.create(patronage=shan, enterprise=assigned.ent_shan, visited_on=dt.date(2025, 6, 1), participants="x")
    make_project(assigned, code="XM-1", progress=50)  # on plan
    behind = make_project(assigned, code="XM-2", progress=10)
    services.patronage_assign(
        assigned.actor("cao_office"),
        project=behind,
        leader="cao_leader",
        lead_unit="caoxian-zjj",
        started_on="2026-01-01",
    )
    problem = Visit.objects.filter(problems__isnull=False).first().problems.get()
    services.problem_to_case(assigned.actor("cao_leader"), problem.pk, category="construction")

    today = dt.date(2026, 7, 1)  # half the year: the plan expects ~49%
    city = assigned.actor("city_leader")
    assert selectors.coverage_summary(city, 2026, today=today) == {
        "year": 2026,
        "above_scale": 2,
        "visited": 1,
        "rate": 50.0,
        "patronages": 3,
        "open_cases": 1,
        "projects": 2,
        "behind_plan": 1,
    }
    assert selectors.coverage_by_county(city, 2026) == [
        {"county": "caoxian", "name": "曹县人民政府", "above_scale": 1, "visited": 1, "rate": 100.0},
        {"county": "shanxian", "name": "单县人民政府", "above_scale": 1, "visited": 0, "rate": 0.0},
    ]
    assert selectors.coverage_summary(city, 2025, today=today)["visited"] == 1
    cao = selectors.coverage_summary(assigned.actor("cao_leader"), 2026, today=today)
    assert (cao["above_scale"], cao["visited"], cao["patronages"], cao["projects"]) == (1, 1, 2, 2)
    by_leader = {r["leader"]: r for r in selectors.coverage_by_leader(city, 2026)}
    assert by_leader["cao_leader"] | {} == {
        "leader": "cao_leader",
        "name": "cao_leader",
        "patronages": 2,
        "enterprises": 1,
        "projects": 1,
        "above_scale": 1,
        "visited": 1,
        "open_cases": 1,
        "visits": 2,
        "rate": 100.0,
    }
    assert (
        by_leader["city_leader"]["above_scale"],
        by_leader["city_leader"]["visited"],
        by_leader["city_leader"]["rate"],
    ) == (1, 0, 0.0)
    assert selectors.coverage_summary(assigned.actor("ent_cao"), 2026)["above_scale"] == 0
    assert selectors.coverage_by_county(assigned.actor("cao_zjj"), 2026) == []


def test_behind_plan_by_overdue_milestone_or_progress(key):
    today = dt.date(2026, 7, 1)
    on_plan = make_project(key, code="A", progress=45)
    late_node = make_project(key, code="B", progress=60, milestones=[{"name": "主体完工", "planned_on": "2026-06-30"}])
    slow = make_project(key, code="C", progress=30)
    assert selectors.behind_plan(on_plan, today) == []
    assert selectors.behind_plan(late_node, today) == ["节点“主体完工”计划2026-06-30完成，尚未完成"]
    assert selectors.behind_plan(slow, today) == ["形象进度30%，按计划应达49%"]
    services.project_progress(
        key.actor("cao_office"), late_node.pk, progress=60, done={late_node.milestones.get().pk: "2026-06-30"}
    )
    assert selectors.behind_plan(late_node, today) == []


def test_planned_progress_is_linear_from_start_to_end_and_the_demo_uses_it():
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    assert [
        selectors.planned_progress(start, end, day)
        for day in (dt.date(2025, 12, 1), start, dt.date(2026, 7, 1), end, dt.date(2027, 3, 1))
    ] == [0, 0, 49, 100, 100]
    assert [selectors.planned_progress(start, start, day) for day in (dt.date(2025, 12, 31), dt.date(2026, 1, 2))] == [
        0,
        100,
    ]
    from whistle.patronage import demo

    assert demo.planned_progress is selectors.planned_progress


def test_only_the_visit_channel_lets_a_leader_submit_and_only_in_their_county(assigned):
    from whistle.cases.services import case_submit
    from whistle.core.errors import Forbidden as CaseForbidden

    with pytest.raises(CaseForbidden):
        case_submit(
            assigned.actor("cao_leader"),
            kind="help",
            category="construction",
            description="不是走访",
            enterprise=assigned.ent_cao,
            channel=Channel.WEB,
        )
    with pytest.raises(Invalid) as outside:
        case_submit(
            assigned.actor("cao_leader"),
            kind="help",
            category="construction",
            description="单县的问题",
            enterprise=assigned.ent_shan,
            channel=Channel.VISIT,
        )
    assert outside.value.code == "county_out_of_scope" and not Case.objects.exists()
