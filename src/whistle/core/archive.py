"""Names of entries inside the .zip files we build from people's text (a cadre's name, a unit's name)."""

import re
import unicodedata

# Path separators of every system an archive is unpacked on, and what Windows refuses in a name.
_UNSAFE = re.compile(r'[/\\:*?"<>|]')


def entry_part(text: str, fallback: str = "未命名") -> str:
    """One path component: no separators, no `.`/`..`, no control or format characters, no leading dots or
    spaces; Chinese and other letters kept. A name that has nothing left becomes `fallback`."""
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(c for c in text if not unicodedata.category(c).startswith("C"))  # control, format (bidi), unassigned
    text = "".join(" " if unicodedata.category(c).startswith("Z") else c for c in text)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text)  # no `..` anywhere, so no component can climb out after a later split
    text = re.sub(r"\s+", " ", text).strip(" .")
    return text[:120] or fallback


def entry_name(*parts: str) -> str:
    """A relative entry path built from parts that are each made safe on their own."""
    return "/".join(entry_part(p) for p in parts)
