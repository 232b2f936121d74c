"""The one table reader of the project: every importer reads its CSV or .xlsx through here (the writer is `sheets`).

A table is a header and numbered rows, whatever the file: `read(source)` yields one `Table` per sheet of a workbook
(calamine) or the one table of a CSV. Row numbers are the ones the person sees — the line of the CSV, the row of the
sheet — so a rejects report points at the right row; blank rows are skipped but keep their numbers counted.

CSV encodings: UTF-8 (with or without the BOM Excel writes) and GB18030 — what a Chinese Excel saves "CSV" as, and
whistle's own CSV exports — told apart by trying UTF-8 on the start of the file. Cell values come as the file holds
them (strings for CSV; numbers, dates and strings for a workbook): callers turn them into text with
`inputs.cell_text` where they need text.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import IO

from .errors import Invalid
from .inputs import cell_text

SNIFF_BYTES = 1 << 20  # how much of a CSV decides its encoding
PROGRESS_EVERY = 20_000  # rows between two calls of `progress`
XLSX_SIGNATURE = b"PK\x03\x04"


class Unreadable(ValueError):
    """Not a workbook, not a CSV in a known encoding: the file as a whole is refused."""


@dataclass
class Table:
    kind: str  # "csv" (every value a string) or "xlsx" (typed cells)
    name: str  # the sheet's name; "" for a CSV
    header: list[str]  # the first row, as stripped text
    rows: Iterator[tuple[int, list]]  # (row number as the person sees it, values)


def read(
    source: str | os.PathLike | bytes | IO[bytes],
    *,
    kind: str | None = None,
    sheets: Callable[[list[str]], list[str]] | None = None,
    columns: tuple[str, ...] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Table]:
    """The tables of a file. `source`: a path, the bytes, or a binary file object. `kind`: "csv" or "xlsx" (default:
    from the path's suffix, else from the content). `sheets`: picks which sheets of a workbook to read, in order
    (default: the first). `columns`: each row becomes the tuple of these columns, found by the header's names (""
    for a column the file lacks or a row too short), in the reading loop itself — the import of millions reads so.
    `progress` is called now and then with the bytes read (CSV) or the rows read (workbook)."""
    if kind is None:
        kind = _kind(source)
    if kind == "xlsx":
        yield from _xlsx(source, sheets, columns, progress or _ignore)
    elif kind == "csv":
        yield _csv(source, columns, progress or _ignore)
    else:
        raise Unreadable("只支持 .csv 和 .xlsx 文件")


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


def _csv(source, columns, progress: Callable[[int], None]) -> Table:
    raw = _binary(source)
    start = raw.tell()
    encoding = encoding_of(raw.read(SNIFF_BYTES))
    raw.seek(start)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = [name.strip() for name in next(reader, None) or ()]
    except UnicodeDecodeError:
        raise Unreadable("无法识别文件的编码，请保存为 UTF-8 或 GB18030 编码的 CSV") from None
    return Table("csv", "", header, _csv_rows(raw, text, reader, _picker(header, columns), progress))


def _csv_rows(raw, text, reader, picker, progress) -> Iterator[tuple[int, list]]:
    pick, width, complete = picker
    last = 0
    try:
        for values in reader:
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


def _xlsx(source, sheets, columns, progress) -> Iterator[Table]:
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
            header = [cell_text(h) for h in pad + list(next(rows, ()))]
            picker = _picker(header, columns)
            yield Table("xlsx", name, header, _sheet_rows(rows, pad, picker, progress))
    except Unreadable:
        raise
    except Exception:  # calamine raises its own error types for anything that is not a workbook
        raise Unreadable("无法读取工作簿，请使用 .xlsx 格式") from None


def _sheet_rows(rows, pad: list, picker, progress) -> Iterator[tuple[int, list]]:
    pick, width, _ = picker
    number = 1
    for number, values in enumerate(rows, start=2):
        if number % PROGRESS_EVERY == 0:
            progress(number)
        if any(v is not None and v != "" for v in values):
            values = pad + values if pad else values
            if pick is None:
                yield number, values
            else:
                yield number, pick((values + [""] * width)[:width] + [""])
    progress(number)
