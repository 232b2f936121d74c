"""The one set of input checks: a piece of text a person typed (a name, a reason, a note), a phone number, and a
spreadsheet cell read back as text. Every service and importer uses these, so one field is refused with the same
Chinese message and the same stable code wherever it arrives (a page, the API, an Excel import).

Codes are `{stem}_required`, `{stem}_too_long`, `invalid_{stem}`; the stem defaults to the field's name, and an
empty stem gives the bare `required`, `too_long`, `invalid`.
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import Invalid

# A mobile number (11 digits) or a landline (area code, number, optional extension).
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
PHONE_DETAIL = "请填写正确的手机号（11位）或固定电话（区号-号码）"
REASON_MAX = 500


def _code(stem: str, what: str) -> str:
    if not stem:
        return what
    return f"invalid_{stem}" if what == "invalid" else f"{stem}_{what}"


def text(
    value,
    field: str,
    *,
    label: str,
    limit: int,
    required: bool = True,
    code: str | None = None,
    coerce: bool = False,
) -> str:
    """Stripped text of at most `limit` characters. `coerce`: a number or date (a spreadsheet's cell) is taken as its
    text; otherwise anything but a string is refused. A NUL is refused: PostgreSQL text cannot hold it."""
    stem = field if code is None else code
    if value is None:
        value = ""
    elif not isinstance(value, str):
        if not coerce:
            raise Invalid(f"{label}须为文字", code=_code(stem, "invalid"), field=field)
        value = cell_text(value)
    value = value.strip()
    if required and not value:
        raise Invalid(f"请填写{label}", code=_code(stem, "required"), field=field)
    if len(value) > limit:
        raise Invalid(f"{label}不能超过{limit}字", code=_code(stem, "too_long"), field=field)
    if "\x00" in value:
        raise Invalid(f"{label}含有非法字符", code=_code(stem, "invalid"), field=field)
    return value


def reason(value, field: str, *, limit: int = REASON_MAX) -> str:
    """The reason a person gives for a decision or a read (申诉, 复核, 查看事由): required, codes `reason_*`."""
    return text(value, field, label="理由", limit=limit, code="reason")


def phone(value, field: str = "contact_phone") -> str:
    """A phone number without the spaces people type into it, or Invalid (`invalid_phone`)."""
    value = cell_text(value).replace(" ", "")
    if not PHONE_RE.match(value):
        raise Invalid(PHONE_DETAIL, code="invalid_phone", field=field)
    return value


def cell_text(value) -> str:
    """A spreadsheet cell or a JSON value as the text a CSV would carry: spreadsheets turn codes and phone numbers into
    floats (5.0 → "5") and dates into datetimes (a date at midnight → "2026-11-03", else ISO 8601 with a space)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
