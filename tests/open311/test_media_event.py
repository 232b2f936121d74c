"""Open311 media goes through the cases service (issue 15): the file arrives as the system's `attach` event, in the
case's hash chain and on its timeline, like any upload."""

import pytest

from tests.open311.test_post import BASE, PNG, case_of
from whistle.cases.audit import verify
from whistle.cases.models import CaseAttachment, CaseEvent

# verify() reads every case number from 1: start the numbers afresh (an earlier live-server test's flush empties the
# tables but leaves SQLite's AUTOINCREMENT counter where it was, which verify rightly reports as deleted cases).
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True, serialized_rollback=True)


def test_open311_media_is_an_attach_event_in_the_chain(o311):
    response = o311.http.post(
        "/requests.json", data={**BASE, "api_key": o311.key}, files={"media": ("pothole.png", PNG, "image/png")}
    )
    case = case_of(response)
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.uploaded_by is None
    attach = CaseEvent.objects.get(case=case, action="attach")
    assert (attach.actor_id, attach.actor_label) == (None, "系统")
    assert attach.payload == {"name": attachment.name, "size": len(PNG), "content_type": "image/png"}
    case.refresh_from_db()
    assert case.event_seq == CaseEvent.objects.filter(case=case).count() and case.last_event_hash == (
        CaseEvent.objects.filter(case=case).order_by("-seq").values_list("hash", flat=True).first()
    )
    assert verify().ok


def test_open311_post_without_media_writes_no_attach_event(o311):
    response = o311.http.post("/requests.json", data={**BASE, "api_key": o311.key})
    assert not CaseEvent.objects.filter(case=case_of(response), action="attach").exists()
