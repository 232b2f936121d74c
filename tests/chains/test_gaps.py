"""Gap analysis (issue 19 item 6) and a chain's health (item 7): the map read against 亩产效益 classes and 吹哨 cases."""

import datetime as dt

from tests.chains.conftest import at, make_project
from tests.conftest import PASSWORD
from tests.landyield.conftest import ly  # noqa: F401  (the fixture)
from whistle.cases.models import Case, Channel, Kind
from whistle.cases.services import case_submit
from whistle.chains import selectors, services
from whistle.chains.models import Project
from whistle.landyield.models import Participant, Round
from whistle.org.scopes import Actor

NOW = at(2026, 3, 2)


def _case(heze, enterprise, when, **closed):
    case, _ = case_submit(
        Actor.system(),
        kind=Kind.HELP,
        category="construction",
        title="用地手续",
        description="用地手续办理慢",
        channel=Channel.WEB,
        enterprise=enterprise,
        county=enterprise.county.code,
        contact_name="王经理",
        contact_phone="13905300001",
        now=when,
    )
    if closed:  # a case closed and followed up (test setup: the workflow's own tests walk it there)
        Case.objects.filter(pk=case.pk).update(is_open=False, state="closed", **closed)
    return case


def _world(chains, ly):
    """原料药 (曹县木业: D class in the approved 2025 round)
    ⊃ 医药中间体 (测试1厂: B class, 3 open cases, all overdue); 制剂 (no firm; 苏州某药 elsewhere); 包装 (no firm);
    流通 (单县食品: no class, 1 fresh open case)."""
    office = chains.actor("chain_bio")
    api = services.node_add(office, chains.bio, name="原料药", segment="up")
    mid = services.node_add(office, chains.bio, name="医药中间体", parent=api.pk)
    prep = services.node_add(office, chains.bio, name="制剂", segment="mid")
    services.node_add(office, chains.bio, name="包装", segment="down")
    trade = services.node_add(office, chains.bio, name="流通", segment="down")
    services.firm_add(office, chains.bio, api.pk, uscc=chains.ent_cao.uscc)
    services.firm_add(office, chains.bio, mid.pk, uscc=ly.firms[1].uscc)
    services.firm_add(office, chains.bio, prep.pk, name="苏州某药", place="苏州")
    services.firm_add(office, chains.bio, trade.pk, uscc=chains.ent_shan.uscc)
    Participant.objects.filter(round=ly.round, enterprise=chains.ent_cao).update(klass="D")
    Participant.objects.filter(round=ly.round, enterprise=ly.firms[1]).update(klass="B")
    Round.objects.filter(pk=ly.round.pk).update(state="frozen")
    for _ in range(3):
        _case(chains, ly.firms[1], at(2026, 1, 5))
    _case(chains, chains.ent_shan, NOW - dt.timedelta(minutes=5))
    _case(chains, chains.ent_cao, at(2025, 11, 1), satisfaction="satisfied", followed_up_at=at(2025, 11, 20))
    _case(chains, chains.ent_cao, at(2025, 12, 1), satisfaction="unsatisfied", followed_up_at=at(2025, 12, 20))
    _case(chains, chains.ent_cao, at(2024, 12, 1), satisfaction="satisfied", followed_up_at=at(2024, 12, 20))
    return prep


def test_gap_analysis_ranks_missing_links_then_d_class_then_many_open_cases(chains, ly):
    prep = _world(chains, ly)
    ranked = selectors.gap_analysis(chains.bio, NOW)
    assert [(g.node.name, [code for code, _ in g.reasons]) for g in ranked] == [
        ("制剂", ["gap"]),
        ("包装", ["gap"]),
        ("原料药", ["d_class"]),
        ("医药中间体", ["cases"]),
    ]
    assert ranked[0].target == "苏州某药" and ranked[1].target == ""
    assert ranked[2].reasons[0][1] == "本地企业1/1家为亩产效益D类"
    assert ranked[3].reasons[0][1] == "本地企业未办结诉求3件"
    # Accepted into the pipeline, 制剂 ranks after the gap nobody works on yet.
    make_project(chains, name="制剂补链项目", node=prep.pk, now=NOW)
    assert [g.node.name for g in selectors.gap_analysis(chains.bio, NOW)][:2] == ["包装", "制剂"]


def test_office_accepts_a_suggestion_into_the_pipeline_from_the_chain_page(chains, ly, client):
    prep = _world(chains, ly)
    assert client.login(username="chain_bio", password=PASSWORD)
    page = client.get(f"/chains/biomedicine/?accept={prep.pk}").content.decode()
    assert f'<option value="{prep.pk}" selected>制剂</option>' in page
    assert 'value="制剂补链项目"' in page and 'value="苏州某药"' in page
    response = client.post(
        "/chains/biomedicine/projects",
        {
            "pipeline": "investment",
            "node": prep.pk,
            "name": "制剂补链项目",
            "target_firm": "苏州某药",
            "county": "caoxian",
            "responsible_unit": "heze-gxj",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get(name="制剂补链项目").node == prep
    assert client.login(username="city_leader", password=PASSWORD)
    page = client.get("/chains/biomedicine/").content.decode()
    assert 'data-gap="制剂"' in page and "采纳" not in page and 'id="target-form"' not in page


def test_chain_health_shows_classes_cases_satisfaction_and_stages_in_one_view(chains, ly, client):
    _world(chains, ly)
    project = make_project(chains, now=NOW)
    services.project_advance(chains.actor("chain_bio"), project.pk, stage="signed", amount="20000", now=NOW)
    health = selectors.chain_health(chains.bio, NOW)
    assert health["firms"] == 3
    assert dict(health["classes"]) == {"A": 0, "B": 1, "C": 0, "D": 1, "-": 1}
    assert (health["open"], health["overdue"]) == (4, 3)
    assert (health["rated"], health["satisfaction"]) == (2, 50.0)  # the 2024 follow-up is outside 12 months
    assert [f["name"] for f in health["listed"]] == ["曹县木业有限公司", "曹县测试1厂", "单县食品有限公司"]
    signed = next(r for r in health["stages"] if r["stage"].code == "signed")
    assert signed["all"] == 1
    assert client.login(username="city_leader", password=PASSWORD)
    page = client.get("/chains/biomedicine/health").content.decode()
    assert 'data-h="open">4<' in page and 'data-class="D">1<' in page  # (the page counts to today)
    assert "D类（2025）" in page


def test_printable_chain_report_in_the_citys_wording_and_its_xlsx(chains, ly, client):
    import io
    import re
    import zipfile

    from whistle.core import tables

    _world(chains, ly)
    office = chains.actor("chain_bio")
    services.entry_add(office, chains.bio, list_type="policies", year=2026, name="=1+2")
    project = make_project(chains, name="制剂补链项目", now=at(2026, 1, 5))
    services.project_advance(office, project.pk, stage="signed", on="2026-02-02", amount="15000", now=NOW)
    services.trip_record(office, chains.bio, {"went_on": "2026-01-20", "city": "上海", "who": "市长"}, now=NOW)
    assert client.login(username="city_leader", password=PASSWORD)
    response = client.get("/chains/biomedicine/report?year=2026")
    assert response.status_code == 200
    page = response.content.decode()
    body = page.split("<h1>", 1)[1]
    assert "生物医药产业链2026年发展情况报告" in body
    assert "赴上海等地开展本产业链招商1次，新签约过亿元项目1个，总投资1.50亿元" in body
    assert "缺链节点2个" in body and "本地企业1/1家为亩产效益D类" in body
    # The city's wording only: no rule keys, codes or notes for developers.
    visible = re.sub(r"<[^>]+>", "", body)
    for word in ("chains.", "规则参数", "issue", "None", "selectors", "data-"):
        assert word not in visible, word
    assert "@media print" in page
    data = client.get("/chains/biomedicine/report.xlsx?year=2026").content
    names = [t.name for t in tables.read(data, kind="xlsx", sheets=lambda names: names)]
    assert names == ["指标", "项目", "缺链分析", "企业", "清单"]
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert not any("<f>" in book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))
    assert client.get("/chains/biomedicine/report?year=abc").status_code == 422
