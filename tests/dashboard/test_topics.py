"""Hot topics (热点问题, the start of a 每月一题 choice) against a hand-made month of cases."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from tests.org.test_province import province  # noqa: F401 — 菏泽 and 济南 under 山东
from whistle.cases import services
from whistle.dashboard import topics

TEXTS = [  # (enterprise, category, text): words counted by hand below
    ("ent_cao", "construction-permit", "新厂房施工许可迟迟办不下来，已提交材料两周"),
    ("ent_cao", "construction-permit", "施工许可网上办卡在规划许可环节"),
    ("ent_cao", "construction", "厂区用电报装一个月没人来，施工许可也没批"),
    ("ent_cao", "other", "厂区门口道路破损，货车进出困难，用电报装也慢"),
    ("ent_shan", "construction", "单县厂房竣工验收咨询，施工许可和竣工验收材料清单"),
]


@pytest.fixture
def month_cases(heze):
    made = []
    for who, category, text in TEXTS:
        case, _ = services.case_submit(heze.actor(who), kind="help", category=category, description=text)
        made.append(case)
    return made


def this_month():
    return timezone.localdate().replace(day=1)


def _ledger_numbers(client, url):
    return set(re.findall(r'<span class="num">(HZ\d{8})</span>', client.get(url).content.decode()))


def test_topics_words_counted_once_per_case_biggest_first(heze, month_cases):
    result = topics.hot_topics(heze.actor("city_leader"), this_month(), limit=50)
    words = {w["name"]: w["count"] for w in result["words"]}
    assert words["施工许可"] == 4  # in four of the five texts (twice in none counts once)
    assert words["用电报装"] == 2 and words["竣工验收"] == 1
    assert result["words"][0]["name"] == "施工许可"
    assert result["docs"] == 5 and result["pending"] == 0
    counts = [w["count"] for w in result["words"]]
    assert counts == sorted(counts, reverse=True)


def test_topics_stop_words_and_single_characters_are_left_out(heze, month_cases):
    words = {w["name"] for w in topics.hot_topics(heze.actor("city_leader"), this_month(), limit=50)["words"]}
    assert not words & {"已", "没", "也", "一个", "咨询"}
    assert all(len(w) >= 2 for w in words)


def test_topics_user_dictionary_keeps_unit_names_and_abbreviations_whole(heze):
    words = topics.words_of("曹县住房和城乡建设局说用电报装要找单县住房和城乡建设局，留抵退税也没办")
    assert {"曹县住房和城乡建设局", "单县住房和城乡建设局", "用电报装", "留抵退税"} <= words


def test_topics_stop_words_and_terms_are_data_a_city_edits(heze, month_cases, settings, tmp_path):
    stops = tmp_path / "stop.txt"
    stops.write_text("# 本市不统计的词\n施工许可\n", encoding="utf-8")
    terms = tmp_path / "terms.txt"
    terms.write_text("迟迟办不下来\n", encoding="utf-8")
    settings.WHISTLE_TOPICS_STOPWORDS, settings.WHISTLE_TOPICS_USERDICT = str(stops), str(terms)
    topics.store().clear()  # counted again with the city's words
    words = {
        w["name"]: w["count"] for w in topics.hot_topics(heze.actor("city_leader"), this_month(), limit=50)["words"]
    }
    assert "施工许可" not in words and words["迟迟办不下来"] == 1


def test_topics_categories_count_each_cases_own_category_and_link_exactly_those(heze, month_cases, client):
    result = topics.hot_topics(heze.actor("city_leader"), this_month())
    cats = {c["code"]: c for c in result["categories"]}
    assert {code: c["count"] for code, c in cats.items()} == {"construction-permit": 2, "construction": 2, "other": 1}
    client.force_login(heze.users.city_leader)
    by_number = {c.number: c for c in month_cases}
    for code, c in cats.items():
        listed = _ledger_numbers(client, c["url"])
        assert len(listed) == c["count"] and all(by_number[n].category.code == code for n in listed)


def test_topics_word_link_lists_the_cases_with_that_word(heze, month_cases, client):
    client.force_login(heze.users.city_leader)
    for w in topics.hot_topics(heze.actor("city_leader"), this_month())["words"][:3]:
        query = parse_qs(urlparse(w["url"]).query)
        assert query["q"] == [w["name"]]
        assert len(_ledger_numbers(client, w["url"])) == w["count"]


def test_topics_scope_a_county_leader_sees_only_the_county(heze, month_cases):
    result = topics.hot_topics(heze.actor("cao_leader"), this_month(), limit=50)
    words = {w["name"]: w["count"] for w in result["words"]}
    assert result["docs"] == 4 and words["施工许可"] == 3 and "竣工验收" not in words
    assert "construction" in {c["code"] for c in result["categories"]}
    assert sum(c["count"] for c in result["categories"]) == 4


def test_topics_are_cached_and_grow_by_the_new_cases_only(heze, month_cases):
    actor = heze.actor("city_leader")
    first = topics.refresh(actor, this_month())
    assert first["docs"] == 5 and first["complete"]
    services.case_submit(heze.actor("ent_shan"), kind="help", category="construction", description="用电报装排队太久")
    assert topics.pending(actor, this_month()) == 1
    again = topics.hot_topics(actor, this_month(), compute=0)  # the cache only: the new case waits for the worker
    assert again["docs"] == 5 and again["pending"] == 1
    result = topics.hot_topics(actor, this_month())
    assert result["docs"] == 6 and {w["name"]: w["count"] for w in result["words"]}["用电报装"] == 3


def test_topics_tokenise_at_most_the_batch_per_call(heze, month_cases):
    actor = heze.actor("city_leader")
    assert topics.refresh(actor, this_month(), limit=2)["docs"] == 2
    part = topics.hot_topics(actor, this_month(), compute=2)  # three left: more than a request may take on
    assert part["docs"] == 2 and part["pending"] == 3
    assert topics.hot_topics(actor, this_month(), compute=10)["docs"] == 5


def test_topics_worker_job_warms_the_city_and_each_county(heze, month_cases):
    counts = topics.refresh_topics(timezone.now())
    assert counts["topics_tokenised"] == 5 + 4 + 1  # the city, 曹县, 单县
    assert topics.hot_topics(heze.actor("shan_office"), this_month(), compute=0)["docs"] == 1
    assert topics.refresh_topics(timezone.now())["topics_tokenised"] == 0


def test_topics_an_empty_month(heze):
    result = topics.hot_topics(heze.actor("city_leader"), dt.date(2020, 1, 1))
    assert result["words"] == [] and result["categories"] == [] and result["docs"] == 0


def test_topics_unit_names_lose_their_own_citys_name(province):  # noqa: F811
    """A province's units lose the name of their own city (core.wording per city): 济南市市场监督管理局 gives
    市场监督管理局, not 场监督管理局 as the deployment's 菏泽市 and the generic pattern would."""
    from whistle.core import wording
    from whistle.core.models import Wording

    Wording.objects.create(key="city_name", text="济南市", description="本市名称", city=province.jinan)
    wording.clear_cache()
    words = set(topics.user_words())
    assert "济南市市场监督管理局" in words and "市场监督管理局" in words
    assert "场监督管理局" not in words
