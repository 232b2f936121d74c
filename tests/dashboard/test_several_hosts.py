"""Several web hosts (issue 11, item 6): two real granian processes with separate var directories on one database
and the worker run once from a third; both hosts show the hot topics and the stored cockpit page the worker made,
through the shared caches (the database's cache tables, or Redis with WHISTLE_REDIS_URL)."""

import uuid

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

from tests import hosts
from whistle.cases import services
from whistle.core.months import month_of
from whistle.dashboard import cockpit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REDIS_URL = "redis://127.0.0.1:6379/0"
TEXTS = [
    "厂区用电报装一个月没人来，施工许可也没批",
    "厂区门口道路破损，货车进出困难，用电报装也慢",
    "施工许可材料清单咨询，用电报装进度",
]


def _redis_reachable() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_web_hosts_show_the_same_hot_topics_and_cockpit_the_worker_warmed(heze, tmp_path, backend):
    prefix = f"test-hosts-{uuid.uuid4().hex[:12]}"  # this run's keys only: nothing else on the shared Redis is touched
    extra = {"WHISTLE_CACHE_PREFIX": prefix}
    if backend == "redis":
        if not _redis_reachable():
            pytest.fail("Redis must run on 127.0.0.1:6379 (it does on these machines and in CI; .ci/run starts it)")
        extra["WHISTLE_REDIS_URL"] = REDIS_URL
        pages = RedisCache(REDIS_URL, {"KEY_PREFIX": f"{prefix}:pages"})
    else:
        pages = DatabaseCache("whistle_cache_pages", {"KEY_PREFIX": f"{prefix}:pages"})
    for text in TEXTS:
        services.case_submit(heze.actor("ent_cao"), kind="help", category="construction-permit", description=text)

    key = cockpit._key(heze.actor("city_leader"), month_of(timezone.now()))
    page = f"/dashboard?month={timezone.localdate():%Y-%m}"  # the cases are this month's; the page opens on the last
    try:
        with hosts.web_host(tmp_path / "a", **extra) as a, hosts.web_host(tmp_path / "b", **extra) as b:
            before = [hosts.signed_in(url, "city_leader").get(page) for url in (a, b)]
            hosts.run_worker_once(tmp_path / "a", **extra)
            warmed = pages.get(key)
            assert warmed is not None, "the worker stored the city's cockpit page in the shared cache"
            after = {url: hosts.signed_in(url, "city_leader").get(page) for url in (a, b)}
            stored = pages.get(key)
    finally:
        if backend == "redis":
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for found in client.scan_iter(match=f"{prefix}:*"):
                client.delete(found)

    # Before the worker, hot topics are left to it: neither host tokenises case texts in a request.
    assert all(r.status_code == 200 and "用电报装" not in r.text for r in before)
    for url, response in after.items():
        assert response.status_code == 200, url
        assert "用电报装" in response.text, f"{url} shows the hot topics the worker counted"
    # Neither host recomputed the page: both served the one the worker stored.
    assert stored["computed_at"] == warmed["computed_at"]
    # The hot topics are not in the stored page: each request reads them from the topics cache the worker filled.
    assert "topics" not in stored["data"]
