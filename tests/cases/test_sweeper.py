"""The deadline sweep (domain/rules.md §1 provincial hotline and §8.2 overlays): yellow and red cards, supervision
notices, escalation county → city, the green channel; idempotent.

The case of `case_in` is dispatched Monday 2 Nov 2026 10:00, so its solve deadline is Monday 23 Nov 10:00.
"""

from tests.cases.flow import act, actions, case_in, last_event, reload, submit
from tests.conftest import at
from whistle.cases.models import Case, CaseEvent
from whistle.cases.sweeper import sweep
from whistle.core.models import RuleParameter
from whistle.org.models import Membership

NOTHING = {"red_card": 0, "yellow_card": 0, "supervise": 0, "escalate": 0}


def test_yellow_card_one_working_day_before_solve_deadline(heze):
    case = case_in(heze, "in_progress")
    assert sweep(at(2026, 11, 20, 9, 59)) == NOTHING
    assert sweep(at(2026, 11, 20, 10, 0))["yellow_card"] == 1  # Friday: the working day before Monday 23rd
    case = reload(case)
    assert case.card == "yellow" and case.state == "in_progress"
    event = last_event(case)
    assert event.action == "yellow_card" and event.actor_label == "系统" and event.at == at(2026, 11, 20, 10)


def test_red_card_one_working_day_after_solve_deadline(heze):
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 24, 9, 59))
    assert reload(case).card == "yellow"
    assert sweep(at(2026, 11, 24, 10, 0))["red_card"] == 1
    assert reload(case).card == "red" and last_event(case).action == "red_card"


def test_case_a_working_day_late_gets_its_red_card_without_a_stale_yellow_one(heze):
    case = case_in(heze, "in_progress")
    counts = sweep(at(2026, 11, 25, 10))
    assert (counts["red_card"], counts["yellow_card"]) == (1, 0)
    assert reload(case).card == "red"


def test_supervision_notice_when_solve_deadline_is_overdue(heze):
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 23, 9, 59))
    assert reload(case).supervision_count == 0
    assert sweep(at(2026, 11, 23, 10, 1))["supervise"] == 1
    case = reload(case)
    assert case.supervision_count == 1 and case.supervised_at == at(2026, 11, 23, 10, 1)
    notice = last_event(case)
    assert notice.action == "supervise" and notice.payload["reason"] == "超过办结时限"
    assert notice.payload["notice"] == "督办单第1号" and notice.payload["overdue"] is True


def test_case_escalates_county_to_city_n_working_days_after_supervision(heze):
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 23, 10, 1))  # supervised; N = 3 working days by default
    assert sweep(at(2026, 11, 26, 10, 0))["escalate"] == 0 and reload(case).level == "county"
    assert sweep(at(2026, 11, 26, 10, 1))["escalate"] == 1
    case = reload(case)
    assert case.level == "city" and case.escalated_at == at(2026, 11, 26, 10, 1)
    # The city office sets its own limit (escalation.city_limit_wd = 5) from the moment it takes the case.
    assert case.resolve_due_at == at(2026, 12, 3, 10, 1) and case.next_due_at == case.resolve_due_at
    assert case.card == "none" and last_event(case).action == "escalate"


def test_escalation_delay_after_supervision_comes_from_rule_parameter(heze):
    RuleParameter.objects.filter(key="escalation.county_to_city_after_supervision_wd").update(value=1)
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 23, 10, 1))
    sweep(at(2026, 11, 24, 10, 1))
    assert reload(case).level == "city"


def test_green_channel_after_city_supervision_goes_to_the_county_head(heze):
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 23, 10, 1))
    sweep(at(2026, 11, 26, 10, 1))  # city level, due 3 Dec 10:01
    sweep(at(2026, 12, 3, 10, 2))  # supervised again, now at city level
    case = reload(case)
    assert case.supervision_count == 2 and case.level == "city"
    assert sweep(at(2026, 12, 8, 10, 1))["escalate"] == 0
    assert sweep(at(2026, 12, 8, 10, 2))["escalate"] == 1  # escalation.green_channel_after_supervision_wd = 3
    case = reload(case)
    assert case.level == "green_channel" and case.green_channel_leader == heze.users.cao_leader
    event = last_event(case)
    assert event.action == "green_channel" and event.payload["leader_name"] == "cao_leader"
    assert sweep(at(2026, 12, 31)) == NOTHING  # the green channel is the last step
    assert reload(case).level == "green_channel"


def test_green_channel_goes_to_the_city_leader_in_charge_of_a_city_level_lead_unit(heze):
    vice = heze.users.city_leader.__class__.objects.create_user("vice_mayor", password="x" * 12)
    Membership.objects.create(user=vice, role="leader", unit=heze.city, display_name="分管副市长")
    heze.city_scjg.leader = vice
    heze.city_scjg.save()
    case = submit(heze, category="market")  # 市市场监管局 by the area-less rule
    case = act(heze, case, "escalate", "city_office", {"reason": "跨部门事项"}, at(2026, 11, 3))
    case = act(heze, case, "green_channel", "city_office", {}, at(2026, 11, 4))
    assert case.green_channel_leader == vice and last_event(case).payload["leader_name"] == "分管副市长"


def test_green_channel_falls_back_to_the_city_head_when_the_county_has_none(heze):
    case = submit(heze, "ent_shan", category="construction")  # 单县 has no head recorded
    case = act(heze, case, "escalate", "city_office", {}, at(2026, 11, 3))
    case = act(heze, case, "green_channel", "city_office", {}, at(2026, 11, 4))
    assert case.green_channel_leader == heze.users.city_leader


def test_second_sweep_at_the_same_moment_writes_no_event_and_changes_no_row(heze):
    cases = [case_in(heze, state) for state in ("dispatched", "accepted", "in_progress", "replied")]
    act(heze, case_in(heze, "in_progress"), "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 10))
    later = submit(heze, now=at(2026, 11, 5, 10))  # due 26 Nov 10:00
    sweep(at(2026, 11, 24, 10))
    moment = at(2026, 11, 27, 10, 5)
    assert sweep(moment) == {"red_card": 1, "yellow_card": 0, "supervise": 1, "escalate": 4}
    rows, events = list(Case.objects.order_by("pk").values()), CaseEvent.objects.count()
    assert sweep(moment) == NOTHING
    assert list(Case.objects.order_by("pk").values()) == rows and CaseEvent.objects.count() == events
    assert reload(cases[3]).card == "none" and reload(later).card == "red"


def test_replied_case_is_not_carded_supervised_or_escalated(heze):
    case = case_in(heze, "replied")
    assert sweep(at(2026, 12, 31)) == NOTHING
    case = reload(case)
    assert case.card == "none" and case.supervision_count == 0 and case.level == "county"


def test_withdrawn_and_closed_cases_are_not_swept(heze):
    # A returned case is swept: it waits for the office's dispatch, which has its own clock (test_dispatch_clock.py).
    withdrawn = act(heze, submit(heze), "withdraw", "ent_cao", {"reason": "已自行解决"}, at(2026, 11, 2, 11))
    closed = act(
        heze,
        case_in(heze, "replied"),
        "follow_up",
        "ent_cao",
        {"resolution": "resolved", "satisfaction": "satisfied"},
        at(2026, 11, 6),
    )
    assert sweep(at(2026, 12, 31)) == NOTHING
    assert [actions(c)[-1] for c in (withdrawn, closed)] == ["withdraw", "follow_up"]


def test_approved_extension_moves_cards_and_supervision_to_the_new_deadline(heze):
    # (An extension asked for after the deadline is refused: test_workflow_issue14.py.)
    case = case_in(heze, "in_progress")
    sweep(at(2026, 11, 20, 10, 0))  # yellow card one working day before 23 Nov 10:00
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 20, 11))
    case = act(heze, case, "approve_extension", "cao_office", {}, at(2026, 11, 20, 15))
    assert case.resolve_due_at == at(2026, 12, 2, 10) and case.card == "none" and case.escalate_at is None
    assert sweep(at(2026, 11, 27, 10, 0)) == NOTHING
    assert sweep(at(2026, 12, 1, 10, 0))["yellow_card"] == 1
    assert sweep(at(2026, 12, 2, 10, 1))["supervise"] == 1
    case = reload(case)
    assert case.supervision_count == 1 and case.escalate_at == at(2026, 12, 7, 10, 1)


def test_redo_past_its_new_deadline_is_supervised_again(heze):
    case = case_in(heze, "replied")
    act(heze, case, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "unsatisfied"}, at(2026, 11, 6))
    assert sweep(at(2026, 11, 26)) == {**NOTHING, "yellow_card": 1}  # the redo is due 27 Nov 10:00
    counts = sweep(at(2026, 11, 27, 10, 1))
    assert counts["supervise"] == 1 and reload(case).supervision_count == 2


# ---- one pass per case (issue 2: the sweep at 1,000,000 open cases) -------------------------------------------------


def test_rule_8_2_red_card_and_supervision_notice_of_one_case_in_one_pass_keep_the_chain(heze):
    """A case a working day past its deadline gets its red card and its supervision notice in one sweep, in that
    order, chained one after the other; `whistle audit verify` finds every chain intact."""
    from whistle.cases.audit import verify_chains

    case = case_in(heze, "in_progress")
    before = reload(case).event_seq
    assert sweep(at(2026, 11, 24, 10, 0)) == {**NOTHING, "red_card": 1, "supervise": 1}
    case = reload(case)
    events = list(case.events.order_by("seq"))[-2:]
    assert [(e.seq, e.action) for e in events] == [(before + 1, "red_card"), (before + 2, "supervise")]
    assert events[1].prev_hash == events[0].hash and case.last_event_hash == events[1].hash
    assert case.card == "red" and case.supervision_count == 1 and case.escalate_at == at(2026, 11, 27, 10, 0)
    assert (case.yellow_at, case.red_at, case.supervise_at) == (None, None, None)
    checked, broken = verify_chains()
    assert checked == CaseEvent.objects.count() and broken == []


def test_rule_8_2_sweep_writes_each_due_case_once_whatever_the_number_of_rules_due(heze):
    """One UPDATE for the whole batch: the cases due for two rules are not written twice."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cases = [case_in(heze, "in_progress") for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        counts = sweep(at(2026, 11, 24, 10, 0))
    assert counts == {**NOTHING, "red_card": 3, "supervise": 3}
    updates = [q for q in queries.captured_queries if 'UPDATE "cases_case"' in q["sql"]]
    assert len(updates) == 1
    assert all(reload(c).card == "red" and reload(c).supervision_count == 1 for c in cases)


def test_rule_1_sweep_takes_every_due_case_across_batches(heze, monkeypatch):
    from whistle.cases import sweeper

    monkeypatch.setattr(sweeper, "BATCH", 2)
    cases = [case_in(heze, "in_progress") for _ in range(5)]
    assert sweep(at(2026, 11, 24, 10, 0)) == {**NOTHING, "red_card": 5, "supervise": 5}
    assert sweep(at(2026, 11, 24, 10, 0)) == NOTHING
    assert {reload(c).card for c in cases} == {"red"}


def test_rule_8_2_green_channel_in_a_batch_with_other_cases_loads_the_leaders_it_needs(heze):
    city = case_in(heze, "in_progress")
    sweep(at(2026, 11, 23, 10, 1))
    sweep(at(2026, 11, 26, 10, 1))
    sweep(at(2026, 12, 3, 10, 2))  # supervised again at city level: green channel due 8 Dec 10:02
    other = case_in(heze, "in_progress")  # due 23 Nov: red card and supervision in the same batch
    counts = sweep(at(2026, 12, 8, 10, 2))
    assert counts["escalate"] == 1 and counts["red_card"] == 2  # the city case's red card (due 4 Dec) too
    assert reload(city).green_channel_leader == heze.users.cao_leader and reload(other).card == "red"


def test_rule_8_2_sweep_leaves_a_case_as_the_one_case_workflow_leaves_its_twin(heze):
    """The sweep plans with the workflow's own rows but writes in bulk: a swept case and its twin moved by
    `workflow.apply` as the system at the same moment end with the same columns and the same events."""
    from whistle.cases.sweeper import FIELDS
    from whistle.org.scopes import Actor

    swept, twin = case_in(heze, "in_progress"), case_in(heze, "in_progress")
    moment = at(2026, 11, 24, 10, 0)
    for action in ("red_card", "supervise"):
        act(heze, twin, action, Actor.system(), {}, moment)
    assert sweep(moment) == {**NOTHING, "red_card": 1, "supervise": 1}  # the twin has nothing left due

    def columns(case):
        return {
            name: value
            for name, value in Case.objects.filter(pk=case.pk).values(*FIELDS).get().items()
            if name != "last_event_hash"
        }

    def events(case):
        return list(
            CaseEvent.objects.filter(case_id=case.pk)
            .order_by("seq")
            .values_list("seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "payload")
        )

    assert columns(swept) == columns(twin) and columns(swept)["card"] == "red"
    assert events(swept) == events(twin) and [e[1] for e in events(swept)][-2:] == ["red_card", "supervise"]


def test_rule_1_sweep_writes_a_batch_chunk_by_chunk_each_case_once_chains_intact(heze, monkeypatch):
    """The batch is written in chunks (on PostgreSQL the server writes one while the next is planned): one UPDATE
    per chunk, every case written once, every chain intact."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from whistle.cases import sweeper
    from whistle.cases.audit import verify_chains

    monkeypatch.setattr(sweeper, "CHUNK", 2)
    cases = [case_in(heze, "in_progress") for _ in range(5)]
    with CaptureQueriesContext(connection) as queries:
        assert sweep(at(2026, 11, 24, 10, 0)) == {**NOTHING, "red_card": 5, "supervise": 5}
    assert len([q for q in queries.captured_queries if 'UPDATE "cases_case"' in q["sql"]]) == 3
    assert all(reload(c).card == "red" and reload(c).supervision_count == 1 for c in cases)
    checked, broken = verify_chains()
    assert checked == CaseEvent.objects.count() and broken == []
