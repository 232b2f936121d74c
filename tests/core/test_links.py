"""Links that leave the site start with WHISTLE_PUBLIC_URL, whichever host or port the request came through."""

import pytest
from django.test import Client, override_settings

from whistle.core.links import public_url

PUBLIC = "https://whistle.example.gov.cn"


def test_public_url_prefers_the_configured_address_then_the_request_then_the_demo(rf):
    request = rf.get("/", HTTP_HOST="10.0.0.5:8000")
    with override_settings(WHISTLE_PUBLIC_URL=PUBLIC):
        assert public_url("/r/abc/", request) == f"{PUBLIC}/r/abc/"
        assert public_url("/login") == f"{PUBLIC}/login"
    with override_settings(WHISTLE_PUBLIC_URL="", ALLOWED_HOSTS=["10.0.0.5"]):
        assert public_url("/r/abc/", request) == "http://10.0.0.5:8000/r/abc/"
        assert public_url("/login") == "http://127.0.0.1:8000/login"
    with pytest.raises(ValueError):
        public_url("r/abc/")


@pytest.mark.django_db
def test_open311_discovery_names_the_public_endpoint():
    with override_settings(WHISTLE_PUBLIC_URL=PUBLIC, ALLOWED_HOSTS=["internal.lan"]):
        body = Client(HTTP_HOST="internal.lan").get("/open311/v2/discovery.json").json()
    assert body["endpoints"][0]["url"] == f"{PUBLIC}/open311/v2"
