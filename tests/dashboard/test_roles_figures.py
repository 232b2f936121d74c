"""Issue 14 — the figures every role hit: the 红榜/黑榜 split, a class for every handler, withdrawn cases, the
cockpit's periods and rates, the default month, official wording and drill-down totals."""

import datetime as dt

from whistle.dashboard import case_rollup
from whistle.dashboard.models import RankingClass
from whistle.dashboard.rankings import ranking, top_and_bottom_lists, unclassed_units
from whistle.org.models import Unit
from whistle.org.scopes import Actor

from .conftest import MARCH, make_case


def good(heze, lead, n, county=None, submitted=None):
    for _ in range(n):
        make_case(
            heze,
            lead=lead,
            county=county,
            submitted=submitted,
            contact=True,
            opinion=True,
            replied=True,
            follow=("resolved", "satisfied"),
            state="closed",
        )


def bad(heze, lead, n, county=None):
    for _ in range(n):
        make_case(
            heze,
            lead=lead,
            county=county,
            contact=False,
            opinion=False,
            follow=("unresolved", "unsatisfied"),
            state="reopened",
            reopens=1,
        )


def _rows(*scores):
    return [{"unit": f"u{i}", "score": s} for i, s in enumerate(scores)]


# ---- item 1: a unit is on one list at most, the bottom never on the red one ------------------------------------


def test_rule_8_6_worst_unit_never_on_the_red_list_when_few_units_are_ranked(heze):
    """Three county departments ranked, lists of 3: the overlap used to go to the 红榜 (the 0.0 unit with it)."""
    RankingClass.objects.filter(code="county_department").update(min_cases=2, list_length=3)
    good(heze, heze.cao_zjj, 2)
    good(heze, heze.shan_zjj, 1, county=heze.shan)
    bad(heze, heze.shan_zjj, 1, county=heze.shan)
    bad(heze, heze.cao_scjg, 2)
    case_rollup.rebuild()
    data = ranking(Actor.system(), "county_department", MARCH)
    assert [r["unit"] for r in data["rows"]] == ["caoxian-zjj", "shanxian-zjj", "caoxian-scjg"]
    assert next(r for r in data["rows"] if r["unit"] == "caoxian-scjg")["score"] == 0.0
    assert [r["unit"] for r in data["top_list"]] == ["caoxian-zjj"]
    assert [r["unit"] for r in data["bottom_list"]] == ["caoxian-scjg"]  # the middle one of three is on neither


def test_rule_8_6_red_and_black_lists_never_overlap_and_shrink_with_few_units():
    for n in range(0, 9):
        ranked = _rows(*[100 - 10 * i for i in range(n)])
        red, black = top_and_bottom_lists(ranked, 3)
        assert not {r["unit"] for r in red} & {r["unit"] for r in black}
        assert len(red) == len(black) == min(3, n // 2)
    assert top_and_bottom_lists(_rows(50.0), 3) == ([], [])  # one unit: neither best nor worst of anything
    red, black = top_and_bottom_lists(_rows(0.0, 0.0, 0.0, 0.0), 3)
    assert red == [] and black == []  # all tied: nobody to praise or blame
    red, black = top_and_bottom_lists(_rows(10.0, 0.0, 0.0, 0.0), 3)
    assert [r["unit"] for r in red] == ["u0"] and [r["unit"] for r in black] == ["u3", "u2"]


def test_rule_8_6_printed_report_puts_the_worst_unit_on_the_black_list(heze, client):
    RankingClass.objects.filter(code="county_department").update(min_cases=2, list_length=3)
    good(heze, heze.cao_zjj, 2)
    bad(heze, heze.cao_scjg, 2)
    case_rollup.rebuild()
    client.force_login(heze.users.city_office)
    html = client.get("/dashboard/report?month=2026-03").content.decode()
    section = html[html.index("县直部门") :]
    red = section[section.index("红榜：") : section.index("黑榜：")]
    black = section[section.index("黑榜：") : section.index("</div></div>")]
    assert "曹县住房和城乡建设局" in red and "曹县市场监督管理局" not in red
    assert "曹县市场监督管理局（0.0）" in black


# ---- item 2: every unit that handles cases is in a ranking class -----------------------------------------------


def test_rule_8_6_county_level_stationed_units_are_ranked_in_the_stationed_class(heze):
    power = Unit.objects.create(
        code="caoxian-power",
        name="国网曹县供电公司",
        level="county",
        kind="stationed",
        parent=heze.cao,
        county=heze.cao,
    )
    from whistle.cases.models import Category, DispatchRule

    DispatchRule.objects.create(
        category=Category.objects.create(code="power", name="用电保障"), area=heze.cao, unit=power
    )
    assert list(unclassed_units()) == []
    good(heze, power, 5)
    case_rollup.rebuild()
    data = ranking(Actor.system(), "county_stationed", MARCH)
    assert data["class_name"] == "驻菏单位/国企（县级）"
    assert [(r["unit"], r["rank"]) for r in data["rows"]] == [("caoxian-power", 1)]


def test_rule_8_6_a_handler_in_no_class_is_reported(heze):
    RankingClass.objects.filter(code="county_stationed").delete()
    power = Unit.objects.create(
        code="caoxian-power",
        name="国网曹县供电公司",
        level="county",
        kind="stationed",
        parent=heze.cao,
        county=heze.cao,
    )
    make_case(heze, lead=power)
    assert [u.code for u in unclassed_units()] == ["caoxian-power"]


# ---- item 4: withdrawn is not 已办结 --------------------------------------------------------------------------


def _this_month_page(client, user):
    from django.utils import timezone

    client.force_login(user)
    response = client.get(f"/dashboard?month={timezone.localdate():%Y-%m}")
    assert response.status_code == 200
    return response.content.decode()


def test_withdrawn_case_is_shown_as_withdrawn_and_not_counted_among_closed_cases(heze, client, settings, tmp_path):
    import re

    from whistle.cases import services

    settings.WHISTLE_TOPICS_CACHE_DIR = tmp_path / "topics"
    ent = heze.actor("ent_cao")
    kept, _ = services.case_submit(ent, kind="help", category="construction", description="厂房竣工验收排期太久")
    gone, _ = services.case_submit(ent, kind="help", category="construction", description="施工许可材料反复退回")
    services.case_transition(ent, gone.number, "withdraw", {"reason": "已自行解决"})
    case_rollup.refresh()
    html = _this_month_page(client, heze.users.city_leader)
    stats = {label: n for n, label in re.findall(r'<span class="n">([^<]+)</span>([^<]+)</a>', html)}
    assert stats["已办结"] == "0" and stats["在办"] == "1" and stats["本月受理"] == "2"
    assert re.search(r"<tr><td>已撤回</td><td><a href=\"[^\"]+\">1</a>", html)
    assert "<td>已办结</td>" not in html  # no closed case this month: the row is not shown
    client.force_login(heze.users.cao_office)
    assert "已撤回" in client.get(f"/cases/{gone.number}").content.decode()
    listed = client.get("/ledger?view=all").content.decode()
    assert re.search(rf"{gone.number}</span>.*?已撤回", listed, re.S) or "已撤回" in listed


# ---- item 11: one period per table, rates plotted, the last complete month, county-scoped lists ---------------


def test_cockpit_county_table_puts_the_months_overdue_beside_the_months_cases(heze, client, settings, tmp_path):
    """An old overdue case (last year) is in 当前超期 but not in this month's 三率·按县区 row."""
    import re

    from django.utils import timezone

    settings.WHISTLE_TOPICS_CACHE_DIR = tmp_path / "topics"
    now = timezone.now()
    make_case(heze, submitted=now - dt.timedelta(days=400), next_due_at=now - dt.timedelta(days=300))
    make_case(heze, submitted=now, next_due_at=now + dt.timedelta(days=3))
    case_rollup.rebuild()
    html = _this_month_page(client, heze.users.city_leader)
    assert re.search(r'<span class="n">1</span>当前超期', html)
    row = re.search(r"<tr><td>曹县人民政府</td>(.*?)</tr>", html).group(1)
    cells = re.findall(r"<td>(?:<a href=\"([^\"]*)\">)?(\d+)", row)
    total, open_, overdue = cells[0][1], cells[1][1], cells[2]
    assert (total, open_, overdue[1]) == ("1", "1", "0")
    assert "date_from=" in overdue[0].replace("&amp;", "&") or overdue[0] == ""


def test_default_month_of_report_rankings_and_cockpit_is_the_last_complete_month(heze, client):
    from django.utils import timezone

    from whistle.core.months import add_months, last_complete_month

    last = last_complete_month(timezone.now())
    assert last == add_months(timezone.localdate().replace(day=1), -1)
    client.force_login(heze.users.city_office)
    assert f'value="{last:%Y-%m}"' in client.get("/dashboard/rankings").content.decode()
    assert f"{last.year}年{last.month}月考核通报" in client.get("/dashboard/report").content.decode()
    client.force_login(heze.users.city_leader)
    assert f"{last.year}年{last.month}月" in client.get("/dashboard").content.decode().split("</h1>")[0]


def test_rule_8_6_county_leader_sees_the_published_county_lists(heze):
    """Both counties ranked: the county leader's 红黑榜 name the other county too (the city publishes the lists),
    while the table rows stay the leader's own county."""
    RankingClass.objects.filter(code="county").update(min_cases=2)
    good(heze, heze.cao_zjj, 2)
    bad(heze, heze.shan_zjj, 2, county=heze.shan)
    case_rollup.rebuild()
    data = ranking(heze.actor("cao_leader"), "county", MARCH)
    assert [r["unit"] for r in data["rows"]] == ["caoxian"]
    assert [r["unit"] for r in data["top_list"]] == ["caoxian"] and [r["unit"] for r in data["bottom_list"]] == [
        "shanxian"
    ]


# ---- item 15: an official report in the city's own words ----------------------------------------------------


def test_printed_report_shows_the_citys_wording_not_codes_or_research_notes(heze, client):
    import re

    from whistle.dashboard.models import MetricDefinition

    good(heze, heze.cao_zjj, 5)
    case_rollup.rebuild()
    client.force_login(heze.users.city_office)
    html = client.get("/dashboard/report?month=2026-03").content.decode()
    for leak in ("§", "榆林", "北京权重", "准格尔旗", "composite@", "on_time@", "response@"):
        assert leak not in html, leak
    assert "响应率×30% + 解决率×35% + 满意率×35%" in html  # the composite, written from its weights
    assert "（满意件 + 基本满意件）÷ 有效评价件" in html
    # The wording is data: a city writes its own and the report prints it.
    MetricDefinition.objects.filter(code="satisfaction").update(caption="企业评价满意和基本满意的占比")
    html = client.get("/dashboard/report?month=2026-03").content.decode()
    assert re.search(r"<td>满意率</td><td>企业评价满意和基本满意的占比</td><td>第1版</td>", html)
    # The research notes are still in the admin, where they belong.
    client.force_login(_superuser())
    sat = MetricDefinition.objects.get(code="satisfaction")
    assert "§8.6" in client.get(f"/admin/dashboard/metricdefinition/{sat.pk}/change/").content.decode()


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root_admin", password="x")


# ---- item 17: drill-down lists say what they explain, with a total; overdue by lateness --------------------------


def test_drill_down_list_names_the_figure_and_its_total(heze, client, settings, tmp_path):
    import re

    from django.utils import timezone

    settings.WHISTLE_TOPICS_CACHE_DIR = tmp_path / "topics"
    now = timezone.now()
    for _ in range(3):
        make_case(heze, submitted=now, state="closed", replied=True, follow=("resolved", "satisfied"))
    make_case(heze, submitted=now)
    case_rollup.rebuild()
    html = _this_month_page(client, heze.users.city_leader)
    href = re.search(r'<a href="([^"]+)"><span class="n">3</span>已办结</a>', html).group(1).replace("&amp;", "&")
    listed = client.get(href).content.decode()
    caption = re.search(r'<p class="ledger-total" role="status">(.*?)</p>', listed).group(1)
    assert re.sub(r"<[^>]+>", "", caption) == f"{now.year}年{timezone.localdate().month}月受理 · 已办结件：共 3 件"


def test_overdue_list_is_sorted_by_lateness(heze, client):
    from django.utils import timezone

    now = timezone.now()
    late = {
        days: make_case(
            heze,
            submitted=now - dt.timedelta(days=40),
            title=f"超期{days}天",
            next_due_at=now - dt.timedelta(days=days),
        )
        for days in (2, 9, 5)
    }
    make_case(heze, submitted=now, next_due_at=now + dt.timedelta(days=2), title="未到期")
    client.force_login(heze.users.cao_office)
    html = client.get("/ledger?view=overdue").content.decode()
    import re

    numbers = re.findall(r'<span class="num">(HZ\d{8})</span>', html)
    assert numbers == [late[9].number, late[5].number, late[2].number]
    assert (
        "超期 · 共 <strong>3</strong> 件，超期最久的在前" in html or "共 <strong>3</strong> 件，超期最久的在前" in html
    )


# ---- item 21: an unknown ?view= is a Chinese 400 ------------------------------------------------------------------


def test_ledger_with_an_unknown_view_answers_a_chinese_400(heze, client):
    client.force_login(heze.users.cao_office)
    response = client.get("/ledger?view=planets")
    html = response.content.decode()
    assert response.status_code == 400
    assert "筛选条件有误" in html and "列表：" in html and "planets" in html
    assert 'href="?view=overdue"' in html  # the lists one can pick instead
