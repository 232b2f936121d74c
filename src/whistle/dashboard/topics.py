"""Hot topics (热点问题), the start of a 每月一题 choice: the month's most frequent problems in the actor's scope,
by category and by the words of the case text.

Words come from jieba (nouns, by its part-of-speech tags) with a user dictionary (the names and short names of the units, the categories, and the
abbreviations enterprises write) and a stop-word list. Tokenising a month of texts is far too slow for a request,
so each scope's word counts are kept in a cache entry per (scope, month) that grows incrementally: a call
tokenises only the cases added since the entry's watermark (the highest case id it has seen), at most
`BATCH` of them, and the worker job `refresh_topics` keeps the city and every county warm. The cache is Django's
cache named "topics" (settings.CACHES: Redis or a database table), so every web host and the worker share it.

A word's figure is the number of cases whose text jieba cut into that word (document frequency); its link opens
the 台账 for that month filtered on the text containing the word (a case where the word only appears inside a
longer dictionary word is listed there too, so the list can be a little longer than the figure).

Data a city changes (abbreviations and stop words) is read from files named by the settings
`WHISTLE_TOPICS_USERDICT` and `WHISTLE_TOPICS_STOPWORDS` (one entry a line, `#` starts a comment) when set;
the defaults below apply otherwise. Unit and category names come from their tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from whistle.cases.models import Case, Category
from whistle.cases.selectors import case_list
from whistle.core import wording
from whistle.core.months import month_bounds
from whistle.org.models import Membership, Role, Unit, UnitKind
from whistle.org.scopes import READ_ALL_ROLES, Actor

# Abbreviations and terms of the enterprise-service field that jieba's general dictionary would cut apart.
DEFAULT_TERMS = """
企业吹哨 部门报到 吹哨办 接诉即办 营商环境 好差评 差评整改 三亮 包保 专班 遍访 规上企业 规上 规下
施工许可 竣工验收 消防验收 环评 能评 安评 土地证 不动产证 不动产登记 规划许可 用地审批 工程款 农民工工资
营业执照 税务登记 增值税 留抵退税 出口退税 社保 公积金 用电报装 用水报装 燃气报装 电力增容 停电 断水
融资难 贷款 担保 应急转贷 政策兑现 奖补资金 招商引资 项目审批 审批慢 手续 证照 办证 网上办 一网通办
道路破损 厂区门口 物流 园区 标准厂房 排污 排污许可 环保督察 安全检查 执法检查 罚款 首违不罚
""".split()

# Words that say nothing about the problem: function words, politeness and the filler of complaint texts.
DEFAULT_STOP_WORDS = set(
    """
的 了 和 是 在 有 我 我们 我司 公司 企业 贵 您 你 他 她 它 他们 这 那 这个 那个 一个 没有 不 也 都 就 还 又 很 非常 比较
请 请求 希望 要求 反映 问题 情况 相关 有关 进行 需要 能否 是否 可以 能够 已经 目前 现在 一直 由于 因为 所以 但是 然而 如果
以及 或者 等 等等 关于 对于 按照 通过 及时 尽快 帮助 协调 解决 处理 办理 给予 予以 一下 什么 怎么 如何 为什么 哪里
之前 之后 以后 以来 期间 今年 去年 本月 上月 多次 一次 两次 几次 多月 多天 迟迟 至今 仍然 仍未 没能 不能 无法 未能
咨询 建议 投诉 求助 诉求 工单 事项 方面 工作 部门 单位 县 市 镇 乡 区 街道 人员 工作人员 电话 联系 回复 答复
影响 指导 申报 申请 项目 时间 现场 计划 条件 流程 标准 机构 生产 新建 新增 完成 提交 提供 调整 进度 情况 结果 方式 时候
""".split()
)
# Parts of speech (jieba's tags) that can name a problem: nouns of every kind, verbal nouns, idioms and
# abbreviations. The user dictionary's words always count.
NOUN_TAGS = {"n", "nz", "nt", "ns", "nl", "ng", "vn", "l", "j"}

BATCH = 5_000  # cases tokenised per call for one scope (some 20 s on a busy core); the rest waits for the next run
MIN_WORD_LENGTH = 2

_tokenizer = None
_tokenizer_key = ""
_lock = threading.Lock()


# ---- data ------------------------------------------------------------------------------------------------


def _lines(path: str | None) -> list[str]:
    if not path:
        return []
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line.split()[0])
    return out


def stop_words() -> set[str]:
    extra = _lines(getattr(settings, "WHISTLE_TOPICS_STOPWORDS", None))
    return (
        set(extra) if getattr(settings, "WHISTLE_TOPICS_STOPWORDS_REPLACE", False) else DEFAULT_STOP_WORDS | set(extra)
    )


def user_words() -> list[str]:
    """The user dictionary: unit names and short names (with and without the city/county prefix and the
    government suffix), category names, and the abbreviations."""
    words: set[str] = set(DEFAULT_TERMS) | set(_lines(getattr(settings, "WHISTLE_TOPICS_USERDICT", None)))
    # Each unit loses the name of its own city (a province's cities each have theirs, core.wording), else the
    # deployment's; a province's own units have no city.
    prefixes: dict[int | None, str] = {}
    for name, short, city_id in Unit.objects.filter(is_active=True).values_list("name", "short_name", "city_id"):
        if city_id not in prefixes:
            prefixes[city_id] = re.escape(wording.text("city_name", city_id))
        city = prefixes[city_id]
        for w in (name, short):
            if not w:
                continue
            words.add(w)
            bare = re.sub(rf"^({city}|.{{1,3}}[县区]|.{{1,3}}市)", "", w)
            bare = re.sub(r"(人民政府|办公室)$", "", bare)
            if len(bare) >= MIN_WORD_LENGTH:
                words.add(bare)
    words.update(Category.objects.values_list("name", flat=True))
    return sorted(w for w in words if len(w) >= MIN_WORD_LENGTH)


def tokenizer():
    """A jieba tokenizer loaded with the user dictionary; rebuilt when the dictionary changes."""
    global _tokenizer, _tokenizer_key
    import jieba

    words = user_words()
    key = hashlib.sha1("\n".join(words).encode()).hexdigest()
    with _lock:
        if _tokenizer is None or key != _tokenizer_key:
            from jieba import posseg

            jieba.setLogLevel(60)
            tok = jieba.Tokenizer()
            for w in words:
                tok.add_word(w, freq=max(2000, 300 * len(w)), tag="nz")
            _tokenizer, _tokenizer_key = posseg.POSTokenizer(tok), key
        return _tokenizer


_WORDLIKE = re.compile(r"[\u4e00-\u9fff]")


def words_of(text: str, tok=None, stops: set[str] | None = None) -> set[str]:
    """The distinct words of one text that can name a problem: nouns (and the dictionary's terms) in Chinese,
    two characters or more, not stop words."""
    tok = tok or tokenizer()
    stops = stop_words() if stops is None else stops
    return {
        w
        for w, tag in tok.lcut(text, HMM=False)
        if len(w) >= MIN_WORD_LENGTH and tag in NOUN_TAGS and _WORDLIKE.search(w) and w not in stops
    }


# ---- scopes and the cache ------------------------------------------------------------------------------


def scope_key(actor: Actor) -> str:
    """Actors who see the same cases share one entry."""
    if (
        actor.is_system
        or actor.role in READ_ALL_ROLES
        or (actor.role in (Role.COORDINATOR, Role.LEADER) and actor.sees_all)
    ):
        return "all"
    if actor.role in (Role.COORDINATOR, Role.LEADER) and actor.scope_root is not None:
        return f"unit{actor.scope_root.pk}"
    if actor.role == Role.ENTERPRISE:
        return f"ent{actor.enterprise_id}"
    return f"member{actor.membership.pk if actor.membership else 0}"


def store() -> BaseCache:
    """The hot topics' shared cache (settings.CACHES["topics"])."""
    return caches["topics"]


_instances: dict[str, str] = {}


def _database_instance() -> str:
    """Which database this is: its address and name, and when its first migration ran (a database dropped and
    created again under the same name, like a test database, is another one)."""
    d = connection.settings_dict
    where = f"{connection.vendor}:{d.get('HOST', '')}:{d.get('PORT', '')}:{d.get('NAME')}"
    if where not in _instances:
        from django.db.migrations.recorder import MigrationRecorder

        first = MigrationRecorder.Migration.objects.order_by("pk").values_list("applied", flat=True).first()
        _instances[where] = hashlib.sha1(f"{where}:{first}".encode()).hexdigest()[:12]
    return _instances[where]


def _entry_key(scope: str, month: dt.date) -> str:
    return f"topics:v2:{_database_instance()}:{scope}:{month:%Y-%m}"


def _month_cases(actor: Actor, month: dt.date):
    start, end = month_bounds(month)
    return case_list(actor).order_by().filter(submitted_at__gte=start, submitted_at__lt=end)


def _valid(entry: dict | None) -> bool:
    """An entry is trusted only while the case at its watermark is still the one it saw (a restored or
    rebuilt database starts over)."""
    if not entry:
        return False
    if not entry["upto"]:
        return True
    found = Case.objects.filter(pk=entry["upto"]).values_list("submitted_at", flat=True).first()
    return found is not None and found.isoformat() == entry["upto_at"]


def refresh(actor: Actor, month: dt.date, limit: int = BATCH) -> dict:
    """Tokenise up to `limit` of the scope's cases of the month not seen yet; returns the entry
    (`docs`: cases counted, `words`: Counter, `upto`: watermark, `complete`: nothing left)."""
    key = _entry_key(scope_key(actor), month)
    entry = store().get(key)
    if not _valid(entry):
        entry = {"upto": 0, "upto_at": "", "docs": 0, "words": Counter(), "categories": Counter(), "complete": False}
    rows = list(
        _month_cases(actor, month)
        .filter(pk__gt=entry["upto"])
        .order_by("pk")
        .values_list("pk", "submitted_at", "title", "description", "category_id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if rows or not entry["complete"]:
        tok, stops = tokenizer(), stop_words()
        for pk, submitted_at, title, description, category_id in rows:
            entry["words"].update(words_of(f"{title}\n{description}", tok, stops))
            entry["categories"][category_id] += 1
            entry["docs"] += 1
            entry["upto"], entry["upto_at"] = pk, submitted_at.isoformat()
        entry["complete"] = not more
        store().set(key, entry)
    return entry


def pending(actor: Actor, month: dt.date) -> int:
    """How many of the scope's cases of the month the cache has not tokenised yet (one indexed count)."""
    entry = store().get(_entry_key(scope_key(actor), month))
    upto = entry["upto"] if _valid(entry) else 0
    return _month_cases(actor, month).filter(pk__gt=upto).count()


# ---- the reading -------------------------------------------------------------------------------------------


def _ledger_link(month: dt.date, **filters) -> str:
    start, end = month_bounds(month)
    last = (end - dt.timedelta(days=1)).date()
    return (
        reverse("web:ledger")
        + "?"
        + urlencode({"view": "all", "date_from": start.date().isoformat(), "date_to": last.isoformat(), **filters})
    )


def hot_categories(entry: dict, month: dt.date, limit: int = 10) -> list[dict]:
    """The categories of the cases an entry has counted (each case's own category, as submitted)."""
    top = entry.get("categories", Counter()).most_common()
    found = Category.objects.in_bulk([pk for pk, _ in top])
    rows = sorted(((found[pk], n) for pk, n in top if pk in found), key=lambda cn: (-cn[1], cn[0].code))[:limit]
    return [
        {"code": c.code, "name": c.name, "count": n, "url": _ledger_link(month, category=c.code, category_exact="on")}
        for c, n in rows
    ]


def hot_topics(
    actor: Actor, month: dt.date, limit: int = 10, *, compute: int | None = BATCH, month_cases: int | None = None
) -> dict:
    """The month's most frequent problems in the actor's scope: `categories` (by the case's own category) and
    `words` (nouns of title and text, by jieba), each `{name, count, url}` biggest first (ties by name), over the
    `docs` cases counted so far. `compute`: tokenise the scope's uncounted cases of the month here if there are
    no more than that many, else (or with None or 0) read the cache only and leave them to the worker job;
    `pending` says how many are left. `month_cases` (the scope's cases of the month, e.g. from the metrics
    rollup) saves counting them."""
    month = dt.date(month.year, month.month, 1)
    entry = store().get(_entry_key(scope_key(actor), month))
    if not _valid(entry):
        entry = None
    docs = entry["docs"] if entry else 0
    left = max(0, month_cases - docs) if month_cases is not None else pending(actor, month)
    if compute and left <= compute and (left or entry is None):
        entry = refresh(actor, month, compute)
        left = 0 if entry["complete"] else pending(actor, month)
    entry = entry or {"docs": 0, "words": Counter(), "categories": Counter()}
    top = sorted(entry["words"].items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    words = [{"name": w, "count": n, "url": _ledger_link(month, q=w)} for w, n in top]
    return {
        "month": month,
        "categories": hot_categories(entry, month, limit),
        "words": words,
        "docs": entry["docs"],
        "pending": left,
    }


# ---- the worker job ----------------------------------------------------------------------------------------


class _ScopeUser:
    """A stand-in user for the worker's per-scope reads and pages (never saved, never signs in)."""

    pk = None
    is_authenticated = True

    def get_username(self):
        return "worker"


def active_scopes() -> list[Actor]:
    """One actor per scope someone can open the cockpit for: the city (auditors, administrators and city-wide
    offices and leaders) and the subtree of every active leader's and coordinator's unit. The worker keeps the hot
    topics and the cockpit pages of exactly these."""
    found = {"all": Actor(user=_ScopeUser(), membership=Membership(role=Role.AUDITOR))}
    members = (
        Membership.objects.filter(role__in=[Role.LEADER, Role.COORDINATOR], user__is_active=True, unit__is_active=True)
        .select_related("unit", "unit__parent")
        .order_by("unit__path")
    )
    for m in members:
        unit = m.unit.parent if m.unit.kind == UnitKind.COORDINATION_OFFICE and m.unit.parent_id else m.unit
        actor = Actor(user=_ScopeUser(), membership=Membership(role=Role.LEADER, unit=unit))
        found.setdefault(scope_key(actor), actor)
    return list(found.values())


def refresh_topics(now: dt.datetime) -> dict:
    """Worker job: bring this month's and last month's entries of every active scope up to date."""
    local = timezone.localtime(now).date()
    this = local.replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    done = 0
    for actor in active_scopes():
        for month in (this, last):
            before = store().get(_entry_key(scope_key(actor), month))
            before_docs = before["docs"] if _valid(before) else 0
            done += refresh(actor, month)["docs"] - before_docs
    return {"topics_tokenised": done}
