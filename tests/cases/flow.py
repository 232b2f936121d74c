"""Moving a case through the real workflow in tests: submit through the service, act through `workflow.apply`.

Times default to November 2026, which has no statutory holiday, so working days are Monday to Friday.
"""

from django.utils import timezone

from tests.conftest import at
from whistle.cases import services, workflow
from whistle.cases.models import Case, CaseEvent

MONDAY = at(2026, 11, 2, 10, 0)

# The path of a case in 曹县 under 施工许可 (dispatched by the catalogue to 曹县住建局), one moment per step.
PATH = [
    ("accept", "cao_zjj", {}, at(2026, 11, 2, 10, 30)),
    ("contact", "cao_zjj", {"method": "phone", "note": "已电话联系王经理"}, at(2026, 11, 2, 11, 0)),
    ("opinion", "cao_zjj", {"opinion": "材料齐全，三个工作日内办结"}, at(2026, 11, 2, 15, 0)),
    ("reply", "cao_zjj", {"content": "施工许可证已核发"}, at(2026, 11, 5, 10, 0)),
]
STATE_AFTER = {"dispatched": 0, "accepted": 1, "contacted": 2, "in_progress": 3, "replied": 4}


def submit(heze, user="ent_cao", *, category="construction-permit", now=None, **fields) -> Case:
    fields.setdefault("kind", "help")
    fields.setdefault("description", "厂房施工许可办理慢，材料已交两周没有答复")
    case, _ = services.case_submit(heze.actor(user), category=category, now=now or MONDAY, **fields)
    return case


def act(heze, case, action, user, payload=None, now=None) -> Case:
    actor = heze.actor(user) if isinstance(user, str) else user
    return workflow.apply(case.number, action, actor, payload or {}, now)


def case_in(heze, state: str, *, present: bool = False, **submit_fields) -> Case:
    """A case of ent_cao led by 曹县住建局, walked along PATH up to `state`. `present`: every step at the moment it
    runs, for tests that then act over HTTP at the real time and need the case still inside its deadlines."""
    case = submit(heze, now=timezone.now() if present else None, **submit_fields)
    for action, user, payload, now in PATH[: STATE_AFTER[state]]:
        case = act(heze, case, action, user, payload, timezone.now() if present else now)
    assert case.state == state
    return case


def actions(case) -> list[str]:
    return list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq").values_list("action", flat=True))


def last_event(case) -> CaseEvent:
    return CaseEvent.objects.filter(case_id=case.pk).order_by("-seq").first()


def reload(case) -> Case:
    return Case.objects.get(pk=case.pk)
