"""The enterprise's form and list, the case page with its actions, the handler's desk, scope."""

import re

import pytest

from tests.conftest import at
from whistle.cases import services, sweeper
from whistle.cases.models import Case

from .conftest import photo


def _errors(html: str, field: str) -> str:
    """The error text shown beside one field (Django renders it as <ul id="id_<field>_error">)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def _case_form(**overrides):
    data = {
        "kind": "help",
        "category": "construction-permit",
        "description": "新厂房施工许可迟迟办不下来",
        "address": "曹县开发区纬三路",
        "lat": "",
        "lng": "",
        "contact_name": "王经理",
        "contact_phone": "13905300001",
        "idempotency_key": "k-1",
    }
    data.update(overrides)
    return data


# ---- enterprise ------------------------------------------------------------------------------------


def test_case_form_prefills_contact_from_the_enterprise(heze, signed_in):
    html = signed_in(heze.users.ent_cao).get("/cases/new").content.decode()
    assert 'value="王经理"' in html and 'value="13905300001"' in html
    assert "施工许可" in html and '<optgroup label="工程建设">' in html


def test_enterprise_raises_a_case_with_photos_and_it_is_dispatched_by_the_catalogue(heze, signed_in):
    client = signed_in(heze.users.ent_cao)
    response = client.post(
        "/cases/new", {**_case_form(lat="34.826100", lng="115.549400"), "files": [photo(), photo("材料.png")]}
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.number}"
    assert case.lead_unit == heze.cao_zjj and case.state == "dispatched" and str(case.lat) == "34.826100"
    html = client.get(response["Location"]).content.decode()
    assert "诉求已提交" in html
    assert "系统按派单目录派单至曹县住房和城乡建设局" in html
    assert "现场.png" in html and "材料.png" in html
    attachment = case.attachments.first()
    download = client.get(f"/cases/{case.number}/files/{attachment.pk}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_a_resubmitted_case_form_creates_one_case_and_shows_the_case_already_created(heze, signed_in):
    client = signed_in(heze.users.ent_cao)
    first = client.post("/cases/new", _case_form(), follow=True)
    second = client.post("/cases/new", _case_form(), follow=True)
    assert second.redirect_chain == first.redirect_chain
    assert Case.objects.count() == 1
    html = second.content.decode()
    assert f"编号{Case.objects.get().number}，没有重复提交" in html and "诉求已提交，" not in html


def test_the_case_form_key_is_new_on_every_opening_and_kept_on_a_refused_submission(heze, signed_in):
    client = signed_in(heze.users.ent_cao)
    key = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')
    first, second = (key.search(client.get("/cases/new").content.decode()).group(1) for _ in range(2))
    assert first != second
    refused = client.post("/cases/new", _case_form(description="", idempotency_key=first)).content.decode()
    assert key.search(refused).group(1) == first


def test_a_changed_form_sent_again_under_its_old_key_is_explained_and_filed_on_the_next_press(heze, signed_in):
    client = signed_in(heze.users.ent_cao)
    client.post("/cases/new", _case_form())
    changed = client.post("/cases/new", _case_form(description="另一件事：厂区门口道路破损"))
    assert changed.status_code == 422 and Case.objects.count() == 1
    html = changed.content.decode()
    assert "这份表单已经提交过，内容与当时不同" in html and "Idempotency-Key" not in html
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)
    assert fresh != "k-1"
    again = client.post("/cases/new", _case_form(description="另一件事：厂区门口道路破损", idempotency_key=fresh))
    assert again.status_code == 302 and Case.objects.count() == 2


def test_case_form_errors_are_shown_beside_the_fields_and_nothing_typed_is_lost(heze, signed_in):
    response = signed_in(heze.users.ent_cao).post("/cases/new", _case_form(description="", contact_phone="12345"))
    assert response.status_code == 422
    html = response.content.decode()
    assert _errors(html, "description")
    assert 'value="曹县开发区纬三路"' in html and 'value="王经理"' in html
    assert '<option value="construction-permit" selected>' in html
    assert Case.objects.count() == 0


def test_service_refusal_is_shown_beside_the_field_it_names(heze, signed_in):
    response = signed_in(heze.users.ent_cao).post("/cases/new", _case_form(contact_phone="12345"))
    assert response.status_code == 422
    assert "请填写正确的手机号" in _errors(response.content.decode(), "contact_phone")
    assert Case.objects.count() == 0


def test_a_refused_attachment_writes_no_case(heze, signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    response = signed_in(heze.users.ent_cao).post("/cases/new", {**_case_form(), "files": [bad]})
    assert response.status_code == 422
    assert "不支持的文件类型" in _errors(response.content.decode(), "files")
    assert Case.objects.count() == 0


def test_category_picker_search_finds_by_name_and_keeps_the_choice(heze, signed_in):
    client = signed_in(heze.users.ent_cao)
    html = client.get("/cases/categories", {"category_q": "许可", "category": ""}).content.decode()
    assert '<option value="construction-permit" selected>' in html and "市场监管" not in html
    html = client.get("/cases/categories", {"category_q": "没有的分类"}).content.decode()
    assert "没有找到“没有的分类”" in html


def test_my_cases_lists_state_unit_and_deadline_and_asks_for_a_rating(heze, signed_in, permit_case):
    services.case_transition(heze.actor("cao_zjj"), permit_case.number, "accept")
    services.case_transition(heze.actor("cao_zjj"), permit_case.number, "contact", {"method": "onsite"})
    services.case_transition(heze.actor("cao_zjj"), permit_case.number, "reply", {"content": "已办结施工许可"})
    html = signed_in(heze.users.ent_cao).get("/my").content.decode()
    assert permit_case.number in html and "已答复" in html and "曹县住房和城乡建设局" in html
    assert "有 1 件诉求已答复，请查看办理结果并评价" in html


def test_enterprise_sees_only_its_own_cases(heze, signed_in, permit_case):
    client = signed_in(heze.users.ent_shan)
    assert permit_case.number not in client.get("/my").content.decode()
    assert client.get(f"/cases/{permit_case.number}").status_code == 404


# ---- the case page, handler side -------------------------------------------------------------------


def test_case_page_offers_only_the_actions_allowed_now(heze, signed_in, permit_case):
    html = signed_in(heze.users.cao_zjj).get(f"/cases/{permit_case.number}").content.decode()
    assert 'id="act-accept"' in html and 'id="act-return"' in html
    assert 'id="act-reply"' not in html and 'id="act-follow_up"' not in html


def test_handler_signs_and_the_timeline_says_so(heze, signed_in, permit_case):
    client = signed_in(heze.users.cao_zjj)
    response = client.post(f"/cases/{permit_case.number}/do/accept")
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "已签收" in html and "曹县住房和城乡建设局 cao_zjj已签收" in html
    assert 'id="act-contact"' in html


def test_return_needs_reason_and_suggested_unit_shown_beside_the_fields(heze, signed_in, permit_case):
    client = signed_in(heze.users.cao_zjj)
    response = client.post(f"/cases/{permit_case.number}/do/return", {"return-reason": "", "return-suggested_unit": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert _errors(html, "return-reason") and _errors(html, "return-suggested_unit")
    assert '<details class="action" open id="act-return">' in html


def test_return_names_the_suggested_unit_and_the_office_sees_it_in_its_queue(heze, signed_in, permit_case):
    client = signed_in(heze.users.cao_zjj)
    response = client.post(
        f"/cases/{permit_case.number}/do/return",
        {"return-reason": "不属于本局职责", "return-suggested_unit": "caoxian-scjg"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/", "the unit no longer sees the case it returned: back to its desk, not a 404"
    html = signed_in(heze.users.cao_office).get("/ledger?view=queue").content.decode()
    assert permit_case.number in html
    assert "退单理由：不属于本局职责；建议由曹县市场监督管理局办理" in html


def test_service_refusal_on_an_action_keeps_what_was_typed(heze, signed_in, permit_case):
    client = signed_in(heze.users.cao_zjj)
    response = client.post(
        f"/cases/{permit_case.number}/do/return",
        {"return-reason": "不属于本局职责", "return-suggested_unit": "caoxian-zjj"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "建议承办单位不能是本单位" in _errors(html, "return-suggested_unit")
    assert "不属于本局职责</textarea>" in html


def test_an_action_the_state_no_longer_allows_is_refused_with_the_reason(heze, signed_in, permit_case):
    client = signed_in(heze.users.cao_zjj)
    client.post(f"/cases/{permit_case.number}/do/accept")
    response = client.post(f"/cases/{permit_case.number}/do/accept")
    assert response.status_code == 409
    assert "不能执行“签收”" in response.content.decode()


def test_handler_replies_with_attachments(heze, signed_in, permit_case):
    client = signed_in(heze.users.cao_zjj)
    client.post(f"/cases/{permit_case.number}/do/accept")
    client.post(
        f"/cases/{permit_case.number}/do/contact", {"contact-method": "onsite", "contact-note": "核实了用地材料"}
    )
    response = client.post(
        f"/cases/{permit_case.number}/do/reply",
        {"reply-content": "施工许可已核发", "reply-files": [photo("许可证.png")]},
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "cao_zjj已到企业现场" in html and "核实了用地材料" in html
    assert "办结并答复" in html and "施工许可已核发" in html and "许可证.png" in html
    assert Case.objects.get().state == "replied"


def test_enterprise_rates_unsatisfied_and_sees_why_the_case_was_reopened(heze, signed_in, permit_case):
    handler = heze.actor("cao_zjj")
    for action, payload in [("accept", {}), ("contact", {}), ("reply", {"content": "已答复"})]:
        services.case_transition(handler, permit_case.number, action, payload)
    client = signed_in(heze.users.ent_cao)
    html = client.get(f"/cases/{permit_case.number}").content.decode()
    assert 'id="act-follow_up"' in html and "无法联系" not in html  # only a caller may record 无法联系
    response = client.post(
        f"/cases/{permit_case.number}/do/follow_up",
        {
            "follow_up-resolution": "unresolved",
            "follow_up-satisfaction": "unsatisfied",
            "follow_up-comment": "许可证仍未拿到",
        },
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "为什么重办：" in html and "第1次重办：回访评价为“未解决、不满意”：许可证仍未拿到" in html
    assert "工单转入第1次重办" in html and "督办单第1号" in html
    supervised = signed_in(heze.users.cao_office).get("/ledger?view=supervised").content.decode()
    assert permit_case.number in supervised and "督办1次" in supervised


def test_follow_up_without_satisfaction_is_refused_beside_the_field(heze, signed_in, permit_case):
    handler = heze.actor("cao_zjj")
    for action, payload in [("accept", {}), ("contact", {}), ("reply", {"content": "已答复"})]:
        services.case_transition(handler, permit_case.number, action, payload)
    response = signed_in(heze.users.ent_cao).post(
        f"/cases/{permit_case.number}/do/follow_up", {"follow_up-resolution": "resolved"}
    )
    assert response.status_code == 422
    assert "满意度须为" in _errors(response.content.decode(), "follow_up-satisfaction")


def test_timeline_tells_cards_in_plain_words(heze, signed_in, permit_case):
    services.case_transition(heze.actor("cao_zjj"), permit_case.number, "accept")
    case = Case.objects.get()
    sweeper.sweep(now=case.red_at)
    html = signed_in(heze.users.ent_cao).get(f"/cases/{case.number}").content.decode()
    assert "系统发出红牌警示" in html and "已超过办结时限" in html
    assert "系统发出督办单" in html


# ---- handler's desk and assisting units ------------------------------------------------------------


def test_desk_lists_the_units_open_cases_nearest_deadline_first_with_cards(heze, signed_in):
    # In office hours of a working day: at night or on a weekend both clocks would start at the next working
    # morning and turn yellow at the same moment.
    ent = heze.actor("ent_cao")
    older, _ = services.case_submit(
        ent, kind="help", category="construction", description="第一件", now=at(2026, 11, 3, 9, 0)
    )
    newer, _ = services.case_submit(
        ent, kind="help", category="construction", description="第二件", now=at(2026, 11, 3, 9, 30)
    )
    services.case_transition(heze.actor("cao_zjj"), older.number, "accept", now=at(2026, 11, 3, 9, 40))
    services.case_transition(heze.actor("cao_zjj"), older.number, "contact", now=at(2026, 11, 3, 9, 50))
    sweeper.sweep(now=Case.objects.get(pk=older.pk).yellow_at)
    html = signed_in(heze.users.cao_zjj).get("/desk").content.decode()
    # The older case was contacted (next: opinion in 1 working day); the newer one's 2-hour contact clock runs first.
    assert html.index(newer.number) < html.index(older.number)
    assert "黄牌" in html
    assert re.search(r'<span class="n">1</span>黄牌', html) and re.search(r'<span class="n">2</span>在办', html)


def test_assisting_unit_sees_the_case_and_adds_its_part(heze, signed_in):
    case, _ = services.case_submit(heze.actor("ent_cao"), kind="help", category="other", description="无主事项")
    services.case_transition(
        heze.actor("cao_office"), case.number, "dispatch", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-scjg"]}
    )
    client = signed_in(heze.users.cao_scjg)
    desk = client.get("/desk").content.decode()
    assert case.number in desk
    html = client.get(f"/cases/{case.number}").content.decode()
    assert 'id="act-assist_note"' in html and 'id="act-accept"' not in html
    response = client.post(f"/cases/{case.number}/do/assist_note", {"assist_note-note": "已核实营业执照信息"})
    assert response.status_code == 302
    assert "（协办）提交协办意见" in client.get(f"/cases/{case.number}").content.decode()


@pytest.mark.parametrize("outsider", ["shan_zjj", "cao_scjg", "ent_shan", "shan_office"])
def test_a_case_outside_the_scope_is_404_exactly_as_a_missing_one(heze, signed_in, permit_case, outsider):
    client = signed_in(getattr(heze.users, outsider))
    attachment = services.attachment_add(heze.actor("ent_cao"), permit_case.number, photo())
    for response in (
        client.get(f"/cases/{permit_case.number}"),
        client.post(f"/cases/{permit_case.number}/do/comment", {"comment-note": "看看"}),
        client.get(f"/cases/{permit_case.number}/files/{attachment.pk}"),
    ):
        assert response.status_code == 404
        assert "页面或工单不存在" in response.content.decode()
    assert client.get("/cases/HZ99999999").status_code == 404


def test_case_page_reads_in_a_fixed_number_of_queries(heze, signed_in, permit_case, django_assert_max_num_queries):
    """No query per event: the page costs the same with a long history (the 1,000,000-case figure is in bench/)."""
    handler = heze.actor("cao_zjj")
    for action, payload in [("accept", {}), ("contact", {}), ("opinion", {"opinion": "正在办理"})]:
        services.case_transition(handler, permit_case.number, action, payload)
    for n in range(10):
        services.case_transition(handler, permit_case.number, "comment", {"note": f"进展{n}"})
    client = signed_in(heze.users.cao_zjj)
    with django_assert_max_num_queries(12):
        assert client.get(f"/cases/{permit_case.number}").status_code == 200
    with django_assert_max_num_queries(
        7
    ):  # session, user, role, summary, a page of the inbox, assisting cases, the bell
        assert client.get("/desk").status_code == 200
