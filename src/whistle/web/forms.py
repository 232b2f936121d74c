"""Forms collect what a person typed; the services decide whether it is acceptable.

A refusal (`core.errors.Problem`) names the input at fault; `ProblemForm.add_problem` puts its Chinese detail
beside that field, so the page shows the service's own words and keeps everything typed.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model

from whistle.cases.models import Case, Category, Channel, EscalationLevel, Kind, Resolution, Satisfaction, State
from whistle.cases.workflow import CONTACT_METHODS
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


def category_choices(query: str = "") -> list:
    """Active categories grouped under their top level; a query keeps the matches (name, keywords, description)."""
    categories = list(
        Category.objects.filter(is_active=True, is_public=True).only(
            "pk", "code", "name", "parent_id", "keywords", "description"
        )
    )
    by_pk = {c.pk: c for c in categories}

    def top(c):
        while c.parent_id in by_pk:
            c = by_pk[c.parent_id]
        return c

    def depth(c):
        return 0 if c.parent_id not in by_pk else 1 + depth(by_pk[c.parent_id])

    terms = query.split()
    groups: dict[int, list] = {}
    for c in sorted(categories, key=lambda c: c.code):
        haystack = f"{c.name} {c.keywords} {c.description} {top(c).name}"
        if all(t in haystack for t in terms):
            groups.setdefault(top(c).pk, []).append((c.code, "　" * depth(c) + c.name))
    return [(by_pk[pk].name, options) for pk, options in sorted(groups.items(), key=lambda g: by_pk[g[0]].code)]


class CaseSubmitForm(ProblemForm):
    kind = forms.ChoiceField(label="诉求类型", choices=Kind.choices, initial=Kind.HELP, widget=forms.RadioSelect)
    category = forms.ChoiceField(label="问题分类")
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

    def __init__(self, *args, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "请选择问题分类")] + category_choices()
        if enterprise is not None and not self.is_bound:
            self.initial.update(
                contact_name=enterprise.contact_name, contact_phone=enterprise.contact_phone, address=enterprise.address
            )
        self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def submission(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("files", "idempotency_key")}
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


class AcceptForm(ActionForm):
    submit_label = "签收"


class ReturnForm(ActionForm):
    submit_label = "退单"
    reason = forms.CharField(label="退单理由", widget=textarea(3), max_length=500)
    suggested_unit = forms.ChoiceField(label="建议承办单位")

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggested_unit"].choices = unit_choices(units)


class ContactForm(ActionForm):
    submit_label = "记录联系"
    method = forms.ChoiceField(
        label="联系方式", choices=list(CONTACT_METHODS.items()), initial="phone", widget=forms.RadioSelect
    )
    note = forms.CharField(label="联系情况", widget=textarea(3), required=False, max_length=1000)


class OpinionForm(ActionForm):
    submit_label = "提交答复意见"
    opinion = forms.CharField(label="答复意见", widget=textarea(4), max_length=4000)


class ExtensionRequestForm(ActionForm):
    submit_label = "申请延期"
    reason = forms.CharField(label="延期理由", widget=textarea(3), max_length=500)


class ExtensionApproveForm(ActionForm):
    submit_label = "批准延期"
    note = forms.CharField(label="审批意见", widget=textarea(2), required=False, max_length=500)


class ExtensionRejectForm(ActionForm):
    submit_label = "驳回延期"
    reason = forms.CharField(label="驳回理由", widget=textarea(2), max_length=500)


class ReplyForm(ActionForm):
    submit_label = "办结回复"
    content = forms.CharField(label="办理结果", widget=textarea(5), max_length=4000)
    files = MultipleFileField(label="附件（照片、文书）")


class FollowUpForm(ActionForm):
    submit_label = "提交评价"
    resolution = forms.ChoiceField(label="问题是否解决", widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(
        label="满意程度", choices=Satisfaction.choices, widget=forms.RadioSelect, required=False
    )
    comment = forms.CharField(label="评价意见", widget=textarea(3), required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = Resolution.choices
        if self.actor is None or self.actor.role != Role.COORDINATOR:
            choices = [c for c in choices if c[0] != Resolution.UNREACHABLE]
        self.fields["resolution"].choices = choices


class NoteForm(ActionForm):
    note = forms.CharField(label="内容", widget=textarea(3), max_length=2000)


class AssistNoteForm(NoteForm):
    submit_label = "提交协办意见"


class CommentForm(NoteForm):
    submit_label = "补充说明"


class UrgeForm(ActionForm):
    submit_label = "催办"
    note = forms.CharField(label="催办内容", widget=textarea(2), required=False, max_length=500, initial="请抓紧办理")


class SuperviseForm(ActionForm):
    submit_label = "发出督办单"
    reason = forms.CharField(label="督办事由", widget=textarea(2), max_length=500)


class EscalateForm(ActionForm):
    submit_label = "提级至市级协调"
    reason = forms.CharField(label="提级理由", widget=textarea(2), max_length=500)


class GreenChannelForm(ActionForm):
    submit_label = "转入绿色通道"
    leader = forms.ChoiceField(label="领办领导", required=False, help_text="不选则由主办单位或属地的负责领导领办")
    reason = forms.CharField(label="理由", widget=textarea(2), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leaders = get_user_model().objects.filter(membership__role=Role.LEADER).select_related("membership__unit")
        self.fields["leader"].choices = [("", "默认领导")] + [
            (u.pk, f"{u.membership.display_name or u.username}（{u.membership.unit.name}）") for u in leaders
        ]


class DispatchForm(ActionForm):
    submit_label = "派单"
    unit = forms.ChoiceField(label="主办单位")
    assisting_units = forms.MultipleChoiceField(label="协办单位", required=False, help_text="可多选（按住Ctrl或长按）")
    complex = forms.BooleanField(label="复杂事项（办结时限30个工作日）", required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = unit_choices(units)
        self.fields["unit"].choices = choices
        self.fields["assisting_units"].choices = choices[1:]
        if self.case is not None and not self.is_bound:
            self.initial["complex"] = self.case.is_complex

    def payload(self) -> dict:
        data = super().payload()
        data["complex"] = self.cleaned_data.get("complex", False)
        return data


class RedispatchForm(ActionForm):
    """改派: the office moves a case from the unit it was wrongly sent to (cases.workflow row `redispatch`)."""

    submit_label = "改派"
    unit = forms.ChoiceField(label="改派至")
    reason = forms.CharField(label="改派理由", widget=textarea(2), max_length=500)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units)


class AttachForm(ActionForm):
    submit_label = "上传"
    files = MultipleFileField(label="选择文件", required=True)


class WithdrawForm(ActionForm):
    submit_label = "撤回诉求"
    reason = forms.CharField(label="撤回原因", widget=textarea(2), max_length=500)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": AcceptForm,
    "return": ReturnForm,
    "contact": ContactForm,
    "opinion": OpinionForm,
    "request_extension": ExtensionRequestForm,
    "approve_extension": ExtensionApproveForm,
    "reject_extension": ExtensionRejectForm,
    "reply": ReplyForm,
    "follow_up": FollowUpForm,
    "assist_note": AssistNoteForm,
    "comment": CommentForm,
    "urge": UrgeForm,
    "supervise": SuperviseForm,
    "escalate": EscalateForm,
    "green_channel": GreenChannelForm,
    "dispatch": DispatchForm,
    "attach": AttachForm,
    "withdraw": WithdrawForm,
    "redispatch": RedispatchForm,
}
# The forms that choose among units need the list, which is read once per page.
UNIT_FORMS = {"return", "dispatch", "redispatch"}


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

    def __init__(self, *args, views=(), counties=None, units=None, **kwargs):
        from .selectors import BASES

        super().__init__(*args, **kwargs)
        from whistle.dashboard.case_rollup import FACT_LABELS

        self.fields["basis"].choices = [("", "全部")] + [(b.key, b.label) for b in BASES]
        self.fields["fact"].choices = list(FACT_LABELS.items())
        self.fields["view"].choices = [(v.key, v.label) for v in views]
        self.fields["county"].queryset = counties
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data
