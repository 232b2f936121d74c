"""The score and the class, as a pure function of a scheme's spec and a round's figures (no database here).

Set-based: one pass over the participants per step (values, benchmarks, indicator scores, totals, classes), so a
province-sized round of 50,000 firms scores in about a second (bench/landyield_scoring.py). The same spec and the
same figures give the same result to the last digit, which is what lets a frozen round be recomputed exactly.

Rules implemented (domain/rules.md §5):
- score = Σ min(value / benchmark, cap) × weight + bonus − penalty (黄岩/淮安), per group (规上, 规下);
- a benchmark is fixed, or the participants' average × a factor ("about 2× the county average", 淮安);
- a missing figure scores 0, or the indicator's average score where the scheme says so (a 规上 firm with no emission
  data gets the average, 黄岩);
- classes by quota (A ≤ a%, D ≥ d%; B up to b% cumulatively) or by cut points;
- ties never split a class: a tie across the A line goes to B (A stays ≤ a%), a tie across the D line goes to D
  (D stays ≥ d%), a tie across the B/C line goes to B;
- 一票否决: a vetoed firm is never A or B (it takes C); protections (new, newly promoted, major project): never D
  unless vetoed, and the D quota is filled from the firms that are not protected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

PLACES = 4


@dataclass
class Row:
    pid: int
    group: str
    figures: dict  # figure code → float or None
    items: list = field(default_factory=list)  # scheme item codes that apply


@dataclass
class Result:
    score: float
    rank: int
    klass: str
    quota_klass: str
    detail: dict


def _f(value) -> float | None:
    return None if value is None or value == "" else float(value)


def indicator_values(ind: dict, rows: list[Row]) -> list[float | None]:
    num, den, scale = ind["numerator"], ind.get("denominator"), float(ind.get("scale") or 1)
    out = []
    for row in rows:
        n = row.figures.get(num)
        if n is None:
            out.append(None)
            continue
        if den:
            d = row.figures.get(den)
            out.append(None if d is None or d <= 0 else n / d * scale)
        else:
            out.append(n * scale)
    return out


def benchmark(ind: dict, values: list[float | None]) -> float | None:
    """Fixed, or the average of the values present × the factor. None when nothing can be measured against."""
    if ind["benchmark_mode"] == "fixed":
        return _f(ind["benchmark_value"])
    present = [v for v in values if v is not None]
    if not present:
        return None
    mean = math.fsum(present) / len(present)
    value = mean * float(ind["benchmark_factor"])
    return value if value > 0 else None


def score_group(spec: dict, group: str, rows: list[Row]) -> tuple[dict, dict[int, tuple[float, dict]]]:
    """({indicator: benchmark}, {pid: (total, detail)}) for one group's participants."""
    indicators = spec["indicators"].get(group, [])
    items = spec.get("items", {})
    scores = [dict() for _ in rows]
    values_by_row = [dict() for _ in rows]
    averaged = [[] for _ in rows]
    benchmarks = {}
    for ind in indicators:
        code, weight = ind["code"], float(ind["weight"])
        cap = _f(ind.get("cap"))
        values = indicator_values(ind, rows)
        bench = benchmark(ind, values)
        benchmarks[code] = round(bench, PLACES) if bench is not None else None
        present = []
        for i, v in enumerate(values):
            values_by_row[i][code] = None if v is None else round(v, PLACES)
            if v is None:
                continue
            ratio = v / bench if bench else 0.0
            if cap is not None:
                ratio = min(ratio, cap)
            s = ratio * weight
            scores[i][code] = s
            present.append(s)
        fill = math.fsum(present) / len(present) if (ind.get("missing") == "average" and present) else 0.0
        for i, v in enumerate(values):
            if v is None:
                scores[i][code] = fill
                if fill:
                    averaged[i].append(code)
    out = {}
    for i, row in enumerate(rows):
        adjust = 0.0
        for code in row.items:
            item = items.get(code)
            if item is None:
                continue
            if item["kind"] == "bonus":
                adjust += float(item["points"])
            elif item["kind"] == "penalty":
                adjust -= float(item["points"])
        total = round(math.fsum(scores[i].values()) + adjust, PLACES)
        out[row.pid] = (
            total,
            {
                "values": values_by_row[i],
                "scores": {k: round(v, PLACES) for k, v in scores[i].items()},
                "adjust": round(adjust, PLACES),
                "averaged": averaged[i],
            },
        )
    return benchmarks, out


def quota_counts(n: int, spec: dict) -> tuple[int, int, int]:
    """(A places, positions up to the end of B, D places): A ≤ a% rounds down, D ≥ d% rounds up, exactly."""
    q = spec["quota"]
    a = int((Decimal(n) * Decimal(q["a_max_pct"]) / 100).to_integral_value(ROUND_FLOOR))
    b = int((Decimal(n) * Decimal(q["b_upto_pct"]) / 100).to_integral_value(ROUND_FLOOR))
    d = int((Decimal(n) * Decimal(q["d_min_pct"]) / 100).to_integral_value(ROUND_CEILING))
    return a, max(a, b), d


def classify(spec: dict, ranked: list[tuple[float, int]], vetoed: set[int], protected: set[int]) -> dict[int, tuple]:
    """{pid: (class, class by position alone)} for one group, `ranked` sorted best first."""
    n = len(ranked)
    by_position: dict[int, str] = {}
    if spec["quota"].get("cut_mode", "quota") == "score":
        cuts = spec["quota"]["cuts"]
        a_min, b_min, c_min = (_f(cuts.get(k)) for k in ("A", "B", "C"))
        for score, pid in ranked:
            by_position[pid] = (
                "A"
                if a_min is not None and score >= a_min
                else "B"
                if b_min is not None and score >= b_min
                else "C"
                if c_min is None or score >= c_min
                else "D"
            )
        final = {}
        for _score, pid in ranked:
            k = by_position[pid]
            if pid in vetoed and k in "AB":
                k = "C"
            elif pid in protected and pid not in vetoed and k == "D":
                k = "C"
            final[pid] = (k, by_position[pid])
        return final

    a_n, b_upto, d_n = quota_counts(n, spec)
    scores = [s for s, _ in ranked]
    a_cut = a_n
    while 0 < a_cut < n and scores[a_cut - 1] == scores[a_cut]:
        a_cut -= 1  # a tie across the A line goes down: A stays within its share
    b_cut = max(b_upto, a_cut)
    while 0 < b_cut < n and scores[b_cut - 1] == scores[b_cut]:
        b_cut += 1  # a tie across the B/C line goes up
    for i, (_score, pid) in enumerate(ranked):
        by_position[pid] = "A" if i < a_cut else "B" if i < b_cut else "C"
    # D from the bottom, over the firms a protection does not shield, and never out of A.
    d_taken: list[int] = []
    last = None
    for i in range(n - 1, a_cut - 1, -1):
        score, pid = ranked[i]
        if pid in protected and pid not in vetoed:
            continue
        if len(d_taken) >= d_n and score != last:
            break  # a tie across the D line goes in: D stays at least its share
        d_taken.append(pid)
        last = score
    position_d = set()
    for i in range(n - 1, max(n - d_n, 0) - 1, -1):
        position_d.add(ranked[i][1])
    final = {}
    d_set = set(d_taken)
    for _score, pid in ranked:
        k = "D" if pid in d_set else by_position[pid]
        if pid in vetoed and k in "AB":
            k = "C"
        quota = "D" if pid in position_d else by_position[pid]
        final[pid] = (k, quota)
    return final


def score_round(spec: dict, rows: list[Row]) -> tuple[dict, dict[int, Result]]:
    """({group: {indicator: benchmark}}, {pid: Result}) for every evaluated participant."""
    items = spec.get("items", {})
    veto_codes = {c for c, it in items.items() if it["kind"] == "veto"}
    protect_codes = {c for c, it in items.items() if it["kind"] == "protection"}
    benchmarks, results = {}, {}
    for group in sorted({r.group for r in rows}):
        members = [r for r in rows if r.group == group]
        benchmarks[group], totals = score_group(spec, group, members)
        ranked = sorted(((totals[r.pid][0], r.pid) for r in members), key=lambda t: (-t[0], t[1]))
        vetoed = {r.pid for r in members if veto_codes.intersection(r.items)}
        protected = {r.pid for r in members if protect_codes.intersection(r.items)}
        classes = classify(spec, ranked, vetoed, protected)
        rank, previous = 0, None
        for position, (score, pid) in enumerate(ranked, start=1):
            if score != previous:
                rank, previous = position, score
            klass, quota = classes[pid]
            detail = totals[pid][1]
            detail["vetoed"] = pid in vetoed
            detail["protected"] = pid in protected and pid not in vetoed
            results[pid] = Result(score, rank, klass, quota, detail)
    return benchmarks, results


def next_class_gap(spec: dict, group: str, score: float, klass: str, floors: dict[str, float]) -> dict | None:
    """What it would take to reach the next class: the points missing to the lowest score of the class above
    (`floors`: class → lowest score in the round), and for each indicator how much its value must grow, alone."""
    order = "DCBA"
    if klass not in order or klass == "A":
        return None
    target = order[order.index(klass) + 1]
    floor = floors.get(target)
    if floor is None:
        return None
    gap = round(max(floor - score, 0.0) + 10**-PLACES, PLACES)
    return {"target": target, "floor": floor, "gap": gap}
