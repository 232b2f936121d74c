"""The Heze demo: a realistic organisation and a year of cases played through the real workflow."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.demo.conftest import ENTERPRISES, HISTORY
from whistle.cases.audit import verify_chains
from whistle.cases.models import Case, CaseEvent, State
from whistle.enterprises.models import Enterprise
from whistle.enterprises.services import clean_uscc
from whistle.landyield import demo as landyield_demo
from whistle.org.models import Membership, Unit
from whistle.seed.data import COUNTIES
from whistle.seed.heze import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_has_cases_in_every_state(demo):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(State.values)
    assert f"工单 {HISTORY} 条" in demo


def test_demo_history_has_returns_extensions_reopens_cards_and_escalations(demo):
    actions = set(CaseEvent.objects.values_list("action", flat=True))
    assert {
        "return",
        "request_extension",
        "approve_extension",
        "follow_up",
        "yellow_card",
        "red_card",
        "supervise",
        "escalate",
        "assist_note",
    } <= actions
    assert Case.objects.filter(reopen_count__gt=0).exists()
    assert set(Case.objects.values_list("channel", flat=True)) >= {"web", "app", "hotline", "12345"}


def test_demo_event_chains_verify(demo):
    checked, broken = verify_chains()
    assert broken == []
    assert checked == CaseEvent.objects.count() > HISTORY


def test_demo_enterprises_have_valid_credit_codes_of_their_county(demo):
    regions = {code: region for code, _name, _short, _kind, region, _towns in COUNTIES}
    enterprises = list(Enterprise.objects.select_related("county"))
    # The seed's 40 and the 亩产效益 demo's 规上 firms of 曹县 (its evaluation needs a county's worth)
    assert len(enterprises) == ENTERPRISES + landyield_demo.EXTRA_FIRMS
    for enterprise in enterprises:
        assert clean_uscc(enterprise.uscc) == enterprise.uscc
        assert enterprise.uscc[2:8] == regions[enterprise.county.code]


def test_demo_counties_have_an_office_departments_townships_and_a_leader(demo):
    counties = Unit.objects.filter(level="county", parent__code="heze", kind__in=["government", "zone"])
    assert sorted(c.short_name for c in counties) == sorted(short for _c, _n, short, *_ in COUNTIES)
    for county in counties:
        below = Unit.objects.filter(county=county).exclude(pk=county.pk)
        assert below.filter(kind="coordination_office").count() == 1
        assert below.filter(kind="department").count() >= 6
        assert 3 <= below.filter(kind="township").count() <= 5
        assert county.leader is not None
    assert Unit.objects.get(code="heze").leader.username == "shilingdao"


def test_demo_logins_sign_in_over_the_api_and_see_their_cases(demo, client, settings):
    settings.DEMO = True
    for login in DEMO_LOGINS:
        response = client.post(
            "/api/v1/auth/token",
            {"username": login.username, "password": DEMO_PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 201, login.username
    token = client.post(
        "/api/v1/auth/token", {"username": "qiye", "password": DEMO_PASSWORD}, content_type="application/json"
    ).json()["token"]
    page = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).json()
    own = Case.objects.filter(enterprise__members__user__username="qiye").count()
    assert page["count"] == own > 0


def test_demo_logins_command_prints_one_login_per_role(demo):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for login in DEMO_LOGINS:
        assert login.username in text and login.label in text
    assert DEMO_PASSWORD in text and "http://127.0.0.1:8000/api/docs" in text


def test_seed_refuses_politely_when_data_exists(demo):
    before = Case.objects.count()
    assert before >= HISTORY  # the year of cases, and those the other apps' demo seeders raise
    with pytest.raises(CommandError, match="数据库已有数据"):
        call_command("seed", stdout=StringIO())
    assert Case.objects.count() == before


def test_seed_if_empty_on_a_loaded_database_is_a_no_op(demo):
    """`make demo` runs `whistle seed --if-empty` on every start: the second run changes nothing."""
    counts = (Unit.objects.count(), Enterprise.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    second = StringIO()
    call_command("seed", "--if-empty", "--history", "20", "--enterprises", "15", stdout=second)
    assert "演示数据已加载" in demo and "跳过" in second.getvalue()
    assert (Unit.objects.count(), Enterprise.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == counts


def test_demo_seed_leaves_password_change_off_in_demo_mode(demo):
    assert Membership.objects.count() > 100 and not Membership.objects.filter(must_change_password=True).exists()


def test_demo_account_must_change_password_on_first_sign_in_outside_demo_mode(demo, client, settings):
    settings.DEMO = False  # a demo database put into service: the published password opens nothing
    refused = client.post(
        "/api/v1/auth/token", {"username": "qiye", "password": DEMO_PASSWORD}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    assert Membership.objects.get(user__username="qiye").must_change_password
    response = client.post("/login", {"username": "xianchuishao", "password": DEMO_PASSWORD})
    assert response["Location"] == "/password/first"
    assert client.get("/ledger")["Location"].startswith("/login")  # not signed in until the password is changed
    refused = client.post("/password/first", {"new_password1": DEMO_PASSWORD, "new_password2": DEMO_PASSWORD})
    assert refused.status_code == 422 and "演示密码" in refused.content.decode()
    done = client.post("/password/first", {"new_password1": "Mudan-peony-2027", "new_password2": "Mudan-peony-2027"})
    assert done.status_code == 302 and client.get("/ledger").status_code == 200


def test_rule_8_6_every_unit_of_the_heze_catalogue_is_in_a_ranking_class(demo):
    """The 20 county-level stationed units (国网曹县供电公司, 曹县税务局 …) receive cases from the catalogue."""
    from whistle.dashboard.rankings import unclassed_units

    assert list(unclassed_units().values_list("name", flat=True)) == []
