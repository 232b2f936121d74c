"""An internal category (差评整改) is for the system alone: no one can pick it, no public list shows it."""

import pytest

from whistle.cases import services
from whistle.cases.models import Case, Category
from whistle.cases.selectors import category_choices
from whistle.core.errors import Invalid
from whistle.org.scopes import Actor


@pytest.fixture
def internal(heze):
    return Category.objects.create(code="rating-rectification", name="差评整改", is_public=False)


def test_enterprise_cannot_raise_a_case_in_an_internal_category(heze, internal):
    with pytest.raises(Invalid) as refused:
        services.case_submit(
            heze.actor("ent_cao"), kind="complaint", category="rating-rectification", description="差评"
        )
    assert refused.value.code == "unknown_category" and refused.value.field == "category"
    assert not Case.objects.exists()


def test_system_raises_cases_in_an_internal_category(heze, internal):
    case, created = services.case_submit(
        Actor.system(),
        kind="complaint",
        category="rating-rectification",
        description="扫码评价不满意",
        contact_name="监督电话",
        contact_phone="05305310000",
        county="caoxian",
    )
    assert created and case.category == internal


def test_internal_category_is_not_offered_in_the_case_form(heze, internal):
    offered = str(category_choices())
    assert "施工许可" in offered and "差评整改" not in offered


def test_internal_category_is_not_an_open311_service(heze, internal, client):
    codes = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert "construction" in codes and "rating-rectification" not in codes
