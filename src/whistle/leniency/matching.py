"""Which list items a finding's text matches: by field (the inspector's department enforces in it) and by words.

Words are cut by jieba with the hot-topics user dictionary (`dashboard.topics.user_words`: unit and category names,
the field's abbreviations) plus the terms of enforcement below, and the hot topics' stop words. Unlike hot topics,
verbs count here ("未公示", "超范围经营"): a violation is an act. An item's words are cut once, when it is saved or
imported (`ListItem.words`); a finding is cut once per suggestion, and the score is the idf-weighted overlap of the
two sets, so matching a finding against a 400-item list is a few hundred set intersections (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass

# Terms of the enforcement lists that jieba's general dictionary would cut apart.
TERMS = """
营业执照 醒目位置 明码标价 价格标签 食品经营许可证 健康证明 从业人员 进货查验 进货查验记录 索证索票 标签标识 生产日期
保质期 过期食品 计量器具 强制检定 特种设备 使用登记 安全技术档案 排污许可 排污许可证 自动监测 危险废物 环境影响评价
环评手续 防治污染设施 扬尘 裸土覆盖 消防设施 疏散通道 安全出口 应急预案 安全培训 劳动合同 工资支付 社会保险 道路运输
经营许可 网约车 车辆营运证 从业资格证 广告 虚假宣传 公示信息 年度报告 住所 经营场所 登记事项 变更登记 备案 施工许可
质量检测 招牌 户外广告 占道经营 建筑垃圾 税务登记 纳税申报 发票 首违不罚 不予处罚 责令改正 限期改正
""".split()

FIELD_BONUS = 1.5  # an item in a field the finding's department enforces counts as much as one and a half shared words
MIN_SCORE = 1.0  # below this an item is not suggested: a single common word is not a match
_SKIP_TAGS = {"x", "u", "p", "c", "uj", "ul", "y", "e", "o", "m", "q", "r", "d", "f", "zg", "eng"}
_HAN = re.compile(r"[\u4e00-\u9fff]")

_tok = None
_tok_key = ""
_checked_at = 0.0
_stop_set: frozenset[str] | None = None
_lock = threading.Lock()
# The user dictionary (unit and category names) is read again at most this often: reading and hashing it took most
# of a suggestion's time. This process sees an edit at once (`clear_cache` on Unit and Category saves, see
# apps.py); other processes (web workers, the worker) within this time, as with rule parameters.
_TTL_SECONDS = 30.0


def clear_cache() -> None:
    global _checked_at, _stop_set
    _checked_at = 0.0
    _stop_set = None


def tokenizer():
    """The hot topics' user dictionary plus the enforcement terms; rebuilt when the dictionary changes."""
    global _tok, _tok_key, _checked_at
    if _tok is not None and time.monotonic() - _checked_at < _TTL_SECONDS:
        return _tok
    import jieba
    from jieba import posseg

    from whistle.dashboard.topics import user_words

    words = sorted(set(user_words()) | set(TERMS))
    key = hashlib.sha1("\n".join(words).encode()).hexdigest()
    with _lock:
        if _tok is None or key != _tok_key:
            jieba.setLogLevel(60)
            tok = jieba.Tokenizer()
            for w in words:
                tok.add_word(w, freq=max(2000, 300 * len(w)), tag="nz")
            _tok, _tok_key = posseg.POSTokenizer(tok), key
        _checked_at = time.monotonic()
        return _tok


def _stops() -> frozenset[str]:
    """The hot topics' stop words (settings) and those of enforcement texts; fixed for the life of the process."""
    global _stop_set
    if _stop_set is None:
        from whistle.dashboard.topics import stop_words

        _stop_set = frozenset(stop_words() | {"未", "没有", "违反", "规定", "行为", "经营者", "单位", "个人", "企业"})
    return _stop_set


def words(text: str, tok=None, stops: set[str] | frozenset[str] | None = None) -> set[str]:
    """The distinct content words of a text: two characters or more, Chinese, not function words or stop words."""
    tok = tok or tokenizer()
    stops = _stops() if stops is None else stops
    return {
        w
        for w, tag in tok.lcut(text or "", HMM=False)
        if len(w) >= 2 and tag not in _SKIP_TAGS and _HAN.search(w) and w not in stops
    }


def item_words(violation: str, keywords: str = "") -> str:
    """What `ListItem.words` stores: the item's words, space-separated, sorted."""
    return " ".join(sorted(words(f"{violation} {keywords}") | {k for k in keywords.split() if k}))


@dataclass
class Candidate:
    item_id: int
    words: frozenset[str]
    functions: frozenset[str]


@dataclass
class Match:
    item_id: int
    score: float
    shared: list[str]
    in_field: bool


def idf(candidates: list[Candidate]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for c in candidates:
        for w in c.words:
            counts[w] = counts.get(w, 0) + 1
    n = len(candidates) or 1
    return {w: math.log(1 + n / k) for w, k in counts.items()}


def rank(text_words: set[str], function: str, candidates: list[Candidate], weights: dict[str, float], limit: int = 5):
    """The best `limit` items for a finding: shared words weighted by rarity, plus the field bonus; ties by id."""
    found = []
    for c in candidates:
        shared = text_words & c.words
        if not shared:
            continue
        in_field = bool(function) and function in c.functions
        score = sum(weights.get(w, 1.0) for w in shared) + (FIELD_BONUS if in_field else 0)
        if score >= MIN_SCORE:
            found.append(Match(c.item_id, round(score, 3), sorted(shared), in_field))
    found.sort(key=lambda m: (-m.score, m.item_id))
    return found[:limit]
