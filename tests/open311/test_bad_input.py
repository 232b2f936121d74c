"""Hostile or broken input: always a spec-shaped 4xx, never a 500, nothing written."""

import pytest

from tests.open311.conftest import errors
from tests.open311.test_post import BASE
from whistle.cases.models import Case


@pytest.mark.parametrize(
    "path",
    [
        "/requests/HZ99999999999999999999999999.json",
        "/requests/HZ²³.json",
        "/requests/HZ٣.xml",
        "/requests.json?service_request_id=HZ99999999999999999999999999,HZ²",
    ],
)
def test_absurd_request_numbers_are_not_found(o311, path):
    response = o311.http.get(path)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.json() == []
    else:
        assert errors(response, path.split(".")[-1][:4].rstrip("?"))[0]["code"] == "request_not_found"


@pytest.mark.parametrize(
    "params,code",
    [
        ({"page": "99999999999999999999999"}, "invalid_page"),
        ({"page": "²"}, "invalid_page"),
        ({"page_size": "99999999999999999999999"}, "invalid_page_size"),
        ({"page": "-1"}, "invalid_page"),
    ],
)
def test_absurd_paging_is_400(o311, params, code):
    response = o311.http.get("/requests.json", params=params)
    assert response.status_code == 400 and errors(response)[0]["code"] == code


@pytest.mark.parametrize(
    "fields,code",
    [
        ({"lat": "NaN", "long": "115.5"}, "invalid_location"),
        ({"lat": "34.8", "long": "Infinity"}, "invalid_location"),
        ({"lat": "北纬34度", "long": "115.5"}, "invalid_location"),
        ({"description": "占道\x00经营"}, "invalid_characters"),
        ({"first_name": "\x00"}, "invalid_characters"),
        ({"attribute[county]": "cao\x00xian"}, "invalid_characters"),
    ],
)
def test_broken_values_are_400_and_nothing_is_created(o311, fields, code):
    response = o311.http.post("/requests.json", data={**BASE, "api_key": o311.key, **fields})
    assert response.status_code == 400, response.text
    assert errors(response)[0]["code"] == code
    assert Case.objects.count() == 0


def test_malformed_multipart_body_is_400(o311):
    response = o311.http.post(
        "/requests.json",
        params={"api_key": o311.key},
        content=b"--oops\r\nnot a part",
        headers={"content-type": "multipart/form-data; boundary="},
    )
    assert response.status_code == 400 and errors(response)[0]["code"] == "invalid_body"
    assert Case.objects.count() == 0


def test_json_body_is_not_a_form(o311):
    response = o311.http.post("/requests.json", params={"api_key": o311.key}, json=BASE)
    assert response.status_code == 400 and errors(response)[0]["code"] == "service_code_required"
    assert Case.objects.count() == 0


def test_description_with_markup_is_stored_as_text_and_escaped_in_xml(o311):
    response = o311.http.post(
        "/requests.xml", data={**BASE, "api_key": o311.key, "description": "<b>占道</b> & 经营\x07"}
    )
    assert response.status_code == 200
    number = Case.objects.get().number
    body = o311.http.get(f"/requests/{number}.xml").text
    assert "&lt;b&gt;占道&lt;/b&gt; &amp; 经营" in body
