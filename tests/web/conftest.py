import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from whistle.cases import services

# A 1×1 PNG: a real image, small enough to attach anywhere.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def photo(name="现场.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def signed_in(client):
    """Sign a user of the heze fixture in: `signed_in(heze.users.cao_zjj)` returns the client."""

    def sign(user):
        client.force_login(user)
        return client

    return sign


@pytest.fixture
def permit_case(heze):
    """A case of 曹县木业 about a construction permit, dispatched by the catalogue to 曹县住建局."""
    case, _ = services.case_submit(
        heze.actor("ent_cao"),
        kind="help",
        category="construction-permit",
        description="新厂房施工许可迟迟办不下来\n已提交材料两周",
        address="曹县开发区",
    )
    return case
