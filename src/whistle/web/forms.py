"""Forms collect what a person typed; the services decide whether it is acceptable.

A refusal (`core.errors.Problem`) names the input at fault; `ProblemForm.add_problem` puts its Chinese detail
beside that field, so the page shows the service's own words and keeps everything typed.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model

from whistle.cases.models import (
    Case,
    Category,
    Channel,
    EscalationLevel,
    Kind,
    Resolution,
    Satisfaction,
    State,
    category_city_q,
)
from whistle.cases.selectors import category_choices
from whistle.cases.workflow import TRANSITIONS, Field, Transition
from whistle.core.errors import Problem
from whistle.org.models import Role

# Service field names that differ from the form's.
FIELD_ALIASES = {"file": "files"}


class ProblemForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_problem(self, problem: Problem) -> None:
        name = FIELD_ALIASES.get(problem.field, problem.field)
        self.add_error(name if name in self.fields else None, problem.detail)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos or documents at once; each goes through `attachment_add`, which checks type and size."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf,audio/*,video/mp4,.doc,.docx,.xlsx"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# ---- signing in ----------------------------------------------------------------------------------


class LoginForm(ProblemForm):
    username = forms.CharField(
        label="用户名", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


# ---- raising a case ------------------------------------------------------------------------------


class CaseSubmitForm(ProblemForm):
    kind = forms.ChoiceField(label="诉求类型", choices=Kind.choices, initial=Kind.HELP, widget=forms.RadioSelect)
    category = forms.ChoiceField(label="问题分类")
    urgency = forms.ChoiceField(
        label="紧急程度",
        initial="ordinary",
        required=False,  # none chosen: 一般
        widget=forms.RadioSelect,
        help_text="加急：水、电、气、热中断或极端天气影响生产经营等，须尽快处置的事项",
    )
    description = forms.CharField(
        label="诉求内容", widget=textarea(5), max_length=4000, help_text="说清楚遇到了什么问题、希望得到什么帮助"
    )
    files = MultipleFileField(label="照片或文件", help_text="可多选，每个不超过10MB")
    address = forms.CharField(label="地点", required=False, max_length=200)
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)
    contact_name = forms.CharField(label="联系人", max_length=40)
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, enterprise=None, city_id=None, urgencies=(("ordinary", "一般"),), **kwargs):
        super().__init__(*args, **kwargs)
        # The province's categories and the enterprise's city's own: what the service accepts from it.
        self.fields["category"].choices = [("", "请选择问题分类")] + category_choices(city_id=city_id)
        # What the service accepts from this actor (`cases.services.urgency_choices`); one choice is no choice.
        self.fields["urgency"].choices = list(urgencies)
        if len(urgencies) < 2:
            self.fields["urgency"].widget = forms.HiddenInput()
        if enterprise is not None and not self.is_bound:
            self.initial.update(
                contact_name=enterprise.contact_name, contact_phone=enterprise.contact_phone, address=enterprise.address
            )
        self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def submission(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("files", "idempotency_key")}
        data["urgency"] = data.get("urgency") or "ordinary"
        return data

    def add_problem(self, problem: Problem) -> None:
        if problem.code == "idempotency_key_reused":
            # The page was opened again (back button) and changed: that is a new case, so the re-shown form gets
            # a new key and says why it was not sent; the next press of 提交诉求 files it.
            self.data = self.data.copy()
            self.data["idempotency_key"] = uuid.uuid4().hex
            self.add_error(None, "这份表单已经提交过，内容与当时不同，未作为新诉求提交。请核对后再次点击“提交诉求”。")
            return
        super().add_problem(problem)


# ---- workflow actions ----------------------------------------------------------------------------


class ActionForm(ProblemForm):
    """One transition of the workflow table. The field names are the payload names the workflow reads."""

    submit_label = "提交"

    def __init__(self, *args, case: Case | None = None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.actor = case, actor

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "files" and v not in (None, "", [])}

    @property
    def files_to_attach(self) -> list:
        return self.cleaned_data.get("files") or []


def unit_choices(units) -> list:
    return [("", "请选择单位")] + [(u.code, u.name) for u in units]


def _leader_choices() -> list:
    leaders = get_user_model().objects.filter(membership__role=Role.LEADER).select_related("membership__unit")
    return [("", "默认领导")] + [
        (u.pk, f"{u.membership.display_name or u.username}（{u.membership.unit.name}）") for u in leaders
    ]


def form_field(row: Transition, spec: Field) -> forms.Field:
    """The form field for one input of a row; required exactly when the row requires it."""
    common = {"label": spec.label, "required": row.field_required(spec), "help_text": spec.help_text}
    if spec.initial is not None:
        common["initial"] = spec.initial
    match spec.kind:
        case "text":
            return forms.CharField(widget=textarea(spec.rows), max_length=spec.max_length, **common)
        case "choice":
            widget = forms.RadioSelect if spec.radio else None
            return forms.ChoiceField(choices=list(spec.choices), widget=widget, **common)
        case "unit" | "leader":
            return forms.ChoiceField(**common)  # choices per page: the units of the actor's sight, the leaders
        case "units":
            return forms.MultipleChoiceField(**common)
        case "flag":
            return forms.BooleanField(**common)
        case "files":
            return MultipleFileField(**common)
    raise ValueError(f"unknown field kind {spec.kind!r} in row {row.action!r}")


class RowForm(ActionForm):
    """The form of one row of the workflow table (`row`): its fields, required as the row requires them, and the
    choices that depend on the page (units, leaders, the resolutions the actor may record)."""

    row: Transition

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        for spec in self.row.fields:
            field = self.fields[spec.name]
            if spec.kind == "unit":
                field.choices = unit_choices(units)
            elif spec.kind == "units":
                field.choices = unit_choices(units)[1:]
            elif spec.kind == "leader":
                field.choices = _leader_choices()
            if spec.initial_from and self.case is not None and not self.is_bound:
                self.initial[spec.name] = getattr(self.case, spec.initial_from)
        if "resolution" in self.fields and (self.actor is None or self.actor.role != Role.COORDINATOR):
            # 无法联系 is the office's to record (the follow_up effect refuses it from anyone else).
            self.fields["resolution"].choices = [
                c for c in self.fields["resolution"].choices if c[0] != Resolution.UNREACHABLE
            ]

    def payload(self) -> dict:
        data = super().payload()
        for spec in self.row.fields:
            if spec.kind == "flag":  # a box left unticked says no
                data[spec.name] = self.cleaned_data.get(spec.name, False)
        return data


def row_form(row: Transition) -> type[RowForm]:
    attrs = {spec.name: form_field(row, spec) for spec in row.fields}
    attrs.update(row=row, submit_label=row.button, __doc__=f"The form of the workflow row `{row.action}`.")
    return type(f"{row.action.title().replace('_', '')}Form", (RowForm,), attrs)


# One form per row that has a button, made from the row itself (cases.workflow.table).
ACTION_FORMS: dict[str, type[ActionForm]] = {a: row_form(t) for a, t in TRANSITIONS.items() if t.has_form}
# The forms that choose among units need the list, which is read once per page.
UNIT_FORMS = {a for a, t in TRANSITIONS.items() if t.has_form and any(f.kind in ("unit", "units") for f in t.fields)}


# ---- the ledger (台账) ----------------------------------------------------------------------------


class LedgerFilterForm(ProblemForm):
    view = forms.ChoiceField(label="列表", required=False)
    county = forms.ModelChoiceField(
        label="县区", queryset=None, required=False, to_field_name="code", empty_label="全部县区"
    )
    unit = forms.ModelChoiceField(
        label="主办单位", queryset=None, required=False, to_field_name="code", empty_label="全部单位"
    )
    category = forms.ModelChoiceField(
        label="问题分类",
        queryset=Category.objects.order_by("code"),
        required=False,
        to_field_name="code",
        empty_label="全部分类",
    )
    state = forms.ChoiceField(label="状态", choices=[("", "全部状态")] + State.choices, required=False)
    kind = forms.ChoiceField(label="诉求类型", choices=[("", "全部类型")] + Kind.choices, required=False)
    level = forms.ChoiceField(label="办理层级", choices=[("", "全部层级")] + EscalationLevel.choices, required=False)
    resolution = forms.ChoiceField(label="解决情况", choices=[("", "全部")] + Resolution.choices, required=False)
    satisfaction = forms.ChoiceField(label="满意度", choices=[("", "全部")] + Satisfaction.choices, required=False)
    date_from = forms.DateField(label="受理日期自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # The drills of the leader's cockpit: the cases behind a rate (its denominator or numerator), a channel,
    # a category without its sub-categories, a word of the hot topics.
    basis = forms.ChoiceField(label="统计口径", required=False)
    fact = forms.MultipleChoiceField(label="统计项（任一）", required=False, widget=forms.MultipleHiddenInput)
    channel = forms.ChoiceField(label="渠道", choices=[("", "全部渠道")] + Channel.choices, required=False)
    category_exact = forms.BooleanField(label="仅本分类（不含下级）", required=False)
    q = forms.CharField(label="关键词", max_length=40, required=False, strip=True)

    def __init__(self, *args, views=(), counties=None, units=None, city_id=None, **kwargs):
        from .selectors import BASES

        super().__init__(*args, **kwargs)
        from whistle.dashboard.case_rollup import FACT_LABELS

        self.fields["basis"].choices = [("", "全部")] + [(b.key, b.label) for b in BASES]
        self.fields["fact"].choices = list(FACT_LABELS.items())
        self.fields["view"].choices = [(v.key, v.label) for v in views]
        self.fields["county"].queryset = counties
        self.fields["unit"].queryset = units
        if city_id:  # a city's staff: the province's categories and their city's own (others' never reach them)
            self.fields["category"].queryset = Category.objects.filter(category_city_q(city_id)).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data
