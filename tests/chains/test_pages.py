"""The chain pages over the real HTTP stack: what each role sees and may do, refusals as people read them, and the
chain map's .xlsx round trip."""

import io
import zipfile

from tests.chains.conftest import make_project
from tests.conftest import PASSWORD
from whistle.chains import services
from whistle.chains.models import ListEntry, Node, NodeFirm, Project
from whistle.core import sheets, tables


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def _map(chains):
    office = chains.actor("chain_bio")
    api = services.node_add(office, chains.bio, name="原料药", segment="up")
    mid = services.node_add(office, chains.bio, name="医药中间体", parent=api.pk)
    services.node_add(office, chains.bio, name="制剂", segment="mid")
    services.firm_add(office, chains.bio, mid.pk, uscc=chains.ent_cao.uscc)
    services.firm_add(office, chains.bio, api.pk, name="石家庄某制药", place="石家庄")
    return api


def test_leader_sees_the_ten_chains_and_a_chain_page_without_office_forms(chains, client):
    _map(chains)
    login(client, "city_leader")
    board = client.get("/chains/").content.decode()
    assert board.count('href="/chains/') >= 10 and "生物医药" in board and "商贸物流" in board
    page = client.get("/chains/biomedicine/").content.decode()
    mid = Node.objects.get(name="医药中间体")
    link = f"/chains/biomedicine/nodes/{mid.pk}/firms"
    assert "医药中间体" in page and f'href="{link}"' in page and "企业1家（本地1家）" in page
    assert "曹县木业有限公司" not in page  # a node's firms are loaded on demand
    assert 'data-gap="制剂"' in page
    firms = client.get(link)  # without JavaScript: a page of its own
    assert (
        firms.status_code == 200 and "曹县木业有限公司" in firms.content.decode() and "<html" in firms.content.decode()
    )
    part = client.get(link + "?part=1").content.decode()  # the fragment the page loads in place
    assert part.startswith('<ul class="node-firms"') and "曹县木业有限公司" in part
    assert "添加节点" not in page and "列入招商目标" not in page  # the office's forms only
    assert client.post("/chains/biomedicine/nodes", {"name": "x", "segment": "up"}).status_code == 403


def test_a_chain_office_sees_only_its_chains_others_are_404(chains, client):
    login(client, "chain_bio")
    board = client.get("/chains/").content.decode()
    assert "生物医药" in board and "高端化工" not in board
    assert client.get("/chains/chemicals/").status_code == 404
    assert client.get("/chains/no-such/").status_code == 404
    assert client.post("/chains/chemicals/nodes", {"name": "x", "segment": "up"}).status_code == 404
    other = make_project(chains, by="chain_chem", chain=chains.chem)
    assert client.get(f"/chains/projects/{other.pk}/").status_code == 404
    assert client.get("/chains/biomedicine/").status_code == 200
    chem_node = services.node_add(chains.actor("chain_chem"), chains.chem, name="炼化", segment="up")
    services.firm_add(chains.actor("chain_chem"), chains.chem, chem_node.pk, name="某石化", place="东营")
    hidden = client.get(f"/chains/chemicals/nodes/{chem_node.pk}/firms?part=1")
    missing = client.get("/chains/chemicals/nodes/99999999/firms?part=1")
    assert hidden.status_code == missing.status_code == 404 and "某石化" not in hidden.content.decode()
    # nor through its own chain's address: a node is read only under its chain
    assert client.get(f"/chains/biomedicine/nodes/{chem_node.pk}/firms").status_code == 404
    login(client, "cao_zjj")
    assert client.get("/chains/").status_code == 403


def test_bad_input_is_a_chinese_message_a_code_and_nothing_written(chains, client):
    login(client, "chain_bio")
    response = client.post("/chains/biomedicine/nodes", {"name": "", "segment": "up"})
    assert response.status_code == 422 and "请填写节点名称" in response.content.decode()
    assert 'data-code="name_required"' in response.content.decode()
    response = client.post("/chains/biomedicine/nodes", {"name": "原料药", "segment": "sideways"})
    assert response.status_code == 422 and not Node.objects.exists()
    project = make_project(chains)
    response = client.post(f"/chains/projects/{project.pk}/advance", {"stage": "signed", "amount": "很多"})
    assert response.status_code == 422 and 'data-code="invalid_amount"' in response.content.decode()
    project.refresh_from_db()
    assert project.stage.code == "target"
    assert client.get("/chains/investment?start=2026-13-01").status_code == 422
    assert client.get("/chains/?year=10000").status_code == 422


def test_office_adds_a_target_from_a_gap_node_and_moves_it_to_signed(chains, client):
    _map(chains)
    gap = Node.objects.get(name="制剂")
    login(client, "chain_bio")
    response = client.post(
        "/chains/biomedicine/projects",
        {
            "pipeline": "investment",
            "node": gap.pk,
            "name": "高端制剂项目",
            "target_firm": "苏州某药",
            "county": "caoxian",
            "responsible_unit": "heze-gxj",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(name="高端制剂项目")
    assert project.node == gap and project.stage.code == "target"
    response = client.post(f"/chains/projects/{project.pk}/advance", {"stage": "signed", "amount": "12000"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage.code == "signed" and project.signed_on is not None
    page = client.get(f"/chains/projects/{project.pk}/").content.decode()
    assert "12000.00万元" in page and "一键转为吹哨工单" in page
    assert "纳入领导包保" not in page.split("<h1>")[1].split("</dl>")[1]  # the office cannot assign patronage
    figures = client.get("/chains/investment?chain=biomedicine").content.decode()
    assert 'data-figure="signed">1<' in figures and 'data-figure="amount">1.20<' in figures


def test_chain_map_xlsx_round_trip(chains, client):
    """Exported, the map imports into an empty chain unchanged; imported again, it adds nothing."""
    _map(chains)
    login(client, "chain_bio")
    response = client.get("/chains/biomedicine/map.xlsx")
    assert response.status_code == 200
    data = response.content
    table = next(tables.read(data, kind="xlsx"))
    assert table.header == ["环节", "节点路径", "企业名称", "统一社会信用代码", "所在地"]
    assert ["上游", "原料药/医药中间体", "曹县木业有限公司", chains.ent_cao.uscc, ""] in [v for _, v in table.rows]

    def shape(chain):
        return sorted(
            (f.node.path, f.node.name, f.node.segment, f.name, f.enterprise_id, f.place)
            for f in NodeFirm.objects.filter(node__chain=chain).select_related("node")
        ), sorted(Node.objects.filter(chain=chain).values_list("path", "name", "segment", "depth"))

    before = shape(chains.bio)
    Node.objects.filter(chain=chains.bio).delete()
    upload = io.BytesIO(data)
    upload.name = "map.xlsx"
    response = client.post("/chains/biomedicine/map/import", {"file": upload})
    assert response.status_code == 302
    assert shape(chains.bio) == before
    upload.seek(0)
    client.post("/chains/biomedicine/map/import", {"file": upload})
    assert shape(chains.bio) == before


def test_a_map_import_with_a_bad_row_names_the_row_and_keeps_the_good_ones(chains, client):
    header = ["环节", "节点路径", "企业名称", "统一社会信用代码", "所在地"]
    buffer = io.BytesIO(
        sheets.workbook([("产业链图谱", header, [["上游", "原料药", "", "", ""], ["侧游", "设备", "", "", ""]])])
    )
    buffer.name = "map.xlsx"
    login(client, "chain_bio")
    response = client.post("/chains/biomedicine/map/import", {"file": buffer})
    assert response.status_code == 422
    assert "第3行" in response.content.decode() and "环节须为上游、中游或下游" in response.content.decode()
    assert list(Node.objects.values_list("name", flat=True)) == ["原料药"]
    garbage = io.BytesIO(b"not a workbook")
    garbage.name = "x.xlsx"
    response = client.post("/chains/biomedicine/map/import", {"file": garbage})
    assert response.status_code == 422 and 'data-code="invalid_file"' in response.content.decode()


def _lists(chains, year=2026):
    office = chains.actor("chain_bio")
    mid = Node.objects.get(chain=chains.bio, name="医药中间体")
    services.entry_add(office, chains.bio, list_type="leading", year=year, name="曹县木业", uscc=chains.ent_cao.uscc)
    services.entry_add(office, chains.bio, list_type="gaps", year=year, name="高端中间体", node=mid.pk, note="补链")
    services.entry_add(office, chains.bio, list_type="policies", year=year, name='=HYPERLINK("http://x","点我")')


def test_rule_6_chain_lists_xlsx_round_trip_per_year(chains, client):
    """A year's lists exported import into an empty year unchanged (types, firms, nodes by path, notes); imported
    again they add nothing; another year is another version."""
    _map(chains)
    _lists(chains)
    login(client, "chain_bio")
    response = client.get("/chains/biomedicine/lists.xlsx?year=2026")
    assert response.status_code == 200
    data = response.content
    table = next(tables.read(data, kind="xlsx"))
    assert table.header == ["清单", "名称", "统一社会信用代码", "节点路径", "说明"]
    rows = [v for _, v in table.rows]
    assert ["补短板突破环节", "高端中间体", "", "原料药/医药中间体", "补链"] in rows

    def shape(year):
        return sorted(
            ListEntry.objects.filter(chain=chains.bio, year=year).values_list(
                "list_type__code", "name", "enterprise_id", "node_id", "note"
            )
        )

    upload = io.BytesIO(data)
    upload.name = "lists.xlsx"
    response = client.post("/chains/biomedicine/lists/import", {"file": upload, "year": "2027"})
    assert response.status_code == 200
    assert "2027年清单：新增3条，已有未变0条，退回0行" in response.content.decode()
    assert shape(2027) == shape(2026) and len(shape(2026)) == 3
    upload.seek(0)
    response = client.post("/chains/biomedicine/lists/import", {"file": upload, "year": "2027"})
    assert "新增0条，已有未变3条" in response.content.decode()
    assert shape(2027) == shape(2026)


def test_list_export_keeps_a_formula_typed_by_a_person_as_text(chains, client):
    _map(chains)
    _lists(chains)
    login(client, "city_leader")
    data = client.get("/chains/biomedicine/lists.xlsx?year=2026").content
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no cell is a formula
    names = [v[1] for _, v in next(tables.read(data, kind="xlsx")).rows]
    assert '=HYPERLINK("http://x","点我")' in names


def test_a_lists_import_reports_each_bad_row_and_keeps_the_good_ones(chains, client):
    _map(chains)
    header = ["清单", "名称", "统一社会信用代码", "节点路径", "说明"]
    rows = [
        ["龙头骨干企业", "甲药业", "", "", ""],
        ["不存在的清单", "乙", "", "", ""],
        ["gaps", "丙环节", "", "原料药/没有这个", ""],
        ["主要配套企业", "丁", "91000000000000000X", "", ""],
        ["技术攻关", "", "", "", "只有说明"],
        ["关键产品技术攻关", "戊技术", "", "原料药", ""],
    ]
    buffer = io.BytesIO(sheets.workbook([("清单", header, rows)]))
    buffer.name = "lists.xlsx"
    login(client, "chain_bio")
    response = client.post("/chains/biomedicine/lists/import", {"file": buffer, "year": "2026"})
    page = response.content.decode()
    assert response.status_code == 200 and "新增2条，已有未变0条，退回4行" in page
    for row in (3, 4, 5, 6):
        assert f'data-row="{row}"' in page
    assert "清单类型“不存在的清单”不存在" in page and "图谱中没有节点“原料药/没有这个”" in page
    assert sorted(ListEntry.objects.values_list("name", flat=True)) == ["戊技术", "甲药业"]
    report = client.get("/chains/biomedicine/lists/rejects.xlsx")
    assert [v[0] for _, v in next(tables.read(report.content, kind="xlsx")).rows] == [3, 4, 5, 6]
    # A leader reads the lists but imports none: the page offers no import, the server refuses it.
    login(client, "city_leader")
    assert 'id="lists-import"' not in client.get("/chains/biomedicine/").content.decode()
    buffer.seek(0)
    response = client.post("/chains/biomedicine/lists/import", {"file": buffer, "year": "2026"})
    assert response.status_code == 403
    assert ListEntry.objects.count() == 2


def test_a_year_starts_from_last_years_lists(chains, client):
    _map(chains)
    _lists(chains, year=2025)
    login(client, "chain_bio")
    page = client.get("/chains/biomedicine/?year=2026").content.decode()
    assert 'id="lists-copy"' in page and '<option value="2025">2025年</option>' in page
    response = client.post("/chains/biomedicine/lists/copy", {"from_year": "2025", "to_year": "2026"})
    assert response.status_code == 302
    assert ListEntry.objects.filter(year=2026).count() == 3 and ListEntry.objects.filter(year=2025).count() == 3
    response = client.post("/chains/biomedicine/lists/copy", {"from_year": "2025", "to_year": "2026"})
    assert response.status_code == 409 and 'data-code="nothing_to_copy"' in response.content.decode()
