"""The one table reader (core/tables.py): CSV in UTF-8 (with or without Excel's BOM) or GB18030, and .xlsx sheets,
with the row numbers a person sees, for every importer."""

import codecs
import datetime as dt
import io

import pytest
import xlsxwriter

from whistle.core import inputs, tables
from whistle.core.errors import Invalid

ROWS = [
    ["编号", "名称", "电话"],
    ["1", "菏泽市政务服务中心", "0530-5310001"],
    ["", "", ""],
    ["2", "曹县𠀾镇", "13900000001"],
]


def csv_bytes(encoding: str, bom: bool = False) -> bytes:
    text = "\r\n".join(",".join(row) for row in ROWS) + "\r\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


@pytest.mark.parametrize(
    "data", [csv_bytes("utf-8"), csv_bytes("utf-8", bom=True), csv_bytes("gb18030")], ids=["utf-8", "bom", "gb18030"]
)
def test_csv_in_utf8_or_gb18030_reads_the_same_with_its_line_numbers(data):
    table = tables.first(data)
    assert (table.kind, table.header) == ("csv", ["编号", "名称", "电话"])
    assert list(table.rows) == [(2, ["1", "菏泽市政务服务中心", "0530-5310001"]), (4, ["2", "曹县𠀾镇", "13900000001"])]


def test_a_csv_in_neither_encoding_is_refused_whole():
    with pytest.raises(tables.Unreadable):
        table = tables.first(b"\xff\xfe\xfd,\x81\x30\n" * 3, kind="csv")
        list(table.rows)


def workbook(first_row: int = 0, first_col: int = 0) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet("说明").write(0, 0, "不是数据")
    sheet = book.add_worksheet("名单")
    sheet.write_row(first_row, first_col, ["编号", "日期", "电话"])
    day, moment = book.add_format({"num_format": "yyyy-mm-dd"}), book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(first_row + 1, first_col, [1, None, 13900000001])
    sheet.write_datetime(first_row + 1, first_col + 1, dt.datetime(2026, 11, 3), day)
    sheet.write_row(first_row + 3, first_col, [2.0, None, "0530-5310001"])
    sheet.write_datetime(first_row + 3, first_col + 1, dt.datetime(2026, 11, 3, 9, 30), moment)
    book.close()
    return out.getvalue()


def test_xlsx_sheets_are_picked_by_name_and_rows_keep_the_numbers_excel_shows():
    (table,) = tables.read(workbook(), sheets=lambda names: [n for n in names if n == "名单"])
    assert (table.kind, table.name, table.header) == ("xlsx", "名单", ["编号", "日期", "电话"])
    rows = [(n, [inputs.cell_text(v) for v in values]) for n, values in table.rows]
    assert rows == [(2, ["1", "2026-11-03", "13900000001"]), (4, ["2", "2026-11-03 09:30:00", "0530-5310001"])]


def test_xlsx_data_that_starts_lower_or_further_right_stays_where_the_person_sees_it():
    table = tables.first(workbook(first_col=1), sheets=lambda names: ["名单"])
    assert table.header == ["", "编号", "日期", "电话"]
    assert [n for n, _ in table.rows] == [2, 4]
    table = tables.first(workbook(first_row=2), sheets=lambda names: ["名单"])
    assert table.header == ["", "", ""]  # row 1 is empty: the header is not where an importer looks for it
    assert [n for n, _ in table.rows] == [3, 4, 6]


def test_a_file_that_is_not_a_workbook_is_refused_whole():
    with pytest.raises(tables.Unreadable):
        list(tables.read(b"not a workbook", kind="xlsx"))
    with pytest.raises(Invalid) as refused:  # what a person who sent it reads
        list(tables.xlsx_upload(b"not a workbook"))
    assert (refused.value.code, refused.value.field) == ("invalid_file", "file")
    assert "无法读取文件" in refused.value.detail


def titled_workbook(rows: int) -> bytes:
    """A published table: a title and a note above the header (row 3), `rows` rows below it, the second one blank."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("清单")
    sheet.write(0, 0, "菏泽市市场监管领域轻微违法行为不予处罚清单")
    sheet.write(1, 0, "（2026年版）")
    sheet.write_row(2, 0, ["序号", "违法行为"])
    for i in range(rows):
        if i != 1:
            sheet.write_row(3 + i, 0, [i + 1, f"情形{i + 1}"])
    book.close()
    return out.getvalue()


def is_list_header(row: list[str]) -> bool:
    return "序号" in row


def test_a_header_below_title_rows_is_found_and_rows_keep_the_numbers_excel_shows():
    table = tables.first(titled_workbook(3), header=is_list_header)
    assert (table.header, table.header_row) == (["序号", "违法行为"], 3)
    assert tables.records(table) == [(4, {"序号": 1.0, "违法行为": "情形1"}), (6, {"序号": 3.0, "违法行为": "情形3"})]
    # Not among the rows it is looked for in: the sheet has no such table.
    assert list(tables.read(titled_workbook(3), header=is_list_header, header_within=2)) == []


def test_a_csv_header_below_a_title_line_is_found_too():
    data = "投诉登记表\r\n编号,名称\r\n1,甲\r\n".encode("gb18030")
    table = tables.first(data, header=lambda row: "编号" in row)
    assert (table.header, table.header_row, list(table.rows)) == (["编号", "名称"], 2, [(3, ["1", "甲"])])


def test_more_rows_than_the_cap_refuse_the_file_with_a_clear_message():
    (table,) = tables.xlsx_upload(titled_workbook(5), header=is_list_header, max_rows=5)
    assert len(list(table.rows)) == 4  # five rows below the header, one of them blank: at the cap, read
    (table,) = tables.xlsx_upload(titled_workbook(6), header=is_list_header, max_rows=5)
    with pytest.raises(Invalid) as refused:
        list(table.rows)
    assert (refused.value.code, refused.value.field) == ("too_many_rows", "file")
    assert refused.value.detail == "工作表“清单”超过5行，请分批导入"
    table = tables.first(csv_bytes("utf-8"), max_rows=2)
    with pytest.raises(Invalid) as refused:
        list(table.rows)
    assert refused.value.detail == "文件超过2行，请分批导入"


def test_records_key_rows_by_the_header_and_pass_over_blank_ones():
    table = tables.first("名称,,备注\r\n甲,x,\r\n  , ,  \r\n".encode(), kind="csv")
    assert tables.records(table) == [(2, {"名称": "甲", "备注": ""})]


def test_input_checks_give_one_message_and_code_wherever_the_field_arrives():
    with pytest.raises(inputs.Invalid) as refused:
        inputs.reason("  ", "review_reason")
    assert (refused.value.detail, refused.value.code, refused.value.field) == (
        "请填写理由",
        "reason_required",
        "review_reason",
    )
    with pytest.raises(inputs.Invalid) as refused:
        inputs.text("x" * 31, "name", label="姓名", limit=30, code="")
    assert (refused.value.detail, refused.value.code) == ("姓名不能超过30字", "too_long")
    with pytest.raises(inputs.Invalid) as refused:
        inputs.text(["a list"], "outcome", label="结果", limit=10)
    assert refused.value.code == "invalid_outcome"
    assert inputs.phone(" 139 0000 0001 ") == "13900000001" and inputs.phone(13900000001.0) == "13900000001"
    with pytest.raises(inputs.Invalid) as refused:
        inputs.phone("12345")
    assert refused.value.code == "invalid_phone"
