"""What follows the class: the differential price lists for the utilities and the policy flags.

Surcharges are rows (`Surcharge`): for a utility and a class, the amount after N consecutive years in that class; a
county's own rows replace the city's for that utility. Only the highest row that applies is charged, and if a
differential, punitive or tiered surcharge also applies at the customer number, only the higher of the two:
surcharges never stack (domain/rules.md §5, Shandong 2022).
"""

from __future__ import annotations

from decimal import Decimal

from whistle.core import sheets

from .models import ClassPolicy, Participant, Round, Surcharge, Utility, UtilityAccount


def surcharge_rows(rnd: Round, utility: str) -> list[Surcharge]:
    rows = list(Surcharge.objects.filter(utility=utility, county=rnd.county))
    return rows or list(Surcharge.objects.filter(utility=utility, county__isnull=True))


def land_yield_surcharge(rows: list[Surcharge], klass: str, years: int) -> Surcharge | None:
    """The one row that applies: the highest amount among the rows of the class whose years are reached."""
    fitting = [r for r in rows if r.klass == klass and years >= r.min_years]
    return max(fitting, key=lambda r: (r.amount, r.min_years), default=None)


def charged(land_yield: Decimal | None, other: Decimal | None) -> tuple[Decimal, str]:
    """(the surcharge charged, which one): the higher, never the sum."""
    a, b = land_yield or Decimal(0), other or Decimal(0)
    if a == 0 and b == 0:
        return Decimal(0), ""
    return (a, "亩产效益差别化价格") if a >= b else (b, "其他差别/惩罚/阶梯加价")


def price_list(rnd: Round, utility: str) -> list[dict]:
    rows = surcharge_rows(rnd, utility)
    classes = {r.klass for r in rows}
    parts = list(
        Participant.objects.filter(round=rnd, klass__in=classes)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )
    accounts: dict[int, list[UtilityAccount]] = {}
    for a in UtilityAccount.objects.filter(utility=utility, enterprise__in=[p.enterprise_id for p in parts]):
        accounts.setdefault(a.enterprise_id, []).append(a)
    out = []
    for p in parts:
        years = max(p.consecutive_d, 1) if p.klass == "D" else 1
        row = land_yield_surcharge(rows, p.klass, years)
        if row is None:
            continue
        for account in accounts.get(p.enterprise_id) or [None]:
            other = account.other_surcharge if account else Decimal(0)
            amount, which = charged(row.amount, other)
            out.append(
                {
                    "customer_number": account.customer_number if account else "",
                    "enterprise": p.enterprise.name,
                    "uscc": p.enterprise.uscc,
                    "klass": p.klass,
                    "years": years,
                    "land_yield": row.amount,
                    "other": other,
                    "other_basis": account.other_basis if account else "",
                    "charged": amount,
                    "which": which,
                    "unit": row.unit,
                    "note": "" if account else "用户编号缺失，请供应单位补充",
                }
            )
    return out


def price_workbook(rnd: Round, utility: str) -> bytes:
    label = dict(Utility.choices)[utility]
    rows = price_list(rnd, utility)
    book = sheets.Book()
    book.table(
        f"{label}差别化价格",
        [
            "用户编号",
            "企业名称",
            "统一社会信用代码",
            "评价类别",
            "连续年数",
            "亩产效益加价",
            "其他加价",
            "其他加价依据",
            "执行加价",
            "执行依据",
            "计价单位",
            "备注",
        ],
        [
            [
                r["customer_number"],
                r["enterprise"],
                r["uscc"],
                r["klass"],
                r["years"],
                r["land_yield"],
                r["other"],
                r["other_basis"],
                r["charged"],
                r["which"],
                r["unit"],
                r["note"],
            ]
            for r in rows
        ],
        widths={0: 16, 1: 30, 2: 22, 9: 20, 11: 24},
    )
    book.table(
        "说明",
        ["项目", "内容"],
        [
            ["评价轮次", str(rnd)],
            ["审定时间", rnd.signed_off_at],
            ["执行规则", "同时适用差别电价、惩罚性电价或阶梯电价的，按最高标准执行，不重复加价"],
        ],
        widths={1: 60},
    )
    return book.close()


def policy_rows(rnd: Round) -> list[list]:
    policies: dict[str, list[ClassPolicy]] = {}
    for p in ClassPolicy.objects.all():
        policies.setdefault(p.klass, []).append(p)
    out = []
    for p in (
        Participant.objects.filter(round=rnd).exclude(klass="").select_related("enterprise").order_by("klass", "rank")
    ):
        for policy in policies.get(p.klass, []):
            out.append([p.enterprise.name, p.enterprise.uscc, p.klass, policy.name, policy.effect])
    return out


def results_workbook(rnd: Round) -> bytes:
    """The list as published (公示) or signed off: rank, score, class, and the policy flags on a second sheet."""
    book = sheets.Book()
    parts = Participant.objects.filter(round=rnd).select_related("enterprise", "park").order_by("group", "rank")
    book.table(
        "评价结果",
        [
            "类别",
            "名次",
            "企业名称",
            "统一社会信用代码",
            "所在乡镇/园区",
            "得分",
            "评价类别",
            "公示类别",
            "连续D类年数",
            "参评状态",
            "说明",
        ],
        [
            [
                p.get_group_display(),
                p.rank,
                p.enterprise.name,
                p.enterprise.uscc,
                p.park.name if p.park_id else "",
                p.score,
                p.klass,
                p.provisional_klass,
                p.consecutive_d or "",
                p.get_status_display(),
                p.reason,
            ]
            for p in parts
        ],
        widths={2: 30, 3: 22, 4: 14, 10: 30},
    )
    book.table(
        "政策清单",
        ["企业名称", "统一社会信用代码", "评价类别", "政策", "内容"],
        policy_rows(rnd),
        widths={0: 30, 4: 50},
    )
    return book.close()
