"""The two wire formats of GeoReport v2, from one Python value.

XML is the reference: a root element, lists as repeated child elements, no namespace, the declaration first.
JSON is its mechanical mapping (the "Spark convention"): the root wrapper is dropped, so list documents are
arrays and the others objects.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

from whistle.core.errors import Problem

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# The element name of one item in each list, as the spec's XML examples name them.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "errors": "error",
    "jurisdictions": "jurisdiction",
}
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    elif value is not None:
        element.text = _text(value)


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ET.Element(root)
        _fill(element, data)
        body = XML_DECLARATION + ET.tostring(element, encoding="unicode")
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[fmt])


def error_status(problem: Problem) -> int:
    """The spec knows three: 404 not found, 403 bad key, 400 for everything else."""
    return problem.status if problem.status in (403, 404) else 400


def render_error(fmt: str, problem: Problem) -> HttpResponse:
    """The `errors` list. The description names the parameter at fault, since the spec's error has no field."""
    description = f"{problem.field}：{problem.detail}" if problem.field else problem.detail
    return render(fmt, "errors", [{"code": problem.code, "description": description}], status=error_status(problem))
