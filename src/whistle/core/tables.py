"""The one table reader of the project: every importer reads its CSV or .xlsx through here (the writer is `sheets`).

A table is a header and numbered rows, whatever the file: `read(source)` yields one `Table` per sheet of a workbook
(calamine) or the one table of a CSV. Row numbers are the ones the person sees — the line of the CSV, the row of the
sheet — so a rejects report points at the right row; blank rows are skipped but keep their numbers counted.

The header is the first row unless the caller says how to know it (`header`): published tables often put a title and
a note above it, so it is looked for among the first `header_within` rows, and the rows above it are passed over.
`max_rows` caps the rows below the header (blank ones count, as the person sees them numbered): more refuses the file
with a clear message (`Invalid`, code `too_many_rows`) before the caller has written anything, as long as the caller
reads the rows before it writes. `xlsx_upload` reads a workbook a person sent, a file that is not one refused as
`Invalid` (code `invalid_file`); `records` gives a table's rows keyed by the header's names.

CSV encodings: UTF-8 (with or without the BOM Excel writes) and GB18030 — what a Chinese Excel saves "CSV" as, and
whistle's own CSV exports — told apart by trying UTF-8 on the start of the file. Cell values come as the file holds
them (strings for CSV; numbers, dates and strings for a workbook): callers turn them into text with
`inputs.cell_text` where they need text.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import IO

from .errors import Invalid
from .inputs import cell_text

SNIFF_BYTES = 1 << 20  # how much of a CSV decides its encoding
PROGRESS_EVERY = 20_000  # rows between two calls of `progress`
HEADER_WITHIN = 10  # how far down a `header` is looked for
XLSX_SIGNATURE = b"PK\x03\x04"


class Unreadable(ValueError):
    """Not a workbook, not a CSV in a known encoding: the file as a whole is refused."""


@dataclass
class Table:
    kind: str  # "csv" (every value a string) or "xlsx" (typed cells)
    name: str  # the sheet's name; "" for a CSV
    header: list[str]  # the header row (the first, unless `read` was told how to find it), as stripped text
    rows: Iterator[tuple[int, list]]  # (row number as the person sees it, values)
    header_row: int = 1  # the header's row number as the person sees it


def read(
    source: str | os.PathLike | bytes | IO[bytes],
    *,
    kind: str | None = None,
    sheets: Callable[[list[str]], list[str]] | None = None,
    columns: tuple[str, ...] | None = None,
    progress: Callable[[int], None] | None = None,
    header: Callable[[list[str]], bool] | None = None,
    header_within: int = HEADER_WITHIN,
    max_rows: int | None = None,
) -> Iterator[Table]:
    """The tables of a file. `source`: a path, the bytes, or a binary file object. `kind`: "csv" or "xlsx" (default:
    from the path's suffix, else from the content). `sheets`: picks which sheets of a workbook to read, in order
    (default: the first). `columns`: each row becomes the tuple of these columns, found by the header's names (""
    for a column the file lacks or a row too short), in the reading loop itself — the import of millions reads so.
    `progress` is called now and then with the bytes read (CSV) or the rows read (workbook). `header`: tells the
    header row by its text, looked for among the first `header_within` rows (a sheet without one is passed over, a
    CSV without one has no table). `max_rows`: the most rows below the header (`Invalid` `too_many_rows` past it)."""
    if kind is None:
        kind = _kind(source)
    shape = _Shape(header, header_within, max_rows)
    if kind == "xlsx":
        yield from _xlsx(source, sheets, columns, progress or _ignore, shape)
    elif kind == "csv":
        table = _csv(source, columns, progress or _ignore, shape)
        if table is not None:
            yield table
    else:
        raise Unreadable("只支持 .csv 和 .xlsx 文件")


def xlsx_upload(data: bytes, **kwargs) -> Iterator[Table]:
    """The tables of a workbook a person sent (its bytes): `read` as .xlsx, a file that is not a workbook refused with
    a message for the person (`Invalid`, code `invalid_file`, field `file`)."""
    try:
        yield from read(io.BytesIO(data), kind="xlsx", **kwargs)
    except Unreadable:
        raise Invalid("无法读取文件，请上传 .xlsx 格式的工作簿", code="invalid_file", field="file") from None


def records(table: Table, rows: Iterable[tuple[int, list]] | None = None) -> list[tuple[int, dict]]:
    """[(row number, {header name: value})] of a table's rows that hold some text (a row of spaces is blank too);
    columns without a name are left out. `rows`: the table's rows already read, if they were."""
    found = []
    for number, values in table.rows if rows is None else rows:
        row = {name: value for name, value in zip(table.header, values) if name}
        if any(cell_text(value) for value in row.values()):
            found.append((number, row))
    return found


def uploaded(upload, *, max_bytes: int) -> bytes:
    """The bytes of a file a person sent to import (a Django upload), or Invalid: none chosen, or too large."""
    if upload is None:
        raise Invalid("请选择要导入的 .xlsx 文件", code="file_required", field="file")
    if upload.size > max_bytes:
        raise Invalid(f"文件不能超过{max_bytes // (1024 * 1024)}MB", code="file_too_large", field="file")
    return upload.read()


def first(source, **kwargs) -> Table:
    """The first table of a file (a CSV's, or a workbook's first sheet)."""
    for table in read(source, **kwargs):
        return table
    raise Unreadable("文件中没有工作表")


def _ignore(_position: int) -> None:
    pass


@dataclass(frozen=True)
class _Shape:
    """Where a table's header is and how many rows may follow it (`read`'s `header`, `header_within`, `max_rows`)."""

    header: Callable[[list[str]], bool] | None
    header_within: int
    max_rows: int | None

    def find_header(self, rows: Iterator, text: Callable[[list], list[str]]) -> tuple[int, list[str]] | None:
        """(row number, header text) of the header among the first rows of `rows` (consumed up to it), or None."""
        if self.header is None:
            return 1, text(list(next(rows, ())))
        for number, values in enumerate(rows, start=1):
            names = text(list(values))
            if self.header(names):
                return number, names
            if number >= self.header_within:
                break
        return None

    def last_row(self, header_row: int) -> float:
        """The number of the last row `max_rows` allows (infinity when there is no cap): the reading loops compare."""
        return math.inf if self.max_rows is None else header_row + self.max_rows

    def too_many(self, name: str) -> Invalid:
        where = f"工作表“{name}”" if name else "文件"
        return Invalid(f"{where}超过{self.max_rows}行，请分批导入", code="too_many_rows", field="file")


def _kind(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        suffix = os.path.splitext(os.fspath(source))[1].lower()
        if suffix in (".csv", ".xlsx"):
            return suffix[1:]
        with open(source, "rb") as raw:
            head = raw.read(4)
    elif isinstance(source, bytes):
        head = source[:4]
    else:
        position = source.tell()
        head = source.read(4)
        source.seek(position)
    return "xlsx" if head == XLSX_SIGNATURE else "csv"


def _binary(source) -> IO[bytes]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb")
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source


# ---- CSV --------------------------------------------------------------------------------------------------------


def encoding_of(head: bytes) -> str:
    """utf-8-sig for UTF-8 (a BOM is dropped), else gb18030. `head` is the start of the file: a multi-byte character
    cut at its end is not held against UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _picker(header: list[str], columns: tuple[str, ...] | None):
    """(pick, width, complete) for `columns`: a missing column reads as the "" appended at position `width`."""
    if columns is None:
        return None, len(header), True
    width = len(header)
    pick = itemgetter(*[header.index(name) if name in header else width for name in columns])
    return pick, width, all(name in header for name in columns)


def _csv(source, columns, progress: Callable[[int], None], shape: _Shape) -> Table | None:
    raw = _binary(source)
    start = raw.tell()
    encoding = encoding_of(raw.read(SNIFF_BYTES))
    raw.seek(start)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        found = shape.find_header(reader, lambda values: [name.strip() for name in values])
    except UnicodeDecodeError:
        raise Unreadable("无法识别文件的编码，请保存为 UTF-8 或 GB18030 编码的 CSV") from None
    if found is None:
        return None
    header_row, header = reader.line_num or 1, found[1]  # a CSV's rows are numbered by line (a cell may span lines)
    rows = _csv_rows(raw, text, reader, _picker(header, columns), progress, shape, header_row)
    return Table("csv", "", header, rows, header_row)


def _csv_rows(raw, text, reader, picker, progress, shape: _Shape, header_row: int) -> Iterator[tuple[int, list]]:
    pick, width, complete = picker
    last, cap = 0, shape.last_row(header_row)
    try:
        for values in reader:
            if reader.line_num > cap:
                raise shape.too_many("")
            if pick is not None:  # the import's hot loop: a full row costs a length check and a C-level pick
                if len(values) != width or not complete:
                    if not any(values):
                        continue
                    values = (values + [""] * width)[:width] + [""]
                yield reader.line_num, pick(values)
            elif any(values):
                yield reader.line_num, values
            if reader.line_num - last >= PROGRESS_EVERY:
                progress(raw.tell())
                last = reader.line_num
    except UnicodeDecodeError:
        raise Unreadable(f"第{reader.line_num + 1}行附近的文字无法按 {text.encoding} 读取，请检查文件编码") from None
    progress(raw.tell())


# ---- .xlsx ------------------------------------------------------------------------------------------------------


def _xlsx(source, sheets, columns, progress, shape: _Shape) -> Iterator[Table]:
    """calamine holds one sheet in memory while its rows are handed out; a sheet is bounded (1,048,576 rows)."""
    from python_calamine import CalamineWorkbook

    try:
        if isinstance(source, (str, os.PathLike)):
            book = CalamineWorkbook.from_path(os.fspath(source))
        else:
            book = CalamineWorkbook.from_filelike(_binary(source))
        names = sheets(list(book.sheet_names)) if sheets else list(book.sheet_names)[:1]
        for name in names:
            sheet = book.get_sheet_by_name(name)
            # calamine's rows start at row 1 but at the first column with data: put the cells back where the person
            # sees them (as `to_python(skip_empty_area=False)` would, without holding the sheet as Python objects).
            left = (sheet.start or (0, 0))[1]
            rows, pad = sheet.iter_rows(), [None] * left
            found = shape.find_header(rows, functools.partial(_texts, pad))
            if found is None:
                continue
            header_row, header = found
            picker = _picker(header, columns)
            body = _sheet_rows(
                rows, pad, picker, progress, header_row, shape.last_row(header_row), shape.too_many(name)
            )
            yield Table("xlsx", name, header, body, header_row)
    except (Unreadable, Invalid):
        raise
    except Exception:  # calamine raises its own error types for anything that is not a workbook
        raise Unreadable("无法读取工作簿，请使用 .xlsx 格式") from None


def _texts(pad: list, values: list) -> list[str]:
    return [cell_text(h) for h in pad + values]


def _sheet_rows(rows, pad: list, picker, progress, header_row: int, cap: float, too_many: Invalid):
    pick, width, _ = picker
    number = header_row
    for number, values in enumerate(rows, start=header_row + 1):
        if number > cap:
            raise too_many
        if number % PROGRESS_EVERY == 0:
            progress(number)
        if any(v is not None and v != "" for v in values):
            values = pad + values if pad else values
            if pick is None:
                yield number, values
            else:
                yield number, pick((values + [""] * width)[:width] + [""])
    progress(number)
