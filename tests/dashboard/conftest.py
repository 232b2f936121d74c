"""Hand-built cases with every fact set on purpose, so each rate can be computed by hand.

March 2026 in 曹县, led by 曹县住建局 (seven cases):
  c1 contact ✓ opinion ✓ replied on time, resolved / satisfied, closed
  c2 contact ✗ opinion ✓ replied late, partly resolved / basically satisfied, closed
  c3 contact ✓ opinion ✗ open with a red card (overdue, not replied)
  c4 contact ✓ opinion ✓ followed: unresolved / unsatisfied → reopened
  c5 contact ✓ opinion ✓ replied on time, unreachable at follow-up, returned once, closed
  c6 poor-rating rectification, contact ✓, its rater called back (a recorded outcome)
  c7 poor-rating rectification, never contacted
"""

import datetime as dt

import pytest

from tests.conftest import at
from whistle.cases.models import Case, SlaProfile
from whistle.dashboard import case_rollup

MARCH = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _empty_shared_caches(db):
    """Each test starts with no stored cockpit pages and no hot-topic counts (the caches every web host and the
    worker share: a database table here, whose rows outlive a test's rollback when a test commits)."""
    from django.core.cache import caches

    caches["topics"].clear()
    caches["pages"].clear()


def make_case(
    heze,
    *,
    county=None,
    lead=None,
    submitted=None,
    contact=None,
    opinion=None,
    replied=None,
    follow=None,
    state="in_progress",
    card="none",
    returns=0,
    reopens=0,
    channel="web",
    title="测试工单",
    **exact,
):
    """contact/opinion/replied: True (in time), False (late), None (not done). follow: (resolution, satisfaction).
    `exact`: columns set as given, over the ones derived above (e.g. contact_due_at, contacted_at)."""
    submitted = submitted or at(2026, 3, 10)
    lead = lead or heze.cao_zjj
    due = submitted + dt.timedelta(hours=2)
    fields = dict(
        kind="help",
        channel=channel,
        category=heze.cat_build,
        title=title,
        description="说明",
        contact_name="王",
        contact_phone="13900000000",
        county=county or heze.cao,
        lead_unit=lead,
        sla_profile=SlaProfile.objects.get(is_default=True),
        state=state,
        is_open=state != "closed",
        card=card,
        returns_count=returns,
        reopen_count=reopens,
        submitted_at=submitted,
        dispatched_at=submitted,
        contact_due_at=due,
        opinion_due_at=submitted + dt.timedelta(days=1),
        resolve_due_at=submitted + dt.timedelta(days=20),
    )
    if contact is not None:
        fields["contacted_at"] = due - dt.timedelta(hours=1) if contact else due + dt.timedelta(hours=1)
    if opinion is not None:
        fields["opinion_at"] = fields["opinion_due_at"] + dt.timedelta(hours=-1 if opinion else 1)
    if replied is not None:
        fields["replied_at"] = fields["resolve_due_at"] + dt.timedelta(days=-1 if replied else 1)
    if follow:
        fields["resolution"], fields["satisfaction"] = follow
        fields["followed_up_at"] = submitted + dt.timedelta(days=25)
    return Case.objects.create(**{**fields, **exact})


def march_cases(heze, lead=None, county=None, submitted=None):
    kw = dict(lead=lead, county=county, submitted=submitted)
    return [
        make_case(
            heze, contact=True, opinion=True, replied=True, follow=("resolved", "satisfied"), state="closed", **kw
        ),
        make_case(
            heze,
            contact=False,
            opinion=True,
            replied=False,
            follow=("partly", "basically_satisfied"),
            state="closed",
            **kw,
        ),
        make_case(heze, contact=True, opinion=False, card="red", **kw),
        make_case(
            heze, contact=True, opinion=True, follow=("unresolved", "unsatisfied"), state="reopened", reopens=1, **kw
        ),
        make_case(
            heze, contact=True, opinion=True, replied=True, follow=("unreachable", ""), state="closed", returns=1, **kw
        ),
        _called_back(heze, make_case(heze, contact=True, channel="rating", **kw)),
        make_case(heze, contact=None, channel="rating", **kw),
    ]


def _called_back(heze, case):
    """c6's rater was called back: its poor rating has a recorded call-back outcome, which is what 差评回访率 counts
    (issue 12), not the case's contact step."""
    from whistle.ratings.models import CallBack, Rating, Window

    window = Window.objects.create(
        name="回访窗口", unit=case.lead_unit, supervision_phone="0530-1234567", hall="政务大厅"
    )
    rating = Rating.objects.create(
        window=window, unit=case.lead_unit, level=1, created_at=case.submitted_at, device_hash="c6", rectification=case
    )
    CallBack.objects.create(rating=rating, outcome="reached", actor_label="承办人", at=case.submitted_at)
    return case


@pytest.fixture
def march(heze):
    cases = march_cases(heze)
    case_rollup.rebuild()
    return cases
