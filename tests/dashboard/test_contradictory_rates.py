"""Issue 14 §12, rules.md §8.5: per-unit 解决/满意 totals that contradict each other are flagged on the rankings page
(满意率 above 解决率 by the rule parameter `cases.contradictory_rates_gap_pts`, 20 points by default)."""

import re

from whistle.core.models import RuleParameter
from whistle.core.rules import clear_cache
from whistle.dashboard import case_rollup as rollup

from .conftest import make_case


def _cases(heze, lead, follows):
    for follow in follows:
        make_case(heze, lead=lead, contact=True, opinion=True, replied=True, follow=follow, state="closed")


def _row(html, name):
    return re.search(rf"<td>{re.escape(name)}.*?</tr>", html, re.S).group(0)


def test_rule_8_5_unit_whose_satisfaction_far_exceeds_its_resolution_is_flagged_on_the_rankings_page(heze, client):
    # 市住建局: 1 in 6 solved, yet all satisfied (17% vs 100%); 市市场监管局: consistent answers.
    _cases(heze, heze.city_zjj, [("resolved", "satisfied")] + [("unresolved", "satisfied")] * 5)
    _cases(heze, heze.city_scjg, [("resolved", "satisfied")] * 5 + [("unresolved", "unsatisfied")])
    rollup.rebuild()
    client.force_login(heze.users.city_office)
    html = client.get("/dashboard/rankings", {"class": "city_department", "month": "2026-03"}).content.decode()
    assert "解决/满意矛盾" in _row(html, heze.city_zjj.name)
    assert "解决/满意矛盾" not in _row(html, heze.city_scjg.name)
    assert "满意率高出解决率20个百分点及以上" in html
    RuleParameter.objects.filter(key="cases.contradictory_rates_gap_pts").update(value=0)  # a city switches it off
    clear_cache()
    html = client.get("/dashboard/rankings", {"class": "city_department", "month": "2026-03"}).content.decode()
    assert "解决/满意矛盾" not in html
