"""Playwright: the tax bureau imports its figures (.xlsx, with a rejected row), the round is scored, an enterprise
disputes its land figure on a phone with a file, the land bureau corrects it, the round is re-scored, published
(公示) and, its period over, signed off and frozen."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser, open_as  # noqa: F401  (fixtures)
from tests.landyield.conftest import put
from whistle.core import sheets
from whistle.landyield.models import Figure, Objection, Participant, Round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_import_dispute_rescore_publish_and_freeze(ly, open_as):  # noqa: F811
    rnd = ly.round
    for i, e in enumerate(ly.firms):
        put(
            rnd,
            ly.part[e.pk],
            land_area=50,
            value_added=(i + 1) * 500,
            energy=1000,
            emissions=10,
            employees=100,
            rd_spending=10,
            sales=5000,
            electricity=800,
        )

    # 1. The tax bureau imports its column; one row names a firm outside the round and comes back.
    tax = open_as("cao_tax_user", DESKTOP)
    tax.get_by_role("link", name="亩产效益", exact=True).click()
    tax.get_by_role("link", name=str(rnd)).click()
    tax.get_by_role("link", name="导入本部门数据").click()
    rows = [[e.uscc, e.name, (i + 1) * 100] for i, e in enumerate(ly.firms)] + [["91371721MA0000000X", "外县企业", 1]]
    data = sheets.workbook([("数据", ["统一社会信用代码", "企业名称", "税收（万元）"], rows)])
    tax.set_input_files("#file", files=[{"name": "税收.xlsx", "mimeType": sheets.XLSX, "buffer": data}])
    tax.get_by_role("button", name="导入").click()
    expect(tax.get_by_text("导入6行、6个数据，退回1行")).to_be_visible()
    expect(tax.get_by_text("该企业不在本轮评价名单中")).to_be_visible()
    assert Figure.objects.filter(round=rnd, kind__code="tax").count() == 6

    # 2. The county office scores the round.
    office = open_as("cao_office", DESKTOP)
    office.goto(f"/landyield/rounds/{rnd.pk}/")
    office.get_by_role("button", name="评分").click()
    expect(office.get_by_text("评分完成")).to_be_visible()
    mine = Participant.objects.get(round=rnd, enterprise=ly.ent_cao)
    assert mine.klass == "D"

    # 3. On a phone, the enterprise disputes its land area with a file.
    ent = open_as("ent_cao", PHONE)
    ent.get_by_role("link", name="亩产效益", exact=True).click()
    expect(ent.get_by_role("heading", name="曹县木业有限公司")).to_be_visible()
    assert ent.evaluate("document.documentElement.scrollWidth") <= 375  # phone-first
    land = ent.locator("[data-kind=land_area]")
    land.get_by_text("对此数据有异议").click()
    land.get_by_label("企业认为的数值").fill("10")
    land.get_by_label("异议理由").fill("用地面积含代征道路40亩，应予扣除")
    land.locator("input[type=file]").set_input_files(
        files=[{"name": "土地证.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 land"}]
    )
    land.get_by_role("button", name="提交异议").click()
    expect(ent.get_by_text("异议已提交")).to_be_visible()
    objection = Objection.objects.get()
    assert objection.files.get().content_type == "application/pdf"

    # 4. The land bureau corrects the figure; the round must be re-scored.
    zrzy = open_as("cao_zrzy_user", DESKTOP)
    zrzy.goto(f"/landyield/objections/{objection.pk}/")
    zrzy.get_by_label("更正后的数值（维持原值请留空）").fill("10")
    zrzy.get_by_label("答复意见").fill("核实后扣除代征道路")
    zrzy.get_by_role("button", name="答复").click()
    expect(zrzy.get_by_text("已答复")).to_be_visible()

    office.reload()
    expect(office.get_by_text("数据已变更，须重新评分。")).to_be_visible()
    expect(office.get_by_role("button", name="公示（5个工作日）")).to_have_count(0)  # not offered before re-scoring
    office.get_by_role("button", name="重新评分").click()
    expect(office.get_by_text("评分完成")).to_be_visible()
    mine.refresh_from_db()
    assert mine.klass != "D"

    # 5. Published (a period already over), then signed off and frozen.
    office.get_by_label("公示开始").fill("2026-03-02")
    office.get_by_role("button", name="公示（5个工作日）").click()
    expect(office.get_by_text("已公示，截止 2026-03-06")).to_be_visible()
    office.get_by_role("button", name="审定并冻结").click()
    expect(office.get_by_text("已审定，结果已冻结")).to_be_visible()
    assert Round.objects.get(pk=rnd.pk).state == "frozen"
    expect(office.get_by_role("button", name="重新评分")).to_have_count(0)
    expect(office.get_by_role("link", name="电")).to_be_visible()  # the price lists for the utilities
