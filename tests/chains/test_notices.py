"""A stalled project's 提醒 (yellow) and 督办 (red) reach people through the notices app (issue 19): the responsible
unit's handlers and head and the chain's office, on the channels each chose, in the words of templates that are data
— each lapse told once, however often the sweep runs."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from tests.chains.conftest import make_project
from tests.conftest import PASSWORD, at
from whistle.chains import lights, services
from whistle.chains.models import ProjectNotice, Stage
from whistle.notices.models import Channel, Delivery, NoticeTemplate, Status
from whistle.org.models import Membership


def inbox(username: str) -> list[str]:
    return list(
        Delivery.objects.filter(recipient__username=username, channel=Channel.INAPP)
        .order_by("pk")
        .values_list("subject", flat=True)
    )


@pytest.fixture
def gxj(chains):
    """The responsible unit's handler and head (told), and a handler of another unit (not told)."""
    for username, role, unit in [
        ("gxj_handler", "handler", chains.city_gxj),
        ("gxj_admin", "unit_admin", chains.city_gxj),
        ("zjj_handler2", "handler", chains.city_zjj),
    ]:
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        Membership.objects.create(user=user, role=role, unit=unit, display_name=username)
    Stage.objects.filter(pipeline="investment", code="target").update(limit_working_days=10)
    return chains


def test_rule_10_4_a_stalled_projects_reminder_and_letter_are_told_once_per_lapse_never_twice_on_rerun(gxj):
    project = make_project(gxj, now=at(2026, 9, 21))  # due 2026-10-12: ten working days over the National Day holiday
    assert lights.sweep(at(2026, 9, 28, 8))["chain_messages"] == 0  # not yet yellow
    first = lights.sweep(at(2026, 9, 29, 8))
    assert (first["chain_notices"], first["chain_messages"]) == (1, 3)
    reminder = "项目即将超期：原料药扩产项目"
    assert inbox("gxj_handler") == inbox("gxj_admin") == inbox("chain_bio") == [reminder]
    assert inbox("zjj_handler2") == [] and inbox("chain_chem") == []  # another unit, another chain's office
    body = Delivery.objects.filter(recipient__username="gxj_handler").get().body
    assert "生物医药产业链项目“原料药扩产项目”处于“目标锁定”阶段" in body and "2026年10月12日" in body
    assert "菏泽市工业和信息化局" in body

    for moment in (at(2026, 9, 29, 9), at(2026, 9, 30, 8), at(2026, 10, 12, 8)):
        assert lights.sweep(moment)["chain_messages"] == 0
    letter = lights.sweep(at(2026, 10, 13, 8))
    assert (letter["chain_letters"], letter["chain_messages"]) == (1, 3)
    assert inbox("gxj_handler") == [reminder, "项目督办：原料药扩产项目"]
    count = Delivery.objects.count()
    for moment in (at(2026, 10, 13, 9), at(2026, 10, 14, 8), at(2026, 11, 30, 8)):
        assert lights.sweep(moment)["chain_messages"] == 0
    assert Delivery.objects.count() == count
    assert sorted(ProjectNotice.objects.filter(project=project).values_list("kind", "recipients")) == [
        ("letter", 3),
        ("reminder", 3),
    ]
    # The 督办 goes at once; in-app messages are delivered as they are written.
    assert set(Delivery.objects.values_list("status", flat=True)) == {Status.SENT}
    assert all(Delivery.objects.filter(subject__startswith="项目督办").values_list("urgent", flat=True))

    # Moved on and stalled again: a new lapse, told again.
    Stage.objects.filter(pipeline="investment", code="contact").update(limit_working_days=10)
    services.project_advance(gxj.actor("chain_bio"), project.pk, stage="contact", now=at(2026, 10, 14))
    assert lights.sweep(at(2026, 11, 30, 8))["chain_messages"] == 3
    assert inbox("chain_bio")[-1] == "项目督办：原料药扩产项目"


def test_the_words_are_a_template_edited_as_data_and_reach_the_persons_inbox(gxj, client):
    NoticeTemplate.objects.filter(code="chains_letter").update(subject="【督办】{{ chain }}：{{ title }}（{{ step }}）")
    make_project(gxj, now=at(2026, 9, 21))
    lights.sweep(at(2026, 10, 13, 8))
    assert inbox("gxj_admin") == ["【督办】生物医药：原料药扩产项目（目标锁定）"]
    assert client.login(username="gxj_admin", password=PASSWORD)
    assert "【督办】生物医药：原料药扩产项目（目标锁定）" in client.get("/notices/").content.decode()


def test_a_missing_template_or_nobody_to_tell_still_issues_the_notice_once(gxj):
    NoticeTemplate.objects.filter(code="chains_reminder").delete()
    make_project(gxj, now=at(2026, 9, 21))
    assert lights.sweep(at(2026, 9, 29, 8))["chain_messages"] == 0
    assert lights.sweep(at(2026, 9, 29, 9))["chain_notices"] == 0
    assert ProjectNotice.objects.get().kind == "reminder"
    assert dt.date(2026, 9, 29) == ProjectNotice.objects.get().lapse_on
