"""The dashboard's .xlsx tables (rankings, the three rates), built from what its selectors computed and written by
`core.sheets`, the one writer: the views only send them."""

from __future__ import annotations

import datetime as dt

from whistle.core import sheets


def ranking_table(data: dict, part_names: list[tuple[str, str]]) -> tuple[list[str], list[list]]:
    header = [
        "名次",
        "单位编码",
        "单位",
        "综合得分",
        *[n for _, n in part_names],
        "件数",
        "上月名次",
        "名次变化",
        "得分环比",
    ]
    rows = [
        [
            r["rank"] if r["rank"] is not None else "未排名（件数不足）",
            r["unit"],
            r["name"],
            r["composite"],
            *[r["rates"].get(p) for p, _ in part_names],
            r["cases"],
            r["previous_rank"],
            r["rank_change"],
            r["score_change"],
        ]
        for r in data["rows"]
    ]
    return header, rows


def rankings_workbook(data: dict, definitions) -> tuple[str, bytes]:
    """The rankings (`rankings.ranking`) as a workbook, with its red and black lists and the definitions: its file
    name and bytes."""
    defs = {d.code: d.name for d in definitions}
    parts = [(p, defs.get(p, p)) for p in data["parts"]]
    header, rows = ranking_table(data, parts)
    pick = {r["unit"] for r in data["top_list"]}, {r["unit"] for r in data["bottom_list"]}
    top_list = [row for row in rows if row[1] in pick[0]]
    bottom_list = sorted((row for row in rows if row[1] in pick[1]), key=lambda row: -row[0])
    note = [
        ["类别", data["class_name"]],
        ["月份", data["month"]],
        ["统计窗口", f"{data['window']['from']} 至 {data['window']['to']}（{data['window']['months']}个月）"],
        ["最少件数", data["min_cases"]],
        ["排名口径", data["definition"]],
        *[[code, label] for code, label in data["definitions"].items()],
    ]
    return f"排名-{data['class_name']}-{data['month']}.xlsx", sheets.workbook(
        [
            ("排名", header, rows),
            ("红榜", header, top_list),
            ("黑榜", header, bottom_list),
            ("口径", ["项目", "内容"], note),
        ],
    )


def rates_table(rows: list[dict], defs) -> tuple[list[str], list[list]]:
    header = ["编码", "名称", "受理件数"]
    for d in defs:
        header += [f"{d.name}(%)", f"{d.name}分子", f"{d.name}分母"]
    out = []
    for r in rows:
        line = [r["code"], r["name"], r["cases"]]
        for d in defs:
            m = r[d.code]
            line += [m["value"], m["numerator"], m["denominator"]]
        out.append(line)
    return header, out


def rates_workbook(rows: list[dict], defs, group_by: str, month: dt.date) -> tuple[str, bytes]:
    """The three rates (`metrics.rates`) by `group_by` for a month, with their definitions: file name and bytes."""
    header, table = rates_table(rows, defs)
    note = [[d.name, d.label, d.source] for d in defs]
    return f"三率-{group_by}-{month:%Y-%m}.xlsx", sheets.workbook(
        [("指标", header, table), ("口径", ["指标", "口径版本", "来源"], note)]
    )
