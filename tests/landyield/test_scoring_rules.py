"""Each formula and rule of domain/rules.md §5 against hand-computed fixtures (pure scoring, no database)."""

from decimal import Decimal

import pytest

from whistle.landyield import prices, scoring
from whistle.landyield.scoring import Row


def spec(indicators=None, items=None, a="20", b="75", d="5", mode="quota", cuts=None):
    return {
        "indicators": {"above": indicators or []},
        "items": items or {},
        "quota": {"cut_mode": mode, "a_max_pct": a, "b_upto_pct": b, "d_min_pct": d, "cuts": cuts or {}},
    }


def ind(code, num, den, weight, mode="fixed", value=None, factor="2", cap=None, missing="zero", scale="1"):
    return {
        "code": code,
        "name": code,
        "numerator": num,
        "denominator": den,
        "scale": scale,
        "weight": str(weight),
        "benchmark_mode": mode,
        "benchmark_value": value,
        "benchmark_factor": factor,
        "cap": cap,
        "missing": missing,
    }


def test_rule_5_weighted_score_is_sum_of_value_over_benchmark_times_weight():
    """黄岩: 亩均税收/基准×30 + 单位电耗税收/基准×50 … by hand: 20/10×30 + 0.5/1×50 = 60 + 25 = 85."""
    s = spec(
        [ind("tax_per_mu", "tax", "land_area", 30, value="10"), ind("tax_per_kwh", "tax", "electricity", 50, value="1")]
    )
    _, results = scoring.score_round(s, [Row(1, "above", {"tax": 200.0, "land_area": 10.0, "electricity": 400.0})])
    assert results[1].score == 85.0
    assert results[1].detail["scores"] == {"tax_per_mu": 60.0, "tax_per_kwh": 25.0}


def test_rule_5_benchmark_derived_as_twice_the_participants_average():
    """淮安: the benchmark is about 2× the county average. Values 10, 20, 30 → average 20 → benchmark 40;
    scores 10/40×45 = 11.25, 22.5, 33.75."""
    s = spec([ind("tax_per_mu", "tax", "land_area", 45, mode="average", factor="2")])
    rows = [Row(i, "above", {"tax": float(v), "land_area": 1.0}) for i, v in ((1, 10), (2, 20), (3, 30))]
    benchmarks, results = scoring.score_round(s, rows)
    assert benchmarks["above"]["tax_per_mu"] == 40.0
    assert [results[i].score for i in (1, 2, 3)] == [11.25, 22.5, 33.75]


def test_rule_5_missing_emission_figure_scores_the_indicator_average():
    """黄岩: a 规上 firm with no emission data gets the average score for that item; 'zero' gives nothing."""
    s = spec(
        [
            ind("va_per_emission", "va", "emissions", 10, value="10", missing="average"),
            ind("tax_per_mu", "tax", "land_area", 10, value="10"),
        ]
    )
    rows = [
        Row(1, "above", {"va": 100.0, "emissions": 10.0, "tax": 0.0, "land_area": 1.0}),
        Row(2, "above", {"va": 50.0, "emissions": 10.0, "tax": 0.0, "land_area": 1.0}),
        Row(3, "above", {"va": 80.0, "tax": 0.0, "land_area": 1.0}),
    ]
    _, results = scoring.score_round(s, rows)
    assert results[3].detail["scores"]["va_per_emission"] == 7.5  # (10 + 5) / 2
    assert results[3].detail["averaged"] == ["va_per_emission"]


def test_rule_5_cap_limits_an_indicator_to_a_multiple_of_its_benchmark():
    s = spec([ind("t", "tax", "land_area", 30, value="10", cap="1.5")])
    _, results = scoring.score_round(s, [Row(1, "above", {"tax": 100.0, "land_area": 1.0})])
    assert results[1].score == 45.0  # 10× the benchmark, capped at 1.5 × 30


def test_rule_5_bonus_and_penalty_items_add_and_subtract_points():
    s = spec(
        [ind("t", "tax", "land_area", 10, value="10")],
        {
            "hightech": {"kind": "bonus", "points": "3", "name": ""},
            "fine": {"kind": "penalty", "points": "5", "name": ""},
        },
    )
    _, results = scoring.score_round(s, [Row(1, "above", {"tax": 10.0, "land_area": 1.0}, ["hightech", "fine"])])
    assert results[1].score == 8.0  # 10 + 3 − 5


def _ranked(n, **kw):
    """n firms scoring n, n-1, … 1 (pid = score)."""
    s = spec([ind("t", "tax", None, 1, value="1")], **kw)
    rows = [Row(i, "above", {"tax": float(i)}) for i in range(1, n + 1)]
    return s, rows


def test_rule_5_quota_a_at_most_20_percent_rounds_down_and_d_at_least_5_percent_rounds_up():
    """23 firms: A = ⌊23×20%⌋ = 4, B up to ⌊23×75%⌋ = 17, D = ⌈23×5%⌉ = 2."""
    s, rows = _ranked(23)
    _, results = scoring.score_round(s, rows)
    classes = [results[i].klass for i in range(23, 0, -1)]
    assert classes == ["A"] * 4 + ["B"] * 13 + ["C"] * 4 + ["D"] * 2


def test_rule_5_a_tie_across_the_a_line_goes_down_so_a_stays_within_20_percent():
    """10 firms, A has 2 places; the 2nd and 3rd tie → only the 1st is A."""
    s = spec([ind("t", "tax", None, 1, value="1")])
    scores = [100, 90, 90, 80, 70, 60, 50, 40, 30, 20]
    rows = [Row(i + 1, "above", {"tax": float(v)}) for i, v in enumerate(scores)]
    _, results = scoring.score_round(s, rows)
    assert [results[i].klass for i in (1, 2, 3)] == ["A", "B", "B"]
    assert results[2].rank == results[3].rank == 2


def test_rule_5_a_tie_across_the_d_line_goes_in_so_d_stays_at_least_5_percent():
    """20 firms, D has ⌈1⌉ place; the last two tie → both D."""
    s = spec([ind("t", "tax", None, 1, value="1")])
    scores = list(range(100, 82, -1)) + [10, 10]
    rows = [Row(i + 1, "above", {"tax": float(v)}) for i, v in enumerate(scores)]
    _, results = scoring.score_round(s, rows)
    assert results[19].klass == results[20].klass == "D"
    assert results[18].klass == "C"


def test_rule_5_veto_bars_a_and_b():
    """一票否决: the best firm with a safety accident is C, and its A place is not refilled (A ≤ 20 %)."""
    s, rows = _ranked(10, items=None)
    s["items"] = {"safety_accident": {"kind": "veto", "points": "0", "name": "安全事故"}}
    rows[-1].items = ["safety_accident"]  # pid 10, the best
    _, results = scoring.score_round(s, rows)
    assert results[10].klass == "C"
    assert results[10].quota_klass == "A"
    assert results[9].klass == "A" and results[8].klass == "B"
    assert results[10].detail["vetoed"] is True


def test_rule_5_protected_firms_are_never_d_and_d_is_filled_from_the_others():
    """新建企业 never D: the lowest firm is protected, so the next lowest takes the D place."""
    s, rows = _ranked(20)
    s["items"] = {"new_firm": {"kind": "protection", "points": "0", "name": "新建企业"}}
    rows[0].items = ["new_firm"]  # pid 1, the lowest
    _, results = scoring.score_round(s, rows)
    assert results[1].klass == "C" and results[1].detail["protected"] is True
    assert results[2].klass == "D"


def test_rule_5_a_vetoed_firm_loses_its_protection():
    s, rows = _ranked(20)
    s["items"] = {
        "new_firm": {"kind": "protection", "points": "0", "name": ""},
        "env": {"kind": "veto", "points": "0", "name": ""},
    }
    rows[0].items = ["new_firm", "env"]
    _, results = scoring.score_round(s, rows)
    assert results[1].klass == "D"


def test_rule_5_county_cut_points_instead_of_quotas():
    s, rows = _ranked(10, mode="score", cuts={"A": "9", "B": "6", "C": "3"})
    _, results = scoring.score_round(s, rows)
    assert [results[i].klass for i in (10, 9, 8, 6, 5, 3, 2)] == ["A", "A", "B", "B", "C", "C", "D"]


def test_rule_5_groups_are_ranked_separately():
    s = spec([ind("t", "tax", None, 1, value="1")])
    s["indicators"]["below"] = [ind("t", "tax", None, 1, value="1")]
    rows = [Row(i, "above", {"tax": float(i)}) for i in range(1, 6)] + [
        Row(10 + i, "below", {"tax": float(i)}) for i in range(1, 6)
    ]
    _, results = scoring.score_round(s, rows)
    assert results[5].rank == 1 and results[15].rank == 1


def test_rule_5_same_spec_and_figures_give_the_same_result_exactly():
    s = spec([ind("t", "tax", "land_area", 30, mode="average"), ind("e", "tax", "electricity", 70, mode="average")])
    rows = [Row(i, "above", {"tax": i * 1.37, "land_area": 3.3 + i, "electricity": 7.1 * i}) for i in range(1, 200)]
    first = scoring.score_round(s, rows)
    second = scoring.score_round(s, rows)
    assert first[0] == second[0]
    assert {k: (v.score, v.klass) for k, v in first[1].items()} == {k: (v.score, v.klass) for k, v in second[1].items()}


class _S:
    def __init__(self, years, amount, klass="D"):
        self.klass, self.min_years, self.amount = klass, years, Decimal(amount)


POWER = [_S(1, "0.05"), _S(2, "0.10"), _S(3, "0.15")]


@pytest.mark.parametrize("years, amount", [(1, "0.05"), (2, "0.10"), (3, "0.15"), (4, "0.15"), (7, "0.15")])
def test_rule_5_d_class_surcharge_by_consecutive_years(years, amount):
    """Shandong 2022: +0.05 in the first year, +0.10 after 2 consecutive years, +0.15 after 3 or more."""
    assert prices.land_yield_surcharge(POWER, "D", years).amount == Decimal(amount)


def test_rule_5_surcharges_never_stack_only_the_highest_applies():
    """Three years of D (0.15) at a customer already paying a punitive 0.30: 0.30 is charged, not 0.45; with a
    tiered 0.10, the land-yield 0.15 is charged, not 0.25."""
    row = prices.land_yield_surcharge(POWER, "D", 3)
    assert prices.charged(row.amount, Decimal("0.30")) == (Decimal("0.30"), "其他差别/惩罚/阶梯加价")
    assert prices.charged(row.amount, Decimal("0.10")) == (Decimal("0.15"), "亩产效益差别化价格")
    assert prices.land_yield_surcharge(POWER, "C", 3) is None
