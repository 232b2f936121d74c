"""The table: one row per action, the one place that defines it.

A row says which action, from which states, to which state, who may do it (as a relation of the actor to the case),
which payload fields it needs, what it does (its effect, in `effects`), what it does to deadlines, and the conditions
on the case it needs (guards). It also carries what the pages derive from it: its form fields (`fields`; a field is
required exactly when the row requires it), the label of its button, whether it is the page's primary action, and
its timeline sentence (in `sentences`). `GET /api/v1/workflow` serves the table as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from whistle.org.scopes import Actor

from ..models import Case, EscalationLevel, ExtensionState, Resolution, Satisfaction, Urgency
from . import effects as fx
from . import sentences as say
from .base import (
    ASSISTING,
    CITY_COORDINATOR,
    CLOCK_STATES,
    COORDINATOR,
    ENTERPRISE,
    LEAD,
    OPEN,
    REQUESTER,
    SYSTEM,
    VISITING_LEADER,
    WAITING_STATES,
    WORKING_STATES,
    S,
    Step,
)
from .effects import CONTACT_METHODS


@dataclass(frozen=True)
class Field:
    """One input of a row's form, named as the payload names it. Whether it is required is the row's `required`
    (files are not payload: `files_required` says it for them)."""

    name: str
    label: str
    kind: str = "text"  # text (a text box), choice, unit, units (several units), flag (yes/no), leader, files
    max_length: int | None = None
    rows: int = 3
    choices: tuple[tuple[str, str], ...] = ()
    radio: bool = False
    initial: object = None
    initial_from: str = ""  # the case's attribute the form starts from (the dispatch form's "complex")
    help_text: str = ""
    files_required: bool = False


def F(name, label, kind="text", **kwargs) -> Field:
    if "choices" in kwargs:
        kwargs["choices"] = tuple(tuple(c) for c in kwargs["choices"])
    return Field(name, label, kind, **kwargs)


FILES = "files"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (notes, cards, supervision)
    actors: frozenset[str]
    required: tuple[str, ...] = ()
    effect: Callable[[Step], None] | None = None
    deadline_effect: str = ""  # for the docs and the API listing: what happens to the clocks
    # False for the rows their own service writes (case_submit, attachment_add, rating_voided): a bare transition
    # could not carry what they carry (the case's fields, the file, the voided rating).
    manual: bool = True
    # Conditions on the case (names in GUARDS) that must hold besides state and relation: the server refuses with
    # the guard's own words, and `allowed_actions` offers the row only when they hold, so a page never offers
    # what the server would refuse.
    guards: tuple[str, ...] = ()
    # Extensions only: who may approve the n-th extension (n-th entry; none past the end). rules.md §1: one
    # extension approved by the coordinating office, a further one "by approval" of the level above.
    approvers: tuple[frozenset[str], ...] = ()
    # What the case page derives from the row: its form (none without a button), shown open when primary.
    fields: tuple[Field, ...] = ()
    button: str = ""
    primary: bool = False
    sentence: Callable = say.unknown

    @property
    def public(self) -> bool:
        return self.actors != frozenset({SYSTEM})

    @property
    def has_form(self) -> bool:
        return bool(self.button)

    def field_required(self, field: Field) -> bool:
        return field.files_required if field.kind == FILES else field.name in self.required


def T(action, label, sources, target, actors, required=(), effect=None, deadline_effect="", **kwargs) -> Transition:
    return Transition(
        action,
        label,
        frozenset(sources),
        target,
        frozenset(actors),
        tuple(required),
        effect,
        deadline_effect,
        guards=tuple(kwargs.pop("guards", ())),
        approvers=tuple(frozenset(a) for a in kwargs.pop("approvers", ())),
        fields=tuple(kwargs.pop("fields", ())),
        **kwargs,
    )


# ---- guards: conditions on the case a row needs, checked by the server and by `allowed_actions` alike ----


@dataclass(frozen=True)
class Guard:
    holds: Callable[[Case, Actor, dt.datetime, set[str]], bool]  # (case, actor, now, the actor's relations)
    code: str
    detail: str
    forbidden: bool = False  # a matter of who acts (403), not of the case's moment (409)


def _extension_approvers(case: Case) -> frozenset[str]:
    """Who approves the extension pending now: the row's n-th approvers for the case's n-th request."""
    approvers = TRANSITIONS["request_extension"].approvers
    n = case.extensions_count
    return approvers[n - 1] if 0 < n <= len(approvers) else frozenset()


def _callback_pending(case: Case) -> bool:
    from ..models import CallbackCheck, CallbackState

    return CallbackCheck.objects.filter(case_id=case.pk, state=CallbackState.PENDING).exists()


GUARDS: dict[str, Guard] = {
    # rules.md §1: cross-county, cross-field or unclear-ownership matters are referred by the 市吹哨办 itself.
    "city_level_by_city_office": Guard(
        lambda case, actor, now, rel: case.level == EscalationLevel.COUNTY or bool(rel & {CITY_COORDINATOR, SYSTEM}),
        "city_level_case",
        "本工单为市级协调（跨县区）事项，只能由市吹哨办派单或改派",
        forbidden=True,
    ),
    "extension_pending": Guard(
        lambda case, actor, now, rel: case.extension_state == ExtensionState.REQUESTED,
        "no_extension_requested",
        "没有待审批的延期申请",
    ),
    "no_extension_pending": Guard(
        lambda case, actor, now, rel: case.extension_state != ExtensionState.REQUESTED,
        "extension_pending",
        "已有延期申请待审批",
    ),
    "extensions_left": Guard(
        lambda case, actor, now, rel: case.extensions_count < len(TRANSITIONS["request_extension"].approvers),
        "extension_already_requested",
        "本工单的延期次数已用完，不能再申请延期",
    ),
    # rules.md §1 / §4: an extension is asked for (and granted) before the deadline, never to excuse a late case.
    "before_resolve_deadline": Guard(
        lambda case, actor, now, rel: case.resolve_due_at is None or now < case.resolve_due_at,
        "deadline_passed",
        "已超过办结时限，不能再延期；工单按超期计",
    ),
    "extension_approver": Guard(
        lambda case, actor, now, rel: bool(rel & _extension_approvers(case)),
        "extension_needs_higher_approval",
        "本次为再次延期，须由上一级（市吹哨办）审批",
        forbidden=True,
    ),
    # rules.md §1 (濮阳 analogue, 2 working days): signing stays possible after the window, returning does not.
    "within_return_window": Guard(
        lambda case, actor, now, rel: case.return_due_at is None or now <= case.return_due_at,
        "return_window_closed",
        "已超过退单时限，不能退单；如确有异议请联系吹哨办",
    ),
    "at_county_level": Guard(
        lambda case, actor, now, rel: case.level == EscalationLevel.COUNTY,
        "already_escalated",
        "工单已在市级协调或绿色通道，不能再提级",
    ),
    "at_city_level": Guard(
        lambda case, actor, now, rel: case.level == EscalationLevel.CITY,
        "not_at_city_level",
        "只有市级协调中的工单才能转入绿色通道",
    ),
    # rules.md §8.5: only a case the month's random draw picked is called back, once.
    "callback_pending": Guard(
        lambda case, actor, now, rel: _callback_pending(case),
        "not_in_callback_sample",
        "本工单不在待回访的抽查样本中",
    ),
    "has_lead_unit": Guard(
        lambda case, actor, now, rel: case.lead_unit_id is not None, "no_lead_unit", "工单尚未派单，请先派单"
    ),
}


REASON = 500  # the longest reason a row reads (payload.text's max_length for every reason)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        T(
            "submit",
            "企业吹哨",
            [],
            S.SUBMITTED,
            [REQUESTER, ENTERPRISE, COORDINATOR, VISITING_LEADER, SYSTEM],
            effect=fx.submit,
            manual=False,
            sentence=say.submit,
        ),
        T("route", "按派单目录自动派单", [S.SUBMITTED], None, [SYSTEM], effect=fx.auto_route, sentence=say.route),
        T(
            "dispatch",
            "派单",
            [S.SUBMITTED, S.RETURNED],
            S.DISPATCHED,
            [COORDINATOR, SYSTEM],
            ["unit"],
            fx.dispatch,
            "stops the dispatch clock; starts return window, contact, opinion and solve clocks",
            guards=["city_level_by_city_office"],
            fields=[
                F("unit", "主办单位", "unit"),
                F("assisting_units", "协办单位", "units", help_text="可多选（按住Ctrl或长按）"),
                F("complex", "复杂事项（办结时限30个工作日）", "flag", initial_from="is_complex"),
            ],
            button="派单",
            primary=True,
            sentence=say.dispatch,
        ),
        # 改派: the office moves a case it sent to the wrong unit; the old unit loses it, the new one starts afresh.
        T(
            "redispatch",
            "改派",
            [S.DISPATCHED, S.ACCEPTED, S.CONTACTED, S.IN_PROGRESS],
            S.DISPATCHED,
            [COORDINATOR],
            ["unit", "reason"],
            fx.redispatch,
            "restarts return window, contact, opinion and solve clocks for the new unit",
            guards=["city_level_by_city_office", "has_lead_unit"],
            fields=[F("unit", "改派至", "unit"), F("reason", "改派理由", max_length=REASON, rows=2)],
            button="改派",
            sentence=say.redispatch,
        ),
        T(
            "accept",
            "签收",
            [S.DISPATCHED],
            S.ACCEPTED,
            [LEAD],
            effect=fx.accept,
            button="签收",
            primary=True,
            sentence=say.accept,
        ),
        T(
            "return",
            "退单",
            [S.DISPATCHED],
            S.RETURNED,
            [LEAD],
            ["reason", "suggested_unit"],
            fx.return_to_office,
            "only within the return window; stops every clock and starts the dispatch clock",
            guards=["within_return_window"],
            fields=[F("reason", "退单理由", max_length=REASON), F("suggested_unit", "建议承办单位", "unit")],
            button="退单",
            sentence=say.return_to_office,
        ),
        T(
            "contact",
            "联系企业/到场",
            [S.ACCEPTED],
            S.CONTACTED,
            [LEAD],
            effect=fx.contact,
            fields=[
                F("method", "联系方式", "choice", choices=CONTACT_METHODS.items(), radio=True, initial="phone"),
                F("note", "联系情况", max_length=1000),
            ],
            button="记录联系",
            primary=True,
            sentence=say.contact,
        ),
        T(
            "opinion",
            "答复意见",
            [S.CONTACTED],
            S.IN_PROGRESS,
            [LEAD],
            ["opinion"],
            fx.opinion,
            fields=[F("opinion", "答复意见", max_length=4000, rows=4)],
            button="提交答复意见",
            primary=True,
            sentence=say.opinion,
        ),
        # The first extension is approved by the office handling the case, a further one by the city office (the level
        # above a county; rules.md §1 "further extension by approval"); a third is not offered.
        T(
            "request_extension",
            "申请延期",
            WORKING_STATES,
            None,
            [LEAD],
            ["reason"],
            fx.request_extension,
            guards=["no_extension_pending", "extensions_left", "before_resolve_deadline"],
            approvers=[[COORDINATOR], [CITY_COORDINATOR]],
            fields=[F("reason", "延期理由", max_length=REASON)],
            button="申请延期",
            sentence=say.request_extension,
        ),
        T(
            "approve_extension",
            "批准延期",
            CLOCK_STATES,
            None,
            [COORDINATOR],
            effect=fx.approve_extension,
            deadline_effect="solve deadline + extension stage (7 working days); a red card already given stays",
            guards=["extension_pending", "extension_approver", "before_resolve_deadline"],
            fields=[F("note", "审批意见", max_length=500, rows=2)],
            button="批准延期",
            primary=True,
            sentence=say.approve_extension,
        ),
        T(
            "reject_extension",
            "驳回延期",
            CLOCK_STATES,
            None,
            [COORDINATOR],
            ["reason"],
            fx.reject_extension,
            guards=["extension_pending", "extension_approver"],
            fields=[F("reason", "驳回理由", max_length=REASON, rows=2)],
            button="驳回延期",
            sentence=say.reject_extension,
        ),
        T(
            "reply",
            "办结回复",
            [S.CONTACTED, S.IN_PROGRESS, S.REOPENED],
            S.REPLIED,
            [LEAD],
            ["content"],
            fx.reply,
            "stops every clock",
            fields=[F("content", "办理结果", max_length=4000, rows=5), F(FILES, "附件（照片、文书）", FILES)],
            button="办结回复",
            primary=True,
            sentence=say.reply,
        ),
        # SYSTEM: an anonymous rater's re-rating of a poor-rating rectification (差评整改), taken by the public page.
        T(
            "follow_up",
            "回访评价",
            [S.REPLIED],
            S.CLOSED,
            [REQUESTER, COORDINATOR, SYSTEM],
            ["resolution"],
            fx.follow_up,
            "unresolved or unsatisfied: reopens with the reopen stage as the new solve clock",
            fields=[
                # 无法联系 is offered to the office only (the effect refuses it from anyone else).
                F("resolution", "问题是否解决", "choice", choices=Resolution.choices, radio=True),
                F("satisfaction", "满意程度", "choice", choices=Satisfaction.choices, radio=True),
                F("comment", "评价意见", max_length=1000),
            ],
            button="提交评价",
            primary=True,
            sentence=say.follow_up,
        ),
        T(
            "assist_note",
            "协办意见",
            CLOCK_STATES | {S.REPLIED},
            None,
            [ASSISTING],
            ["note"],
            fx.note,
            fields=[F("note", "内容", max_length=2000)],
            button="提交协办意见",
            primary=True,
            sentence=say.assist_note,
        ),
        T(
            "comment",
            "补充说明",
            OPEN,
            None,
            [REQUESTER, ENTERPRISE, COORDINATOR, LEAD],
            ["note"],
            fx.note,
            fields=[F("note", "内容", max_length=2000)],
            button="补充说明",
            sentence=say.comment,
        ),
        T(
            "urge",
            "催办",
            CLOCK_STATES,
            None,
            [COORDINATOR],
            effect=fx.urge,
            fields=[F("note", "催办内容", max_length=500, rows=2, initial="请抓紧办理")],
            button="催办",
            sentence=say.urge,
        ),
        T(
            "supervise",
            "督办",
            CLOCK_STATES | {S.REPLIED},
            None,
            [COORDINATOR, SYSTEM],
            effect=fx.supervise,
            deadline_effect="arms escalation after the configured working days",
            fields=[F("reason", "督办事由", max_length=REASON, rows=2)],
            button="发出督办单",
            sentence=say.supervise,
        ),
        T(
            "escalate",
            "提级至市级协调",
            OPEN,
            None,
            [COORDINATOR, SYSTEM],
            effect=fx.escalate,
            deadline_effect="city sets its own solve limit",
            guards=["at_county_level"],
            fields=[F("reason", "提级理由", max_length=REASON, rows=2)],
            button="提级至市级协调",
            sentence=say.escalate,
        ),
        T(
            "green_channel",
            "转入绿色通道",
            OPEN,
            None,
            [CITY_COORDINATOR, SYSTEM],
            effect=fx.green_channel,
            guards=["at_city_level"],
            fields=[
                F("leader", "领办领导", "leader", help_text="不选则由主办单位或属地的负责领导领办"),
                F("reason", "理由", max_length=REASON, rows=2),
            ],
            button="转入绿色通道",
            sentence=say.green_channel,
        ),
        # rules.md §8.2: urgent cases (Beijing: dispatch within 1 h / 2 h / 24 h) have their own SLA profile; the
        # office grades a case afresh when the enterprise's choice (or its own at intake) was wrong.
        T(
            "set_urgency",
            "调整紧急程度",
            OPEN,
            None,
            [COORDINATOR],
            ["urgency", "reason"],
            fx.set_urgency,
            "the clocks still owed restart from now on the new urgency's SLA profile; a red card already given stays",
            fields=[
                F("urgency", "紧急程度", "choice", choices=Urgency.choices, radio=True, initial_from="urgency"),
                F("reason", "调整理由", max_length=REASON, rows=2),
            ],
            button="调整紧急程度",
            sentence=say.set_urgency,
        ),
        T(
            "yellow_card",
            "黄牌预警",
            CLOCK_STATES | WAITING_STATES,
            None,
            [SYSTEM],
            effect=fx.card("yellow"),
            sentence=say.yellow_card,
        ),
        T(
            "red_card",
            "红牌警示",
            CLOCK_STATES | WAITING_STATES,
            None,
            [SYSTEM],
            effect=fx.card("red"),
            sentence=say.red_card,
        ),
        # Written by `services.attachment_add` (a person's upload) and `services.system_attachment_add` (a file that
        # came with a case from another system, e.g. Open311 media).
        T(
            "attach",
            "上传附件",
            OPEN,
            None,
            [REQUESTER, ENTERPRISE, LEAD, ASSISTING, COORDINATOR, SYSTEM],
            effect=fx.record,
            manual=False,
            fields=[F(FILES, "选择文件", FILES, files_required=True)],
            button="上传",
            sentence=say.attach,
        ),
        T(
            "withdraw",
            "撤回",
            [S.SUBMITTED, S.DISPATCHED, S.RETURNED],
            S.CLOSED,
            [REQUESTER],
            ["reason"],
            fx.withdraw,
            fields=[F("reason", "撤回原因", max_length=REASON, rows=2)],
            button="撤回诉求",
            sentence=say.withdraw,
        ),
        # 回访抽查 (rules.md §8.5): the office's independent call on a closed case drawn for the sample, written by
        # `services.callback_record` with the check it completes.
        T(
            "callback_check",
            "回访抽查",
            [S.CLOSED],
            None,
            [COORDINATOR],
            ["resolution"],
            fx.callback_check,
            manual=False,
            guards=["callback_pending"],
            sentence=say.callback_check,
        ),
        # Written by `services.system_transition` for ratings (a poor rating voided on appeal or review).
        T(
            "rating_voided",
            "评价作废，终止整改",
            OPEN,
            S.CLOSED,
            [SYSTEM],
            ["reason"],
            fx.rating_voided,
            "stops every clock",
            manual=False,
            sentence=say.rating_voided,
        ),
    ]
}
