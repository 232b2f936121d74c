"""The chain page's map is cached per chain, year and map version (bench/chains_bench.py): every write to the map —
a node, a firm at a node, a list entry that names a node, in bulk or through the model — bumps the version in its
own transaction, so the page right after a write shows it, never the map from before."""

import io
import re

from django.utils import timezone

from tests.chains.test_pages import login
from whistle.chains import mapcache, services
from whistle.chains.models import Chain, ListEntry, ListType, Node, NodeFirm
from whistle.core import sheets


def version(chain) -> int:
    return Chain.objects.get(pk=chain.pk).map_version


def node_line(page: str, name: str) -> str:
    found = re.search(rf'<li class="(\w+) d\d+"[^>]*><strong>{name}</strong>.*?</li>', page)
    assert found, name
    return found.group(0)


def test_the_map_is_cached_per_version_and_every_write_shows_at_once(chains, client):
    year = timezone.localdate().year
    office = chains.actor("chain_bio")
    login(client, "chain_bio")
    top = services.node_add(office, chains.bio, name="原料药", segment="up")
    page = client.get("/chains/biomedicine/").content.decode()
    assert 'class="gap ' in node_line(page, "原料药") and "暂无企业" in node_line(page, "原料药")
    held = mapcache._HELD[f"{chains.bio.pk}:{year}:{version(chains.bio)}"]
    client.get("/chains/biomedicine/")
    assert mapcache._HELD[f"{chains.bio.pk}:{year}:{version(chains.bio)}"] is held  # the next page reuses it

    # a node through the page's form
    before = version(chains.bio)
    assert client.post("/chains/biomedicine/nodes", {"name": "医药中间体", "parent": top.pk}).status_code == 302
    assert version(chains.bio) != before
    page = client.get("/chains/biomedicine/").content.decode()
    assert "医药中间体" in page and "2个节点" in page

    # a local firm at the sub-node: the sub-node covered, its parent partial
    mid = Node.objects.get(name="医药中间体")
    assert client.post("/chains/biomedicine/firms", {"node": mid.pk, "uscc": chains.ent_cao.uscc}).status_code == 302
    page = client.get("/chains/biomedicine/").content.decode()
    assert 'class="covered ' in node_line(page, "医药中间体") and "企业1家（本地1家）" in node_line(page, "医药中间体")
    assert 'class="partial ' in node_line(page, "原料药")

    # a list entry naming the node, then a year's lists carried over in bulk (no model signal)
    services.entry_add(office, chains.bio, list_type="gaps", year=year, name="高端中间体", node=mid.pk)
    assert 'data-entries="1"' in node_line(client.get("/chains/biomedicine/").content.decode(), "医药中间体")
    services.entry_add(office, chains.bio, list_type="leading", year=year - 1, name="某药业", node=mid.pk)
    services.lists_carry_over(office, chains.bio, from_year=year - 1, to_year=year)
    assert 'data-entries="2"' in node_line(client.get("/chains/biomedicine/").content.decode(), "医药中间体")

    # an import of the map
    header = ["环节", "节点路径", "企业名称", "统一社会信用代码", "所在地"]
    upload = io.BytesIO(sheets.workbook([("产业链图谱", header, [["中游", "制剂", "苏州某药", "", "苏州"]])]))
    upload.name = "map.xlsx"
    assert client.post("/chains/biomedicine/map/import", {"file": upload}).status_code == 302
    assert "企业1家（本地0家）" in node_line(client.get("/chains/biomedicine/").content.decode(), "制剂")

    # writes outside the services (the admin, a script): a firm removed, an entry moved off its node, a node deleted
    NodeFirm.objects.get(node=mid).delete()
    page = client.get("/chains/biomedicine/").content.decode()
    assert 'class="gap ' in node_line(page, "医药中间体") and 'class="gap ' in node_line(page, "原料药")
    entry = ListEntry.objects.get(year=year, list_type=ListType.objects.get(code="gaps"))
    entry.node = None
    entry.save()
    assert 'data-entries="1"' in node_line(client.get("/chains/biomedicine/").content.decode(), "医药中间体")
    Node.objects.get(name="制剂").delete()
    assert "制剂" not in client.get("/chains/biomedicine/").content.decode().split('id="map"')[1].split("</ul>")[0]


def test_a_write_to_one_chain_leaves_the_others_cached_map_alone(chains):
    services.node_add(chains.actor("chain_chem"), chains.chem, name="炼化", segment="up")
    assert version(chains.bio) == 0 and version(chains.chem) != 0
