"""The monthly figures as .xlsx, through core/sheets.py (the one writer: people's text stays text)."""

from __future__ import annotations

from whistle.core import sheets


def figures_workbook(context: dict) -> bytes:
    month = context["month"]
    book = sheets.Book()
    header = [
        "执法部门",
        "检查户次",
        "检查发现",
        "不予处罚",
        "从轻/减轻处罚",
        "依法处罚",
        "免予/减少罚款（元）",
        "按期改正",
        "逾期未改正",
        "按期改正率(%)",
        "偏离建议",
        "其中经批准",
    ]

    def row(name, r):
        return [
            name,
            r["inspections"],
            r["findings"],
            r["no_penalty"],
            r["light_penalty"],
            r["ordinary"],
            r["not_imposed"],
            r["corrected"],
            r["reopened"],
            r["corrected_rate"],
            r["deviations"],
            r["deviations_approved"],
        ]

    rows = [row(r["unit"].name, r) for r in context["rows"]] + [row("合计", context["totals"])]
    book.table(f"{month:%Y-%m}按部门", header, rows, widths={0: 28})
    book.table(
        "多头检查",
        ["企业", "检查部门数", "检查户次", "检查明细"],
        [
            [
                r["name"],
                r["departments"],
                r["inspections"],
                "；".join(f"{i.inspected_on:%m-%d} {i.department.name}：{i.subject}" for i in r["visits"]),
            ]
            for r in context["repeated"]
        ],
        widths={0: 28, 3: 80},
    )
    book.table(
        "偏离建议",
        ["检查日期", "执法部门", "企业", "建议事项", "处理决定", "理由", "审批"],
        [
            [
                f.inspected_on,
                f.department.name,
                f.enterprise.name,
                f"{f.suggested_item.number} {f.suggested_item.violation}" if f.suggested_item else "",
                f.get_decision_display(),
                f.reason,
                f.get_approval_display(),
            ]
            for f in context["deviations"]
        ],
        widths={2: 28, 3: 40, 5: 40},
    )
    return book.close()
