"""领导包保's .xlsx out: the coverage page (遍访率) as a workbook, read through the selectors and written by
`core.sheets`, the one writer; the view only sends it."""

from __future__ import annotations

from whistle.core import sheets
from whistle.org.scopes import Actor

from . import selectors


def coverage_workbook(actor: Actor, year: int) -> bytes:
    """遍访率 by county and by leader, open cases per assignment, projects behind plan: the coverage page's tables."""
    book = sheets.Book()

    def sheet(name, header, rows):
        book.table(name, header, rows, widths={c: 14 for c in range(len(header))})

    s = selectors.coverage_summary(actor, year)
    sheet(
        "概况",
        ["年度", "规上企业", "已走访", "遍访率(%)", "在任包保", "在办工单", "重点项目", "滞后项目"],
        [
            [
                year,
                s["above_scale"],
                s["visited"],
                s["rate"],
                s["patronages"],
                s["open_cases"],
                s["projects"],
                s["behind_plan"],
            ]
        ],
    )
    sheet(
        "按县区",
        ["县区编码", "县区", "规上企业", "已走访", "遍访率(%)"],
        [
            [r["county"], r["name"], r["above_scale"], r["visited"], r["rate"]]
            for r in selectors.coverage_by_county(actor, year)
        ],
    )
    sheet(
        "按领导",
        ["账号", "包保领导", "包保对象", "企业", "项目", "其中规上", "已走访", "遍访率(%)", "走访次数", "在办工单"],
        [
            [
                r["leader"],
                r["name"],
                r["patronages"],
                r["enterprises"],
                r["projects"],
                r["above_scale"],
                r["visited"],
                r["rate"],
                r["visits"],
                r["open_cases"],
            ]
            for r in selectors.coverage_by_leader(actor, year)
        ],
    )
    sheet(
        "包保对象",
        ["类型", "对象", "所属县区", "包保领导", "牵头部门", "起始日", "在办工单"],
        [
            [
                "企业" if p.enterprise_id else "项目",
                p.target.name,
                p.county.name,
                selectors.person_name(p.leader),
                p.lead_unit.name,
                p.started_on.isoformat(),
                p.open_cases,
            ]
            for p in selectors.patronage_list(actor)
        ],
    )
    sheet(
        "滞后项目",
        ["项目编号", "项目", "所属县区", "总投资(万元)", "计划竣工", "形象进度(%)", "滞后原因"],
        [
            [p.code, p.name, p.county.name, float(p.investment), p.planned_end.isoformat(), p.progress, "；".join(why)]
            for p, why in selectors.projects_behind_plan(actor)
        ],
    )
    return book.close()
