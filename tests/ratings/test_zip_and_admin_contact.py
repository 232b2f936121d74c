"""Issue 13 items 17 (zip entry names from people's text) and 5 (rater contact in the admin)."""

import io
import zipfile

import pytest

from tests.conftest import at
from whistle.core.archive import entry_name, entry_part
from whistle.ratings.models import Cadre, ContactRead
from whistle.ratings.services import rating_submit


def test_cadre_name_with_dot_dot_slash_stays_inside_its_zip_folder(client, heze, cards):
    evil = Cadre.objects.create(
        name="../../../etc/张三\x07", post="科员", unit=heze.cao_zjj, supervision_phone="0530-3212346"
    )
    client.force_login(heze.users.cao_office)
    response = client.get("/r/cards/caoxian.zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert f"曹县住房和城乡建设局/干部-______etc_张三-{evil.card_code}.svg" in names
    for name in names:
        parts = name.split("/")
        assert len(parts) == 2 and ".." not in name and "\\" not in name and not name.startswith("/"), name
        assert all(c.isprintable() for c in name), name


def test_zip_entry_names_keep_chinese_and_drop_separators_dots_and_control_characters():
    assert entry_part("曹县住房和城乡建设局") == "曹县住房和城乡建设局"
    assert entry_part("..") == "_" and entry_part("") == "未命名" and entry_part(" .隐藏") == "隐藏"
    assert entry_part("a\\b/c:d") == "a_b_c_d" and entry_part("王\x00五\n\u202e") == "王五"
    assert entry_name("某局/某科", "../x.svg") == "某局_某科/__x.svg"


@pytest.fixture
def rated(cards):
    cadre, _ = cards
    return rating_submit(
        cadre, comment="窗口让我跑了三趟", level=1, phone="13900000001", device="d1", ip="10.0.0.1", now=at(2026, 11, 3)
    )


def test_admin_cannot_filter_search_or_sort_ratings_by_rater_contact(admin_client, rated):
    listing = admin_client.get("/admin/ratings/rating/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "139****0001" not in html and rated.rater_phone_hash not in html
    for lookup in (
        f"rater_phone_hash={rated.rater_phone_hash}",
        "rater_phone_masked=139****0001",
        "rater_phone_masked__startswith=139",
        "rater_phone_hash__isnull=False",
    ):
        assert admin_client.get(f"/admin/ratings/rating/?{lookup}").status_code == 400, lookup
    assert admin_client.get("/admin/ratings/rating/?status__exact=open").status_code == 200  # other filters still work


def test_admin_rating_page_links_to_the_logged_contact_read_instead_of_showing_it(admin_client, rated):
    page = admin_client.get(f"/admin/ratings/rating/{rated.pk}/change/").content.decode()
    assert "139****0001" not in page and rated.rater_phone_hash not in page
    assert f"/r/ratings/{rated.pk}/contact" in page and "每次查看都会记录" in page
    assert not ContactRead.objects.exists()  # opening the admin page read nothing
