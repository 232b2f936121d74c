"""Issue 12 item 4: a real call-back to poor raters (rules.md §3 实名差评回访率 100%, §8.3 回访核实, §11.5 隐私号).

The rater's phone is kept encrypted (AES-GCM, key from the environment, never in the database) beside the keyed hash;
查看评价人电话 decrypts only through the logged read and shows the whole number; the call's outcome is recorded and
差评回访率 counts recorded outcomes only; a privacy-number relay hands out a temporary number instead; phones are
erased after a retention period that is data; the key can be rotated."""

import json
import subprocess

import pytest
from django.db import connection

from tests.conftest import at
from tests.deploy.stack import BIN, production_env, random_key
from whistle.cases import workflow
from whistle.core import rules
from whistle.core.errors import Conflict, Invalid
from whistle.core.hashing import keyed_hash
from whistle.core.models import RuleParameter
from whistle.dashboard import case_rollup as rollup
from whistle.notices import sender
from whistle.notices.models import Delivery, NoticeTemplate
from whistle.ratings import phones
from whistle.ratings.callbacks import callback_record
from whistle.ratings.models import Cadre, CallBack, ContactRead, Rating
from whistle.ratings.selectors import ratings_overview
from whistle.ratings.services import rater_contact, rating_submit

PHONE = "13900000001"


@pytest.fixture
def cadre(heze):
    return Cadre.objects.create(
        name="张伟", post="审批科科长", unit=heze.cao_zjj, supervision_phone="0530-3212345", duties="施工许可审批"
    )


@pytest.fixture
def poor(cadre):
    return rating_submit(
        cadre, comment="材料退回三次", level=1, phone=PHONE, device="d1", ip="10.0.0.1", now=at(2026, 11, 3)
    )


def test_issue_12_4_the_phone_is_kept_encrypted_beside_the_keyed_hash_never_in_clear(poor):
    stored = Rating.objects.filter(pk=poor.pk).values("rater_phone_cipher", "rater_phone_hash").get()
    assert stored["rater_phone_hash"] == keyed_hash(PHONE)
    assert stored["rater_phone_cipher"].startswith(f"v1.{phones.current_key_id()}.")
    with connection.cursor() as cursor:  # nowhere in the row, whatever the column
        cursor.execute("SELECT * FROM ratings_rating WHERE id = %s", [poor.pk])
        assert not any(PHONE in str(value) for value in cursor.fetchone())
    assert phones.decrypt(stored["rater_phone_cipher"]) == PHONE


def test_issue_12_4_only_a_poor_ratings_phone_is_kept_whole(cadre):
    good = rating_submit(cadre, level=5, phone="13900000002", device="d2", ip="10.0.1.1", now=at(2026, 11, 3))
    assert good.rater_phone_cipher == "" and good.rater_phone_masked == "139****0002"


def test_issue_12_4_a_tampered_or_foreign_cipher_is_refused(poor, settings):
    token = poor.rater_phone_cipher
    with pytest.raises(phones.PhoneKeyError):
        phones.decrypt(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    settings.WHISTLE_PHONE_KEY = "another key entirely, and long enough to be a real one 0123456789"
    with pytest.raises(phones.PhoneKeyError):
        phones.decrypt(token)


def test_issue_12_4_rotation_re_encrypts_under_the_new_key_and_the_old_one_can_go(poor, settings):
    old = settings.WHISTLE_PHONE_KEY
    settings.WHISTLE_PHONE_KEY = "the rotated phone key, fifty characters or more ......"
    settings.WHISTLE_PHONE_KEYS_RETIRED = [old]
    assert phones.decrypt(Rating.objects.get(pk=poor.pk).rater_phone_cipher) == PHONE  # still readable
    assert phones.status()["by_key"] != {phones.current_key_id(): 1}
    assert phones.rotate() == {"rotated": 1, "left": 0}
    assert phones.rotate() == {"rotated": 0, "left": 0}
    settings.WHISTLE_PHONE_KEYS_RETIRED = []  # the old key retired for good
    assert phones.decrypt(Rating.objects.get(pk=poor.pk).rater_phone_cipher) == PHONE
    assert phones.status()["by_key"] == {phones.current_key_id(): 1}


def test_issue_12_4_reveal_is_the_one_logged_read_and_outcomes_are_recorded(heze, poor, client):
    with pytest.raises(Conflict) as early:  # no call without having read the number
        callback_record(heze.actor("cao_zjj"), poor.pk, "reached")
    assert early.value.code == "callback_without_read"
    client.force_login(heze.users.cao_zjj)
    url = f"/r/ratings/{poor.pk}/contact"
    shown = client.post(url, {"reason": "callback"}).content.decode()
    assert f'href="tel:{PHONE}"' in shown and "记录回访结果" in shown
    assert ContactRead.objects.count() == 1
    refused = client.post(url, {"outcome": "unreachable", "note": ""})
    assert refused.status_code == 422 and "请写明情况" in refused.content.decode()
    recorded = client.post(url, {"outcome": "unreachable", "note": "两次无人接听"})
    assert recorded.status_code == 200 and "回访结果已记录" in recorded.content.decode()
    assert PHONE not in recorded.content.decode()  # recording shows no number: only a read does
    client.post(url, {"outcome": "reached", "note": "已说明整改情况"})
    assert list(CallBack.objects.order_by("at").values_list("outcome", "note")) == [
        ("unreachable", "两次无人接听"),
        ("reached", "已说明整改情况"),
    ]
    with pytest.raises(Invalid):
        callback_record(heze.actor("cao_zjj"), poor.pk, "maybe")
    client.force_login(heze.users.shan_zjj)
    assert client.post(url, {"outcome": "reached"}).status_code == 404


def test_rule_3_poor_callback_rate_counts_recorded_outcomes_only(heze, poor):
    actor = heze.actor("cao_office")
    workflow.apply(poor.rectification, "accept", heze.actor("cao_zjj"), {}, at(2026, 11, 3, 11))
    workflow.apply(
        poor.rectification, "contact", heze.actor("cao_zjj"), {"method": "phone", "note": "x"}, at(2026, 11, 3, 12)
    )
    month = at(2026, 11, 3).date()
    assert ratings_overview(actor, month, month)["callback_rate"] == 0  # the contact step is no call-back
    rollup.rebuild(at(2026, 11, 4))
    facts = rollup.sums(rollup.CaseMonthFact.objects.all())
    assert (facts["rect_cases"], facts["rect_contacted"]) == (1, 0)
    rater_contact(heze.actor("cao_zjj"), poor.pk, "回访核实差评")
    callback_record(heze.actor("cao_zjj"), poor.pk, "reached", now=at(2026, 11, 4, 9))
    assert ratings_overview(actor, month, month)["callback_rate"] == 100
    rollup.refresh(at(2026, 11, 4, 10))  # the recorded call marked the month stale: recounted without a case event
    facts = rollup.sums(rollup.CaseMonthFact.objects.all())
    assert (facts["rect_cases"], facts["rect_contacted"]) == (1, 1)


def test_issue_12_4_privacy_number_relay_hands_out_a_temporary_number(heze, poor, settings, http_receiver):
    relay = http_receiver(
        lambda got: (
            200,
            json.dumps({"Code": "OK", "SecretBindDTO": {"SecretNo": "17100001111", "SubsId": "S-1"}}).encode(),
        )
    )
    settings.WHISTLE_PRIVACY_RELAY_URL = relay.url + "/"
    settings.WHISTLE_PRIVACY_RELAY_POOL = "FC100000"
    settings.WHISTLE_PRIVACY_RELAY_KEY_ID = "relay-id"
    settings.WHISTLE_PRIVACY_RELAY_KEY_SECRET = "relay-secret"
    with pytest.raises(Invalid) as missing:
        rater_contact(heze.actor("cao_zjj"), poor.pk, "回访核实差评")
    assert missing.value.code == "staff_phone_required" and not relay.requests
    shown = rater_contact(
        heze.actor("cao_zjj"), poor.pk, "回访核实差评", now=at(2026, 11, 4, 9), staff_phone="13800000009"
    )
    assert shown == "17100001111"
    (got,) = relay.requests
    form = got.form
    assert (form["Action"], form["PoolKey"], form["PhoneNoA"], form["PhoneNoB"]) == (
        "BindAxb",
        "FC100000",
        "13800000009",
        PHONE,
    )
    assert form["Expiration"] == "2026-11-04 09:30:00" and form["Signature"]
    read = ContactRead.objects.get()
    assert (read.relay_number, read.relay_binding) == ("17100001111", "S-1")


def test_issue_12_4_phones_are_erased_after_the_retention_period(poor):
    RuleParameter.objects.filter(key="ratings.phone_retention_days").update(value=30)
    rules.clear_cache()
    assert phones.erase_expired(at(2026, 12, 2)) == {"erased": 0}
    assert phones.erase_expired(at(2026, 12, 4)) == {"erased": 1}
    rating = Rating.objects.get(pk=poor.pk)
    assert (rating.rater_phone_cipher, rating.rater_phone_masked) == ("", "")
    assert rating.rater_phone_hash == keyed_hash(PHONE)  # the limits still recognise the phone
    assert phones.erase_expired(at(2026, 12, 5)) == {"erased": 0}


def test_issue_12_2_the_rater_is_told_of_the_answer_with_the_re_rate_link(heze, poor, sms_gateway):
    NoticeTemplate.objects.filter(code="rerate").update(sms_template_code="SMS_RERATE")
    case = poor.rectification
    for action, payload, moment in [
        ("accept", {}, at(2026, 11, 3, 11)),
        ("contact", {"method": "phone", "note": "已回访"}, at(2026, 11, 3, 12)),
        ("reply", {"content": "已整改：材料一次性告知"}, at(2026, 11, 4, 10)),
    ]:
        workflow.apply(case.number, action, heze.actor("cao_zjj"), payload, moment)
    sender.deliver()
    (sms,) = [r for r in sms_gateway.requests if r.form["TemplateCode"] == "SMS_RERATE"]
    assert sms.form["PhoneNumbers"] == PHONE
    link = json.loads(sms.form["TemplateParam"])["link"]
    assert "/r/rerate/" in link
    delivery = Delivery.objects.get(channel="sms", address=f"rating:{poor.pk}")
    assert PHONE not in delivery.address + delivery.body and delivery.status == "sent"


def _whistle_check(tmp_path, **env):
    return subprocess.run(
        [BIN / "whistle", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=production_env(
            WHISTLE_VAR_DIR=str(tmp_path), WHISTLE_SECRET_KEY=random_key(), WHISTLE_HASH_KEY=random_key(), **env
        ),
    )


@pytest.mark.parametrize(
    "value, reason",
    [("", "未设置"), ("whistle-demo-phone-key-change-me-in-production-0123456789", "演示值"), ("short", "太短")],
    ids=["missing", "demo", "short"],
)
def test_issue_12_4_outside_demo_mode_whistle_refuses_to_start_without_its_own_phone_key(tmp_path, value, reason):
    refused = _whistle_check(tmp_path, WHISTLE_PHONE_KEY=value)
    assert refused.returncode != 0
    assert "WHISTLE_PHONE_KEY" in refused.stderr and reason in refused.stderr and "Traceback" not in refused.stderr


def test_issue_12_4_with_its_own_phone_key_whistle_starts(tmp_path):
    ok = _whistle_check(tmp_path, WHISTLE_PHONE_KEY=random_key())
    assert ok.returncode == 0, ok.stderr


def test_issue_12_4_the_demo_phone_key_is_settings_own(settings):
    from whistle.settings import DEMO_PHONE_KEY

    assert settings.WHISTLE_PHONE_KEY == DEMO_PHONE_KEY  # the suite runs in demo mode
    assert phones.current_key_id() not in DEMO_PHONE_KEY  # the key id names the key without revealing it
