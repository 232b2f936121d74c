"""The city's own wording is data (issue 21 item 1: cities in one deployment; "no 菏泽 in code or templates, the
Heze demo is data"): its name, the platform's name and the issuers of its letters live in `core_wording`."""

from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from whistle.core.models import Wording
from whistle.indicators.models import WarningRule

SRC = Path(__file__).resolve().parents[2] / "src" / "whistle"
# Where the demo city may be named: its data (migrations' defaults, the demo and seed data).
DEMO_DATA = ("migrations", "seed")


def _rename(**texts):
    for key, text in texts.items():
        Wording.objects.filter(key=key).update(text=text)
    Wording.objects.first().save()  # a save clears this process's cache, as an edit in the admin does


def test_issue_21_1_no_city_is_named_in_code_or_templates():
    named = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*")
        if path.suffix in (".py", ".html", ".txt")
        and not any(part in DEMO_DATA for part in path.relative_to(SRC).parts)
        and path.name != "demo.py"
        and "菏泽" in path.read_text(encoding="utf-8")
    ]
    assert named == []


@pytest.mark.django_db
def test_issue_21_1_pages_and_official_output_carry_the_citys_wording(heze, client):
    _rename(city_name="枣庄市", platform_name="枣庄企业吹哨", platform_footer="枣庄市企业吹哨服务平台")
    page = client.get("/login").content.decode()
    assert "· 枣庄企业吹哨</title>" in page and "枣庄市企业吹哨服务平台" in page and "菏泽" not in page

    client.login(username="city_leader", password=PASSWORD)
    report = client.get("/indicators/report?month=2026-03")
    assert report.status_code == 200 and "枣庄市主要指标监测通报" in report.content.decode()


@pytest.mark.django_db
def test_issue_21_1_a_new_warning_rule_takes_its_issuer_from_the_wording(heze):
    _rename(warning_issuer="枣庄市营商环境办公室", warning_prefix="枣营商预")
    rule = WarningRule(name="连续两期低于目标")
    assert (rule.issuer, rule.letter_prefix) == ("枣庄市营商环境办公室", "枣营商预")
