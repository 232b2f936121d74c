from whistle.cases import services, workflow

from tests.conftest import at


def test_case_from_catalogue_is_dispatched_to_county_unit(heze):
    case, created = services.case_submit(heze.actor("ent_cao"), kind="help", category="construction-permit",
                                         description="厂房施工许可办理慢", now=at(2026, 11, 2))
    assert created and case.state == "dispatched" and case.lead_unit == heze.cao_zjj
    case = workflow.apply(case.number, "accept", heze.actor("cao_zjj"), {}, at(2026, 11, 2, 11))
    assert case.state == "accepted"
