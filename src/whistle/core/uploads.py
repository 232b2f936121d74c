"""What an uploaded file really is: its first bytes, not the type the client declared (issue 13, item 13).

A browser or an integration says `image/png` for whatever it sends; a page served back with that type would run an
HTML or SVG file on our origin. So each allowed type is recognised by its signature (magic bytes; for .docx/.xlsx,
the zip's own parts), the stored content type is the recognised one, and the stored name carries the extension
that type has — never the client's.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile

from .errors import Invalid

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
    "audio/mpeg": ".mp3",
    "audio/amr": ".amr",
    "audio/wav": ".wav",
    "video/mp4": ".mp4",
    DOCX: ".docx",
    XLSX: ".xlsx",
    "application/msword": ".doc",
}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_HEAD = 64
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def sniff(upload) -> str | None:
    """The allowed type the file's content shows, or None."""
    upload.seek(0)
    head = upload.read(_HEAD)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "image/heic" if head[8:12] in _HEIC_BRANDS else "video/mp4"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"  # OLE2: the old .doc (and .xls, which is not offered)
    if head.startswith(b"PK\x03\x04"):
        return _office(upload)
    return None


def _office(upload) -> str | None:
    """A .docx or .xlsx is a zip with [Content_Types].xml and word/ or xl/ parts; any other zip is not allowed."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def checked(
    upload,
    allowed,
    *,
    field: str = "file",
    message: str = "不支持的文件类型，请上传图片、PDF、音视频或Office文档",
    code: str = "file_type_not_allowed",
) -> tuple[str, str]:
    """(content type, stored name) for an upload whose content is one of the `allowed` types; else 422 on `field`."""
    content_type = sniff(upload)
    if content_type is None or content_type not in allowed:
        raise Invalid(message, code=code, field=field)
    return content_type, stored_name(upload.name, content_type)


def stored_name(name: str | None, content_type: str) -> str:
    """The client's name without its directories, control or reserved characters and extension, plus the
    extension of the recognised type (a `photo.php.png` that is a JPEG is kept as `photo.php.jpg`)."""
    base = os.path.basename(unicodedata.normalize("NFKC", (name or "").replace("\\", "/")))
    stem = _UNSAFE_NAME.sub("_", os.path.splitext(base)[0]).strip(" ._") or "file"
    extension = EXTENSIONS[content_type]
    return stem[: 120 - len(extension)] + extension
