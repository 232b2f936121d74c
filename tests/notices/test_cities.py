"""A province's cities each speak in their own wording (issue 21 item 1, core.wording): an SMS is signed with the
platform name of its case's city, not the deployment's."""

import pytest
from django.utils import timezone

from tests.org.test_province import province  # noqa: F401 — the fixture: 菏泽 and 济南 under 山东
from whistle.core import wording
from whistle.core.models import Wording
from whistle.notices import sender
from whistle.notices.models import Delivery, NoticeTemplate


def _sms(case, user, phone):
    now = timezone.now()
    return Delivery.objects.create(
        case=case,
        channel="sms",
        recipient=user,
        recipient_label=user.username,
        address=phone,
        subject="新派单",
        body=f"新派单 {case.number}",
        payload={"sms_template_code": "SMS_900001", "sms_params": {"number": case.number}},
        next_attempt_at=now,
        created_at=now,
    )


@pytest.mark.parametrize("deployment_sign_name", ["", "省企业吹哨"])
def test_an_sms_is_signed_with_its_case_citys_platform_name(province, sms_gateway, settings, deployment_sign_name):
    p = province
    settings.WHISTLE_SMS_SIGN_NAME = deployment_sign_name  # set: one signature for the whole deployment
    assert NoticeTemplate.objects.exists()
    Wording.objects.create(key="platform_name", text="泉城企业吹哨", description="平台简称", city=p.jinan)
    wording.clear_cache()
    heze_sms = _sms(p.heze_case, p.heze.users.cao_zjj, "13905301234")
    jinan_sms = _sms(p.jinan_case, p.users.licheng_zjj, "13905311234")
    sender.deliver()
    signed = {request.form["OutId"]: request.form["SignName"] for request in sms_gateway.requests}
    if deployment_sign_name:
        assert set(signed.values()) == {deployment_sign_name}
    else:
        assert signed == {
            f"whistle-{jinan_sms.pk}": "泉城企业吹哨",
            f"whistle-{heze_sms.pk}": wording.text("platform_name"),  # 菏泽 has no phrase of its own
        }
