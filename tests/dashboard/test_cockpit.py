"""The leader's cockpit (/dashboard): each figure equals a hand count over a small month of cases in the `heze`
fixture, and each links to a 台账 filter listing exactly the cases it counts. Scope: a county leader sees only
the county."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.utils import timezone

from whistle.cases import services
from whistle.dashboard import case_rollup

NUM = re.compile(r'<span class="num">(HZ\d{8})</span>')
STAT = re.compile(r'<a href="([^"]+)"><span class="n">([^<]+)</span>([^<]+)</a>')


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def month(heze):
    """Five cases this month. 曹县: A resolved + 满意, B 部分解决 + 基本满意 (both closed), D not routable (no unit).
    单县: C 未解决 + 不满意 (reopened and supervised), E contacted a day after its 2-hour contact deadline."""
    cao, shan = heze.actor("ent_cao"), heze.actor("ent_shan")
    a, _ = services.case_submit(cao, kind="help", category="construction", description="厂房竣工验收排期太久")
    b, _ = services.case_submit(cao, kind="help", category="construction-permit", description="施工许可材料反复退回")
    d, _ = services.case_submit(cao, kind="complaint", category="other", description="厂区门口道路破损")
    c, _ = services.case_submit(shan, kind="help", category="construction", description="施工许可审批慢")
    e, _ = services.case_submit(shan, kind="consult", category="construction", description="用电报装咨询")
    for case, ent, handler, (resolution, satisfaction) in [
        (a, cao, "cao_zjj", ("resolved", "satisfied")),
        (b, cao, "cao_zjj", ("partly", "basically_satisfied")),
        (c, shan, "shan_zjj", ("unresolved", "unsatisfied")),
    ]:
        unit = heze.actor(handler)
        for action in ("accept", "contact"):
            services.case_transition(unit, case.number, action, {})
        services.case_transition(unit, case.number, "reply", {"content": "已答复"})
        services.case_transition(
            ent, case.number, "follow_up", {"resolution": resolution, "satisfaction": satisfaction}
        )
    shan_zjj = heze.actor("shan_zjj")
    services.case_transition(shan_zjj, e.number, "accept", {})
    services.case_transition(shan_zjj, e.number, "contact", {}, now=timezone.now() + dt.timedelta(days=1))
    run_dashboard_jobs()
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def run_dashboard_jobs(now=None):
    """What the worker does every minute for this app: refresh the rollup, count the hot-topic words, warm the cockpit."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    for path in apps.get_app_config("dashboard").worker_jobs:
        import_string(path)(now or timezone.now())


def _page(client, user, query=""):
    client.force_login(user)
    if "month=" not in query:  # the page opens on the last complete month; these cases are this month's
        query = (query + "&" if query else "?") + f"month={timezone.localdate():%Y-%m}"
    response = client.get("/dashboard" + query)
    assert response.status_code == 200
    return response.content.decode()


def _stats(html):
    return {label: (href.replace("&amp;", "&"), n) for href, n, label in STAT.findall(html)}


def _listed(client, href):
    return set(NUM.findall(client.get(href).content.decode()))


def _names(month, *keys):
    return {month[k].number for k in keys}


def test_rule_8_6_cockpit_counts_and_three_rates_equal_a_hand_count(heze, client, month):
    stats = _stats(_page(client, heze.users.city_leader))
    assert {k: stats[k][1] for k in ("本月受理", "在办", "已办结", "重办")} == {
        "本月受理": "5",
        "在办": "3",
        "已办结": "2",
        "重办": "1",
    }
    assert stats["响应率"][1] == "75.0%"  # contacted in time: A, B, C of the four dispatched (E was late)
    assert stats["解决率"][1] == "50.0%"  # (A + ½·B) / A, B, C
    assert stats["满意率"][1] == "66.7%"  # A 满意 + B 基本满意 / A, B, C
    assert stats["综合得分"][1] == str(round((75 * 30 + 50 * 35 + 66.7 * 35) / 100, 1))
    assert stats["督办中"][1] == "1" and stats["提级协调中"][1] == "0"


def test_cockpit_every_count_links_to_exactly_the_cases_it_counts(heze, client, month):
    html = _page(client, heze.users.city_leader)
    stats = _stats(html)
    expected = {
        "本月受理": "ABCDE",
        "在办": "CDE",
        "已办结": "AB",
        "重办": "C",
        "督办中": "C",
        "响应率": "ABCE",
        "解决率": "ABC",
        "满意率": "ABC",
        "综合得分": "ABCDE",
    }
    for label, keys in expected.items():
        assert _listed(client, stats[label][0]) == _names(month, *keys), label
    for label in ("当前超期", "在办合计", "提级协调中", "整改工单", "已回访", "整改中", "整改超期"):
        href, n = stats[label]
        assert len(_listed(client, href)) == int(n), label


def test_cockpit_ratings_and_patronage_figures_open_the_pages_behind_them(heze, client, month):
    """Ratings are not cases: their figures open the month's 亮评价 ranking; patronage's the portfolio and coverage."""
    stats = _stats(_page(client, heze.users.city_leader))
    targets = {
        label: stats[label][0] for label in ("评价", "评价满意率", "差评", "规上企业遍访率", "包保对象", "滞后项目")
    }
    this_month = timezone.localdate().strftime("%Y-%m")
    assert targets["评价"] == targets["评价满意率"] == targets["差评"] == f"/r/ranking?month={this_month}"
    assert (
        targets["规上企业遍访率"] == "/patronage/coverage"
        and targets["包保对象"] == targets["滞后项目"] == "/patronage/"
    )
    for href in set(targets.values()):
        assert client.get(href).status_code == 200, href


def test_rule_8_6_county_rates_and_their_drills(heze, client, month):
    html = _page(client, heze.users.city_leader)
    tiles = dict(re.findall(r'<li class="tile" data-code="(\w+)"(.*?)</li>', html, re.S))
    assert set(tiles) == {"caoxian", "shanxian"}
    cao, shan = tiles["caoxian"], tiles["shanxian"]
    assert 'data-response="100.0"' in cao and 'data-resolution="75.0"' in cao and 'data-satisfaction="100.0"' in cao
    assert 'data-response="50.0"' in shan and 'data-resolution="0.0"' in shan and 'data-satisfaction="0.0"' in shan
    # The tile opens the cases behind the county's satisfaction rate: the county's rated follow-ups.
    href = re.search(r'<a href="([^"]+)" aria-label="单县人民政府 满意率"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlparse(href).query)["county"] == ["shanxian"]
    assert _listed(client, href) == _names(month, "C")
    href = re.search(r'<a href="([^"]+)" aria-label="曹县人民政府 满意率"', html).group(1).replace("&amp;", "&")
    assert _listed(client, href) == _names(month, "A", "B")
    # Every rate cell of the county table links to its denominator's cases.
    cells = re.findall(r'<a href="([^"]+)" data-rate="(\w+)" data-county="(\w+)">', html)
    denominators = {
        ("caoxian", "response"): "AB",
        ("caoxian", "resolution"): "AB",
        ("caoxian", "satisfaction"): "AB",
        ("shanxian", "response"): "CE",
        ("shanxian", "resolution"): "C",
        ("shanxian", "satisfaction"): "C",
        ("caoxian", "composite"): "ABD",
        ("shanxian", "composite"): "CE",
    }
    assert {(c, r) for _, r, c in cells} == set(denominators)
    for href, rate, county in cells:
        assert _listed(client, href.replace("&amp;", "&")) == _names(month, *denominators[(county, rate)]), (
            county,
            rate,
        )


def test_cockpit_rates_by_unit_link_to_the_units_cases(heze, client, month):
    html = _page(client, heze.users.city_leader)
    row = re.search(
        r"<tr><td>单县住房和城乡建设局</td><td><a href=\"([^\"]+)\">(\d+)</a></td><td>(\d+)</td>"
        r"<td><a href=\"([^\"]+)\">(\d+)</a>",
        html,
    )
    assert row.group(2) == "2" and row.group(3) == "2"  # C (reopened) and E, both open
    assert _listed(client, row.group(1).replace("&amp;", "&")) == _names(month, "C", "E")
    # Its overdue figure (now, from the rollup) links to the unit's open cases past their deadline.
    assert len(_listed(client, row.group(4).replace("&amp;", "&"))) == int(row.group(5))


def test_cockpit_trend_this_month_and_the_states(heze, client, month):
    from whistle.dashboard.cockpit import page as dashboard

    data = dashboard(heze.actor("city_leader"))
    assert len(data["trend"]) == 12 and data["trend"][-1]["total"] == 5 and data["trend"][-1]["closed"] == 2
    assert sum(t["total"] for t in data["trend"][:-1]) == 0
    states = {s["code"]: s["value"] for s in data["states"] if s["value"]}
    assert states == {"closed": 2, "reopened": 1, "submitted": 1, "contacted": 1}
    client.force_login(heze.users.city_leader)
    for s in data["states"]:
        if s["value"]:
            assert len(_listed(client, s["url"])) == s["value"], s["code"]


def test_cockpit_scope_a_county_leader_sees_only_the_county(heze, client, month):
    html = _page(client, heze.users.cao_leader)
    stats = _stats(html)
    assert stats["本月受理"][1] == "3" and stats["满意率"][1] == "100.0%"
    assert "单县" not in html
    assert re.findall(r'<li class="tile" data-code="(\w+)"', html) == ["caoxian"]
    assert _listed(client, stats["本月受理"][0]) == _names(month, "A", "B", "D")


def test_rule_4_red_and_black_lists_need_the_minimum_sample(heze, client, month):
    html = _page(client, heze.users.city_leader)
    section = html[html.index('id="rank-h"') : html.index('id="rate-h"')]
    assert "红榜" in section and "黑榜" in section and "样本不足，暂不排名" in section  # 3 and 2 cases < 10


def test_cockpit_shows_hot_topics_with_links(heze, client, month):
    html = _page(client, heze.users.city_leader)
    section = html[html.index('id="topic-h"') :]
    assert "施工许可" in section
    href = (
        re.search(r'<a href="([^"]+)">施工许可</a> <span class="count">2</span>', section)
        .group(1)
        .replace("&amp;", "&")
    )
    assert _listed(client, href) == _names(month, "B", "C")


def test_cockpit_hot_topics_are_kept_for_a_department_leaders_scope_too(heze, month):
    """The worker tokenises the scopes the cockpit is warmed for — every active leader's unit, not only counties."""
    from django.contrib.auth import get_user_model

    from whistle.dashboard import topics
    from whistle.org.models import Membership, Role
    from whistle.org.scopes import Actor

    user = get_user_model().objects.create_user("cao_zjj_leader", password="x")
    Membership.objects.create(user=user, role=Role.LEADER, unit=heze.cao_zjj)
    actor = Actor.of(user)
    assert topics.scope_key(actor) in {topics.scope_key(a) for a in topics.active_scopes()}
    topics.refresh_topics(timezone.now())
    found = topics.hot_topics(actor, timezone.localdate().replace(day=1), compute=0)
    assert found["docs"] == 2 and {c["name"] for c in found["categories"]}  # 曹县住建局 leads A and B


def test_cockpit_other_month_and_bad_month(heze, client, month):
    html = _page(client, heze.users.city_leader, "?month=2020-01")
    assert "2020年1月" in html and _stats(html)["受理"][1] == "0"
    assert "本月受理" in _page(client, heze.users.city_leader, "?month=garbage")


def test_cockpit_cached_figures_follow_a_new_case(heze, client, month):
    assert _stats(_page(client, heze.users.city_leader))["本月受理"][1] == "5"
    services.case_submit(heze.actor("ent_cao"), kind="help", category="construction", description="又一件")
    case_rollup.refresh()
    assert _stats(_page(client, heze.users.city_leader))["本月受理"][1] == "6"


def test_cockpit_roles(heze, client, month):
    for user in (heze.users.city_office, heze.users.cao_office, heze.users.auditor):
        _page(client, user)
    client.force_login(heze.users.cao_zjj)
    assert client.get("/dashboard").status_code == 403
    client.force_login(heze.users.ent_cao)
    assert client.get("/dashboard").status_code == 403


def test_rule_4_cockpit_response_rate_leaves_out_a_case_not_yet_due(heze, client, month):
    """F is dispatched but not contacted, its contact deadline still ahead: pending, neither on time nor late."""
    f, _ = services.case_submit(heze.actor("ent_cao"), kind="help", category="construction", description="刚派出的工单")
    assert f.contact_due_at > timezone.now() and f.contacted_at is None
    run_dashboard_jobs()
    stats = _stats(_page(client, heze.users.city_leader))
    assert stats["本月受理"][1] == "6"
    assert stats["响应率"][1] == "75.0%"  # still A, B, C of A, B, C, E
    assert _listed(client, stats["响应率"][0]) == _names(month, *"ABCE")


def test_cockpit_worker_job_stores_each_active_scopes_page_under_a_key_that_outlives_the_minute(heze, client, month):
    from whistle.dashboard import cockpit
    from whistle.dashboard.cockpit import page as dashboard
    from whistle.dashboard.models import RollupState

    scopes = {a.scope_root.code if a.scope_root else "all" for a in cockpit.active_scopes()}
    assert {"all", "caoxian"} <= scopes  # the city (auditor, city office, city leader) and 曹县 (its leader and office)
    cockpit.store().clear()  # the fixture's worker run stored them already
    t = timezone.now()
    assert cockpit.warm(t)["cockpit_scopes_warmed"] == 2 * len(scopes)  # the last complete month and this one
    for user in ("city_leader", "cao_leader", "cao_office", "auditor"):
        assert dashboard(heze.actor(user), now=t)["computed_at"] == t, user  # read, not recomputed
    # Any time later, with no change to the scope's rollup rows, the stored page still serves (no clock in its key
    # nor in its stamp): its figures are the rollup's, as of the measuring moment it shows.
    later = t + dt.timedelta(seconds=cockpit.MAX_AGE_SECONDS * 10)
    assert dashboard(heze.actor("city_leader"), now=later)["computed_at"] == t
    # The page names the rollup's measuring moment its figures are as of.
    checked_at = RollupState.objects.get().checked_at
    assert dashboard(heze.actor("city_leader"), now=t)["as_of"] == checked_at
    html = _page(client, heze.users.city_leader)
    assert "数据截至" in html and timezone.localtime(checked_at).strftime("%H:%M") in html


def test_cockpit_a_refresh_that_changed_the_rollup_makes_the_next_request_recompute(heze, month):
    from whistle.dashboard import cockpit
    from whistle.dashboard.cockpit import page as dashboard

    t = timezone.now()
    cockpit.warm(t)
    assert dashboard(heze.actor("city_leader"), now=t)["totals"]["cases"] == 5
    services.case_submit(heze.actor("ent_shan"), kind="help", category="construction", description="又一件")
    assert dashboard(heze.actor("city_leader"), now=t)["totals"]["cases"] == 5  # the rollup has not seen it yet
    case_rollup.refresh()
    data = dashboard(heze.actor("city_leader"), now=t)
    assert data["totals"]["cases"] == 6 and data["computed_at"] == t


def test_cockpit_warm_job_leaves_a_page_alone_while_refreshes_change_nothing(heze, month):
    """A refresh that changed no rollup rows only moves the measuring moment: the stored pages stay valid, the warm
    job recomputes nothing and the page shows the new moment, however long it stays so."""
    from whistle.dashboard import cockpit
    from whistle.dashboard.cockpit import page as dashboard
    from whistle.dashboard.models import RollupState

    cockpit.store().clear()
    t = timezone.now()
    scopes = len(cockpit.active_scopes())
    assert cockpit.warm(t)["cockpit_scopes_warmed"] == 2 * scopes  # the last complete month and this one
    later = t + dt.timedelta(minutes=1)
    case_rollup.refresh(later)
    assert cockpit.warm(later)["cockpit_scopes_warmed"] == 0
    data = dashboard(heze.actor("city_leader"), now=later)
    assert data["computed_at"] == t and data["as_of"] == RollupState.objects.get().checked_at == later
    renew = t + dt.timedelta(seconds=cockpit.MAX_AGE_SECONDS * 2)
    assert cockpit.warm(renew)["cockpit_scopes_warmed"] == 0


def test_rule_21_5_cockpit_re_renders_only_the_scopes_whose_rollup_groups_changed(heze, month):
    """Issue 21 item 5: a scope is a unit subtree; after a refresh that changed groups of 单县 only, the warm job
    re-renders the city's pages and those of the scopes containing 单县, not 曹县's, and 曹县's stored page is still
    the one its leader is served."""
    from whistle.dashboard import cockpit
    from whistle.dashboard.cockpit import page as dashboard
    from whistle.org.scopes import Actor

    cockpit.store().clear()
    t = timezone.now()
    actors = cockpit.active_scopes()
    cockpit.warm(t)
    shan_scopes = [a for a in actors if a.scope_root is None or a.covers(heze.shan)]  # None: the auditor's "all"
    assert 2 <= len(shan_scopes) < len(actors)
    assert any(a.scope_root.code == "caoxian" for a in actors if a.scope_root is not None and not a.covers(heze.shan))
    services.case_submit(heze.actor("ent_shan"), kind="help", category="construction", description="单县又一件")
    later = t + dt.timedelta(seconds=1)
    result = case_rollup.refresh(later)
    assert result["metrics_groups_changed"] >= 1
    # The city (auditor, city leader: scope "all") and each scope containing 单县, two months each; 曹县 not.
    assert cockpit.warm(later)["cockpit_scopes_warmed"] == 2 * len(shan_scopes)
    assert dashboard(heze.actor("cao_leader"), now=later)["computed_at"] == t
    assert dashboard(heze.actor("city_leader"), now=later)["computed_at"] == later
    assert dashboard(heze.actor("city_leader"), now=later)["totals"]["cases"] == 6
    # A stamp is the newest change in the subtree: 曹县's did not move, the city's did.
    assert cockpit.scope_stamp(heze.actor("cao_leader"))[1] != later
    assert cockpit.scope_stamp(Actor.system())[1] == later
