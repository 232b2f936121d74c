"""Item 1 of issue 4: an A6 card per cadre or window as an SVG file with the QR code to its public page, and a
unit's cards in one download."""

import io
import xml.etree.ElementTree as ET
import zipfile

from whistle.ratings.models import Cadre, Window

SVG = "{http://www.w3.org/2000/svg}"


def test_card_svg_is_a6_with_identity_duties_phone_and_qr(client, heze, cards):
    cadre, _ = cards
    cadre.service_items = "施工许可证核发 3个工作日\n竣工验收备案 1个工作日"
    cadre.save()
    client.force_login(heze.users.cao_office)
    r = client.get(f"/r/{cadre.card_code}/card.svg")
    assert r.status_code == 200 and r["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in r["Content-Disposition"]
    root = ET.fromstring(r.content)
    assert (root.get("width"), root.get("height")) == ("105mm", "148mm")
    text = "".join(root.itertext())
    for shown in (
        "张伟",
        "审批科科长",
        "曹县住房和城乡建设局",
        "（党员）",
        "负责建筑工程施工许可审批",
        "施工许可证核发 3个工作日",
        "监督电话：0530-3212345",
    ):
        assert shown in text, shown
    qr = root.find(f"{SVG}svg")
    assert qr is not None and qr.find(f"{SVG}path") is not None
    # The QR sits inside the card and below the last line of duties.
    last_line = max(float(t.get("y")) for t in root.findall(f"{SVG}text") if float(t.get("y")) < float(qr.get("y")))
    assert float(qr.get("y")) > last_line and float(qr.get("y")) + float(qr.get("height")) <= 1300


def test_long_duties_are_wrapped_and_cut(client, heze, cards):
    cadre, _ = cards
    cadre.duties = "负责" + "建筑工程施工许可审批" * 60
    cadre.save()
    client.force_login(heze.users.cao_office)
    root = ET.fromstring(client.get(f"/r/{cadre.card_code}/card.svg").content)
    lines = [t.text for t in root.findall(f"{SVG}text") if t.get("font-size") == "30"]
    assert len(lines) == 9 and lines[-1].endswith("…") and all(len(line) <= 29 for line in lines)


def test_card_file_outside_scope_or_for_handler_is_404(client, heze, cards):
    cadre, window = cards
    client.force_login(heze.users.shan_office)
    assert client.get(f"/r/{cadre.card_code}/card.svg").status_code == 404
    client.force_login(heze.users.cao_zjj)  # a handler does not print cards
    assert client.get(f"/r/{cadre.card_code}/card.svg").status_code == 404
    client.logout()
    assert client.get(f"/r/{cadre.card_code}/card.svg").status_code == 302


def test_unit_cards_zip_has_one_svg_per_active_card_of_the_subtree(client, heze, cards):
    zhao = Cadre.objects.create(name="赵敏", post="科员", unit=heze.zhuangzhai, supervision_phone="0530-3212346")
    Cadre.objects.create(
        name="停用者", post="科员", unit=heze.cao_zjj, supervision_phone="0530-3212346", is_active=False
    )
    Window.objects.create(
        name="单县窗口", hall="单县政务服务中心", unit=heze.shan_zjj, supervision_phone="0530-4000001"
    )
    client.force_login(heze.users.cao_office)
    r = client.get("/r/cards/caoxian.zip")
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    names = sorted(archive.namelist())
    assert names == sorted(
        [f"庄寨镇/干部-赵敏-{zhao.card_code}.svg", f"曹县住房和城乡建设局/干部-张伟-{cards[0].card_code}.svg"]
    )
    assert all(ET.fromstring(archive.read(n)).get("width") == "105mm" for n in names)
    assert client.get("/r/cards/shanxian.zip").status_code == 404
    assert client.get("/r/cards/nowhere.zip").status_code == 404
