"""Integrations and service definitions are made in the admin, by a system administrator."""

import re

import pytest
from django.contrib.auth import get_user_model

from whistle.core.hashing import keyed_hash
from whistle.open311.models import Integration, ServiceAttribute

KEY = re.compile(r"o311_[\w-]{20,}")


@pytest.fixture
def admin_client(heze, client):
    client.force_login(get_user_model().objects.create_superuser("sysadmin", password="Whistle-test-2026"))
    return client


def shown_key(response) -> str:
    [message] = [str(m) for m in response.context["messages"] if "api_key" in str(m)]
    assert "只显示这一次" in message
    return KEY.search(message).group()


def post_request(client, key):
    return client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "market",
            "address_string": "曹县人民路1号",
            "description": "占道经营",
            "phone": "13905301234",
        },
    )


def test_integration_created_in_the_admin_shows_its_key_once_and_keeps_only_a_hash(heze, admin_client):
    response = admin_client.post(
        "/admin/open311/integration/add/",
        {
            "name": "菏泽城管通",
            "county": heze.cao.pk,
            "kind": "complaint",
            "is_active": "on",
        },
        follow=True,
    )
    key = shown_key(response)
    integration = Integration.objects.get()
    assert integration.key_hash == keyed_hash(key) and key not in integration.key_hash
    assert integration.prefix == key[5:13]
    listing = admin_client.get("/admin/open311/integration/").content.decode()
    assert integration.prefix in listing and key not in listing
    created = post_request(admin_client, key)
    assert created.status_code == 200
    assert created.json()[0]["service_request_id"].startswith("HZ")


def test_reissuing_a_key_in_the_admin_retires_the_old_one(heze, admin_client):
    first = shown_key(
        admin_client.post(
            "/admin/open311/integration/add/",
            {"name": "12345热线", "county": heze.shan.pk, "kind": "help", "is_active": "on"},
            follow=True,
        )
    )
    integration = Integration.objects.get()
    response = admin_client.post(
        "/admin/open311/integration/", {"action": "reissue_key", "_selected_action": [integration.pk]}, follow=True
    )
    second = shown_key(response)
    assert second != first
    assert post_request(admin_client, first).status_code == 403
    assert post_request(admin_client, second).status_code == 200


def test_service_question_added_in_the_admin_appears_in_the_definition(heze, admin_client):
    response = admin_client.post(
        "/admin/open311/serviceattribute/add/",
        {
            "category": heze.cat_market.pk,
            "code": "goods",
            "order": "1",
            "variable": "on",
            "datatype": "singlevaluelist",
            "required": "on",
            "description": "涉及哪类商品",
            "datatype_description": "",
            "values-TOTAL_FORMS": "2",
            "values-INITIAL_FORMS": "0",
            "values-MIN_NUM_FORMS": "0",
            "values-MAX_NUM_FORMS": "1000",
            "values-0-key": "food",
            "values-0-name": "食品",
            "values-0-order": "1",
            "values-1-key": "drug",
            "values-1-name": "药品",
            "values-1-order": "2",
        },
        follow=True,
    )
    assert response.status_code == 200 and ServiceAttribute.objects.filter(code="goods").exists()
    definition = admin_client.get("/open311/v2/services/market.json").json()
    assert definition["attributes"] == [
        {
            "variable": True,
            "code": "goods",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": "",
            "order": 1,
            "description": "涉及哪类商品",
            "values": [{"key": "food", "name": "食品"}, {"key": "drug", "name": "药品"}],
        }
    ]
    services = admin_client.get("/open311/v2/services.json").json()
    assert next(s for s in services if s["service_code"] == "market")["metadata"] is True


def test_two_questions_cannot_share_an_order(heze, admin_client):
    ServiceAttribute.objects.create(category=heze.cat_market, code="goods", order=1, description="涉及哪类商品")
    response = admin_client.post(
        "/admin/open311/serviceattribute/add/",
        {
            "category": heze.cat_market.pk,
            "code": "shop",
            "order": "1",
            "variable": "on",
            "datatype": "string",
            "description": "店铺名称",
            "values-TOTAL_FORMS": "0",
            "values-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert ServiceAttribute.objects.filter(category=heze.cat_market).count() == 1
