"""Issue 13, item 13: an upload is what its bytes say it is — not what the client declared — and is stored under that
type's extension; a body past the request limit is refused from its Content-Length, before anything is spooled."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import problem, rows
from tests.cases.flow import submit
from whistle.cases.models import CaseAttachment
from whistle.core.errors import Invalid
from whistle.core.uploads import checked

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


def office(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(api, number, name, content, content_type):
    return api.client.post(
        f"/api/v1/cases/{number}/attachments",
        {"file": SimpleUploadedFile(name, content, content_type)},
        **api.headers("ent_cao", {}),
    )


def test_item_13_a_file_whose_bytes_are_not_the_declared_type_is_refused(api, heze, media):
    case = submit(heze)
    before = rows()
    for name, content, declared in [
        ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("pic.jpg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/jpeg"),
        ("report.docx", office("a.txt"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("x.pdf", b"MZ\x90\x00", "application/pdf"),
    ]:
        problem(upload(api, case.number, name, content, declared), 422, "file_type_not_allowed", "file")
    assert rows() == before and not any(media.rglob("*.*"))


def test_item_13_stored_type_and_extension_come_from_the_content(api, heze, media):
    case = submit(heze)
    assert upload(api, case.number, "../../etc/现场.php", PNG, "image/jpeg").status_code == 201
    assert (
        upload(
            api, case.number, "表格", office("[Content_Types].xml", "xl/workbook.xml"), "application/octet-stream"
        ).status_code
        == 201
    )
    assert upload(api, case.number, "scan.PDF", b"%PDF-1.7\n" + b"0" * 64, "application/pdf").status_code == 201
    stored = list(CaseAttachment.objects.order_by("pk").values_list("name", "content_type"))
    assert stored == [
        ("现场.png", "image/png"),
        ("表格.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("scan.pdf", "application/pdf"),
    ]
    for attachment in CaseAttachment.objects.all():
        assert attachment.file.name.startswith(f"cases/{case.pk}/") and ".." not in attachment.file.name


def test_item_13_open311_media_type_comes_from_its_bytes():
    """The Open311 path (open311.services._check_media) shares core.uploads.checked: its media is served publicly."""
    html = SimpleUploadedFile("x.png", b"<html></html>", "image/png")
    with pytest.raises(Invalid):
        checked(html, {"image/png", "image/jpeg"}, field="media")
    assert checked(SimpleUploadedFile("x.gif", JPEG, "image/png"), {"image/jpeg"}) == ("image/jpeg", "x.jpg")


def test_item_13_a_body_past_the_request_limit_is_413_before_it_is_read(api, heze, settings, media):
    settings.WHISTLE_REQUEST_MAX_BYTES = 1024 * 1024
    case = submit(heze)
    before = rows()
    response = upload(api, case.number, "big.jpg", JPEG + b"0" * (2 * 1024 * 1024), "image/jpeg")
    body = problem(response, 413, "request_too_large", "body")
    assert "1MB" in body["detail"] and rows() == before and not any(media.rglob("*.*"))
