"""`{% patronage_origin case %}`: the case page's link back to the visit (for the web case template to include)."""

from django.template import Context, Template
from django.test import RequestFactory

from whistle.patronage import services


def _render(case, user):
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load patronage %}{% patronage_origin case %}").render(
        Context({"case": case, "request": request})
    )


def test_case_from_a_visit_links_back_to_the_visit_and_patronage(assigned):
    visit = services.visit_log(
        assigned.actor("cao_leader"),
        assigned.patronage.pk,
        visited_on="2026-03-10",
        participants="县长",
        problems=["道路积水"],
    )
    case = services.problem_to_case(assigned.actor("cao_leader"), visit.problems.get().pk, category="construction")
    html = _render(case, assigned.users.cao_leader)
    assert (
        f'href="/patronage/{assigned.patronage.pk}/#visit-{visit.pk}"' in html
        and "领导包保走访 · 曹县木业有限公司" in html
    )
    assert _render(case, assigned.users.ent_cao).strip() == ""  # the enterprise sees the case, not the patronage


def test_case_page_shows_where_a_visit_case_came_from(assigned, client):
    visit = services.visit_log(
        assigned.actor("cao_leader"),
        assigned.patronage.pk,
        visited_on="2026-03-10",
        participants="县长",
        problems=["道路积水"],
    )
    case = services.problem_to_case(assigned.actor("cao_leader"), visit.problems.get().pk, category="construction")
    client.force_login(assigned.users.cao_leader)
    page = client.get(f"/cases/{case.number}").content.decode()
    assert f'href="/patronage/{assigned.patronage.pk}/#visit-{visit.pk}"' in page
