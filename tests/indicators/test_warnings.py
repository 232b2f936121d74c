"""Warning rules as data (issue 17 item 4): each rule once per lapse and never twice on rerun; the letter's answer
within working days; repeated letters → a 约谈 proposal through the accountability app with the figures attached;
the towns' rewards and penalties by a formula that is data."""

import datetime as dt

import pytest

from tests.conftest import at
from whistle.accountability.models import Proposal
from whistle.core.errors import Conflict, Forbidden, NotFound
from whistle.indicators import selectors, services, warnings
from whistle.indicators.models import Figure, FigureState, Region, Target, Warning, WarningRule

NOW = at(2026, 11, 20)


def _publish(world, indicator, region, period, **kw):
    reporter = "sthj" if indicator in ("pm25", "pm10", "so2", "no2", "o3", "co") else "tianbao"
    figure, _ = services.figure_submit(
        world.actor(reporter), indicator=indicator, region=region, period=period, now=NOW, **kw
    )
    return services.figure_review(world.actor("reviewer"), figure.pk, "approve", "核实", now=NOW)


def _only(code):
    WarningRule.objects.exclude(code=code).update(is_active=False)
    return WarningRule.objects.get(code=code)


def test_rule_below_target_two_periods_running_warns_once_per_lapse_never_twice_on_rerun(world):
    _only("econ-below-target")
    Target.objects.create(indicator=world.ind("retail"), year=2026, region=world.home, basis="growth", value=7)
    for m, v25, v26 in [(1, 10, 10.5), (2, 20, 21.0), (3, 30, 31.5)]:  # +5% each month, below the 7% target
        _publish(world, "retail", "heze", f"2025-{m:02d}", value=v25)
        _publish(world, "retail", "heze", f"2026-{m:02d}", value=v26)
    first = warnings.sweep(NOW)
    assert first["indicator_warnings"] == 1
    letter = Warning.objects.get()
    assert letter.unit == world.heze.city_zjj  # the indicator's lead unit answers for the city
    assert letter.lapse_key == "retail:heze:run:2026-01"
    assert "连续3期低于年度目标" in letter.summary or "连续2期低于年度目标" in letter.summary
    assert warnings.sweep(NOW) == {"indicator_warnings": 0, "indicator_proposals": 0}
    # The lapse goes on (a fourth month below target): still the same lapse, no second letter.
    _publish(world, "retail", "heze", "2025-04", value=40)
    _publish(world, "retail", "heze", "2026-04", value=42)
    assert warnings.sweep(NOW)["indicator_warnings"] == 0
    assert Warning.objects.count() == 1


def test_rule_rank_drop_warns_and_other_cities_get_no_letter(world):
    _only("econ-rank-drop")
    values = {"heze": (100, 110, 100, 101), "jinan": (100, 105, 100, 108), "qingdao": (100, 104, 100, 107),
              "zibo": (100, 103, 100, 106)}  # fmt: skip
    for region, (a25, a26, b25, b26) in values.items():
        _publish(world, "retail", region, "2025-01", value=a25)
        _publish(world, "retail", region, "2026-01", value=a26)
        _publish(world, "retail", region, "2025-02", value=b25 * 2)
        _publish(world, "retail", region, "2026-02", value=b26 * 2)
    assert warnings.sweep(NOW)["indicator_warnings"] == 1  # 菏泽 from 1st to 4th; the others moved up
    letter = Warning.objects.get()
    assert letter.region.code == "heze" and letter.evidence["rank"] == 4 and letter.evidence["rank_change"] == -3
    assert warnings.sweep(NOW)["indicator_warnings"] == 0


def test_rule_towns_bottom_each_month_then_repeated_letters_raise_one_talk_proposal(world):
    rule = _only("town-air-bottom")
    rule.bottom_n, rule.lookback, rule.escalate_after = 1, 2, 2
    rule.save()
    other = Region.objects.create(code="caoxian-t01", name="曹县镇01", peer_set="town", unit=world.heze.cao)
    for month in ("2026-09", "2026-10"):
        for region, pm in ((world.zhuangzhai, 80), (other, 40)):
            for code, v in {"pm25": pm, "pm10": 70, "so2": 10, "no2": 30, "o3": 120, "co": 1.0}.items():
                _publish(world, code, region.code, month, value=v)
    result = warnings.sweep(NOW)
    assert result == {"indicator_warnings": 2, "indicator_proposals": 1}  # 庄寨镇 last in September and October
    letters = list(Warning.objects.order_by("period"))
    assert [w.unit for w in letters] == [world.heze.zhuangzhai] * 2
    assert letters[0].number.startswith("菏环委预〔2026〕")
    proposal = Proposal.objects.get()
    assert proposal.action == "talk" and proposal.unit == world.heze.zhuangzhai
    assert [x["number"] for x in proposal.evidence["letters"]] == [w.number for w in letters]
    assert proposal.evidence["letters"][0]["figures"]["rank"] == 2
    assert all(w.proposal_id == proposal.pk for w in Warning.objects.all())
    assert warnings.sweep(NOW) == {"indicator_warnings": 0, "indicator_proposals": 0}
    assert Proposal.objects.count() == 1


def test_towns_rewards_and_penalties_by_the_scheme(world):
    table = [
        {"region": Region(code=f"t{i}"), "rank": r, "rank_of": 12}
        for i, r in enumerate([1, 2, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    ]
    amounts = selectors.rewards_for(world.ind("town_air_index"), table)["amounts"]
    # 日照-style default: 1st–3rd +15万, 4th–5th +10万; bottom 3 −15万, 4th–5th from the bottom −10万.
    assert amounts == {"t0": 15, "t1": 15, "t2": 15, "t3": 10, "t4": 10, "t7": -10, "t8": -10, "t9": -15, "t10": -15,
                       "t11": -15}  # fmt: skip


def test_the_responsible_unit_answers_a_letter_within_working_days_once(world):
    _only("econ-below-target")
    Target.objects.create(indicator=world.ind("retail"), year=2026, region=world.home, basis="growth", value=7)
    for m in (1, 2):
        _publish(world, "retail", "heze", f"2025-{m:02d}", value=10 * m)
        _publish(world, "retail", "heze", f"2026-{m:02d}", value=10.1 * m)
    warnings.sweep(NOW)
    letter = Warning.objects.get()
    assert letter.due_at.date() == dt.date(2026, 11, 27)  # 5 working days after Friday 20 November
    with pytest.raises(Forbidden):
        services.warning_answer(world.actor("city_office"), letter.pk, "措施")
    with pytest.raises(NotFound):
        services.warning_answer(world.actor("cao_zjj"), letter.pk, "措施")
    city_zjj = _answerer(world)
    services.warning_answer(city_zjj, letter.pk, "召开专题会议，逐项落实。", now=NOW)
    with pytest.raises(Conflict):
        services.warning_answer(city_zjj, letter.pk, "再答复一次", now=NOW)
    assert selectors.cockpit_section(world.actor("city_leader"), NOW)["answered"] == 1


def _answerer(world):
    from tests.conftest import _member
    from whistle.org.scopes import Actor

    return Actor.of(_member("city_zjj_handler", "handler", unit=world.heze.city_zjj))


def test_warning_scope_outside_is_like_missing(world):
    _only("econ-below-target")
    Target.objects.create(indicator=world.ind("retail"), year=2026, region=world.home, basis="growth", value=7)
    for m in (1, 2):
        _publish(world, "retail", "heze", f"2025-{m:02d}", value=10 * m)
        _publish(world, "retail", "heze", f"2026-{m:02d}", value=10.1 * m)
    warnings.sweep(NOW)
    letter = Warning.objects.get()
    for outsider in ("cao_leader", "cao_office", "cao_zjj", "ent_cao"):
        with pytest.raises(NotFound):
            selectors.warning_get(world.actor(outsider), letter.pk)
    assert selectors.warning_get(world.actor("city_leader"), letter.pk) == letter
    assert Figure.objects.filter(state=FigureState.APPROVED).count() == 4


def test_rule_projection_warns_before_the_year_is_missed(world):
    """Item 6: 1-6月 at last year's pace cannot reach a +20% target: the chance is low, a letter goes out in June."""
    rule = _only("econ-projection")
    Target.objects.create(indicator=world.ind("retail"), year=2026, region=world.home, basis="growth", value=20)
    for year in (2024, 2025):
        _publish(world, "retail", "heze", f"{year}-06", value=50)
        _publish(world, "retail", "heze", f"{year}-12", value=100)
    _publish(world, "retail", "heze", "2026-06", value=51)
    assert warnings.sweep(NOW)["indicator_warnings"] == 1
    letter = Warning.objects.get()
    assert letter.rule == rule and letter.lapse_key == "retail:heze:2026"
    assert letter.evidence["projection"] == 102.0 and letter.evidence["chance"] < 30
    assert "全年预计102亿元" in letter.summary and "可能性约0%" in letter.summary
    assert warnings.sweep(NOW)["indicator_warnings"] == 0
