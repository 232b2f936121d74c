"""Derivations against hand-computed fixtures (issue 17 "Tests and figures"), ranks with ties (rules.md §9.1 并列),
approval before publication, versions, the implausible-jump flag."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import at
from whistle.core.errors import Forbidden, Invalid, NotFound
from whistle.indicators import derive, projection, services
from whistle.indicators.models import Figure, FigureState, Point, Target

NOW = at(2026, 11, 20)


def test_growth_single_month_ytd_share_and_composite_by_hand():
    # 1-3月 累计 30.0, 1-2月 18.5 → 3月当月 11.5; 上年同期 1-3月 27.0 → +11.111…%
    assert derive.single_from_cumulative(30.0, 18.5, first_of_year=False) == pytest.approx(11.5)
    assert derive.single_from_cumulative(10.0, None, first_of_year=True) == 10.0
    assert derive.growth_pct(30.0, 27.0) == pytest.approx(11.1111, abs=1e-4)
    assert derive.growth_pct(30.0, 0) is None
    # Flows add up, concentrations average, stocks take the latest.
    assert derive.year_to_date([40.0, 50.0, 30.0], "sum") == 120.0
    assert derive.year_to_date([40.0, 50.0, 30.0], "mean") == pytest.approx(40.0)
    assert derive.year_to_date([40.0, 50.0, 30.0], "last") == 30.0
    # 税收占比 = 4.50 / 4.92 = 91.46% (rules.md §9.1, zetdz example 91.4%)
    assert derive.share(4.50, 4.92) == pytest.approx(91.463, abs=1e-3)
    # HJ 663-2013 综合指数: 35/35 + 70/70 + 60/60 + 40/40 + 160/160 + 4/4 = 6; a missing part gives none
    spec = {"pm25": {"divisor": 35}, "pm10": {"divisor": 70}, "so2": {"divisor": 60}, "no2": {"divisor": 40},
            "o3": {"divisor": 160}, "co": {"divisor": 4}}  # fmt: skip
    full = {"pm25": 35, "pm10": 70, "so2": 60, "no2": 40, "o3": 160, "co": 4}
    assert derive.composite(full, spec) == pytest.approx(6.0)
    assert derive.composite({**full, "co": None}, spec) is None


def test_rule_9_1_equal_values_share_a_rank():
    assert derive.competition_ranks({1: 9.0, 2: 7.5, 3: 7.5, 4: 3.0}, lower_is_better=False) == {1: 1, 2: 2, 3: 2, 4: 4}
    # Air quality: lower is better, ranked ascending.
    assert derive.competition_ranks({1: 4.2, 2: 3.1, 3: 4.2}, lower_is_better=True) == {2: 1, 1: 2, 3: 2}


def _approve(world, **kw):
    figure, _ = services.figure_submit(world.actor("tianbao"), now=NOW, **kw)
    return services.figure_review(world.actor("reviewer"), figure.pk, "approve", "核实无误", now=NOW)


def test_cumulative_figures_publish_growth_single_month_target_gap_and_rank(world):
    Target.objects.create(indicator=world.ind("retail"), year=2026, region=world.home, basis="growth", value=7)
    for region, v25, v26 in [("heze", 100.0, 106.0), ("jinan", 200.0, 218.0), ("qingdao", 300.0, 318.0)]:
        _approve(world, indicator="retail", region=region, period="2025-03", value=v25)
        _approve(world, indicator="retail", region=region, period="2026-03", value=v26)
    _approve(world, indicator="retail", region="heze", period="2026-02", value=70.0)
    heze = Point.objects.get(indicator__code="retail", region__code="heze", period=dt.date(2026, 3, 1))
    assert heze.growth == Decimal("6.0000")
    assert heze.single == Decimal("36.0000")  # 106 − 70
    assert heze.gap == Decimal("-1.0000")  # 6% against the 7% target
    assert heze.below_target_run == 1
    # 济南 +9%, 青岛 +6% ties with 菏泽 +6%: 1, 2, 2
    ranks = dict(
        Point.objects.filter(indicator__code="retail", period=dt.date(2026, 3, 1)).values_list("region__code", "rank")
    )
    assert ranks == {"jinan": 1, "heze": 2, "qingdao": 2}


def test_share_is_derived_when_its_components_are_published(world):
    _approve(world, indicator="tax_revenue", region="heze", period="2026-03", value=4.50)
    _approve(world, indicator="budget_revenue", region="heze", period="2026-03", value=4.92)
    share = Point.objects.get(indicator__code="tax_share", region__code="heze", period=dt.date(2026, 3, 1))
    assert float(share.value) == pytest.approx(91.4634, abs=1e-4)
    assert share.derived


def test_a_figure_counts_only_after_approval(world):
    figure, created = services.figure_submit(
        world.actor("tianbao"), indicator="retail", region="heze", period="2026-03", value="106", now=NOW
    )
    assert created and figure.state == FigureState.PENDING
    assert not Point.objects.filter(indicator__code="retail").exists()
    services.figure_review(world.actor("reviewer"), figure.pk, "approve", now=NOW)
    assert Point.objects.get(indicator__code="retail", region__code="heze").value == Decimal("106.0000")


def test_a_revision_is_a_new_version_and_the_same_figure_again_is_not(world):
    first = _approve(world, indicator="retail", region="heze", period="2026-03", value=106)
    again, created = services.figure_submit(
        world.actor("tianbao"), indicator="retail", region="heze", period="2026-03", value="106.0", now=NOW
    )
    assert not created and again.pk == first.pk
    revised, created = services.figure_submit(
        world.actor("tianbao"), indicator="retail", region="heze", period="2026-03", value=108, now=NOW
    )
    assert created and revised.version == 2
    # Until the revision is approved, the published value is still the first version's.
    assert Point.objects.get(indicator__code="retail", region__code="heze").value == Decimal("106.0000")
    services.figure_review(world.actor("reviewer"), revised.pk, "approve", now=NOW)
    assert Point.objects.get(indicator__code="retail", region__code="heze").value == Decimal("108.0000")
    assert list(Figure.objects.filter(indicator__code="retail").values_list("version", "value")) == [
        (2, Decimal("108.0000")),
        (1, Decimal("106.0000")),
    ]


def test_reviewer_cannot_approve_own_figure_and_others_cannot_review(world):
    figure, _ = services.figure_submit(
        world.actor("reviewer"), indicator="retail", region="heze", period="2026-03", value=106, now=NOW
    )
    with pytest.raises(Forbidden):
        services.figure_review(world.actor("reviewer"), figure.pk, "approve", now=NOW)
    for outsider in ("cao_reviewer", "city_leader", "tianbao", "city_office"):
        with pytest.raises(NotFound):
            services.figure_review(world.actor(outsider), figure.pk, "approve", now=NOW)
    services.figure_review(world.actor("reviewer2"), figure.pk, "approve", now=NOW)


def test_a_unit_reports_only_its_own_series(world):
    with pytest.raises(NotFound):
        services.figure_submit(world.actor("cao_zjj"), indicator="retail", region="heze", period="2026-03", value=1)
    # The county's own figures are its reporter's.
    services.figure_submit(
        world.actor("cao_zjj"), indicator="retail", region="caoxian", period="2026-03", value=1, now=NOW
    )
    with pytest.raises(NotFound):
        services.figure_submit(world.actor("cao_zjj"), indicator="retail", region="shanxian", period="2026-03", value=1)


def test_implausible_jump_is_flagged_and_needs_a_note(world):
    _approve(world, indicator="retail", region="heze", period="2025-03", value=100)
    figure, _ = services.figure_submit(
        world.actor("tianbao"), indicator="retail", region="heze", period="2026-03", value=180, now=NOW
    )
    assert figure.jump_flag and "80.0%" in figure.jump_detail
    with pytest.raises(Invalid) as refused:
        services.figure_review(world.actor("reviewer"), figure.pk, "approve", "", now=NOW)
    assert refused.value.code == "jump_note_required"
    services.figure_review(world.actor("reviewer"), figure.pk, "approve", "已与统计局核实，新增大型商超", now=NOW)


@pytest.mark.parametrize(
    "kw, code",
    [
        ({"period": "2026-03", "value": "abc"}, "invalid_value"),
        ({"period": "2026-13", "value": 1}, "invalid_period"),
        ({"period": "2027-01", "value": 1}, "period_in_future"),
        ({"period": "2026-03"}, "value_required"),
        ({"period": "2026-03", "value": "NaN"}, "invalid_value"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_writes_nothing(world, kw, code):
    with pytest.raises(Invalid) as refused:
        services.figure_submit(world.actor("tianbao"), indicator="retail", region="heze", now=NOW, **kw)
    assert refused.value.code == code
    assert not Figure.objects.exists()


def test_year_end_projection_by_seasonal_ratio_by_hand():
    # Past years: 1-6月 was 40% and 50% of the year → ratios 2.5 and 2.0, mean 2.25; this year 1-6月 = 100 → 225.
    projection_value, spread = projection.project(100.0, [(40.0, 100.0), (50.0, 100.0)])
    assert projection_value == pytest.approx(225.0)
    assert spread == pytest.approx(35.355, abs=1e-3)  # stdev of 250 and 200
    # Chance of reaching 200 (higher is better): Φ((225 − 200)/35.355) ≈ 76%
    assert projection.chance(225.0, spread, 200.0, lower_is_better=False) == pytest.approx(76.0, abs=0.1)
    # One past year: the 3% floor on the spread.
    value, floor = projection.project(100.0, [(50.0, 100.0)])
    assert value == 200.0 and floor == pytest.approx(6.0)
