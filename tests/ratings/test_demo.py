"""The ratings demo seeder: cadres and windows, a year of imported ratings, live poor ratings with their cases."""

from types import SimpleNamespace

from whistle.cases.models import Case
from whistle.org.models import Unit
from whistle.ratings import rating_rollup
from whistle.ratings.demo import seed_demo
from whistle.ratings.models import Cadre, Rating, Window


def test_demo_seeder_registers_cards_and_rates_them(heze):
    units = {u.code: u for u in Unit.objects.all()}
    org = SimpleNamespace(city=heze.city, counties=[heze.cao, heze.shan], units=units)
    line = seed_demo(org, ratings=400)
    assert Cadre.objects.count() == 6 and Window.objects.count() == 3
    assert Rating.objects.exclude(external_id="").count() == 400
    assert Rating.objects.filter(external_id="", rectification__isnull=False).count() == 6
    assert Case.objects.count() == 6 and rating_rollup.verify()[1] == []
    assert "导入评价 400 条" in line and "现场差评 6 条" in line
