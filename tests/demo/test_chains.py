"""`whistle seed` adds two drawn chains, their lists, a pipeline along the stages and leaders' trips, for the office
`lianban`; a leader sees the ten chains."""

import pytest
from django.contrib.auth import get_user_model

from whistle.chains import selectors
from whistle.chains.models import Project
from whistle.org.scopes import Actor

pytestmark = pytest.mark.django_db


def test_demo_seeder_fills_the_chain_pages(demo):
    assert "产业链：10条" in demo
    office = Actor.of(get_user_model().objects.get(username="lianban"))
    assert [c.code for c in selectors.chains_for(office)] == ["biomedicine", "chemicals"]
    bio = selectors.chain_get(office, "biomedicine")
    nodes = selectors.chain_map(bio)
    assert len(nodes) > 10 and {n.coverage for n in nodes} == {"covered", "partial", "gap"}
    stages = {p.stage.code for p in Project.objects.filter(chain=bio)}
    assert {"target", "signed", "started", "in_production"} <= stages
    leader = Actor.of(get_user_model().objects.get(username="shilingdao"))
    assert len(selectors.board(leader, 2026)) == 10
