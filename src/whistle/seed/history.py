"""A year of cases, driven through the real workflow on a simulated clock.

Each case gets a plan (who raises it, which category, whether it is returned, extended, late, reopened …) and
lives as a generator that performs one workflow action per step and yields the simulated moment of its next
step. One event loop interleaves all cases with the deadline sweeper (twice a simulated day), so cards,
supervision notices, escalation to the city and the green channel happen as they would in production, and
every event chain is the one the workflow writes. Cases whose next step falls after "now" stay where
they are: that is what leaves recent cases in every open state.

Submissions go through `cases.services.case_submit`. The steps after it take a documented bulk path: the engine's
own planning (`workflow.plan_with_follow_ons`, the checks of state, relation, guards and payload that
`cases.services` applies) on the simulation's copy of the case, the writes batched by `flush`, which sends
`events_written` like every writer of events. It skips the services' scope look-up and row lock (the simulated
actors are in scope by construction, and nobody else writes during a seed). `through_services=True` plays the same
history through `cases.services` instead (a person's `case_transition`, the system's `system_transition`):
tests/seed/test_history_paths.py plays both and finds the same events, and chains that verify.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from whistle.cases import services, sweeper, workflow
from whistle.cases.models import Case, CaseEvent, Channel, Resolution, Satisfaction, State
from whistle.cases.signals import events_written
from whistle.core import calendar
from whistle.core.errors import Problem
from whistle.enterprises.models import Enterprise
from whistle.org.models import Unit
from whistle.org.scopes import Actor

from . import data
from .heze import Heze, mobile, person_name, pick

S = State
OFFICE_OPENS, OFFICE_CLOSES = dt.time(8, 30), dt.time(17, 30)
SWEEP_EVERY = dt.timedelta(hours=12)
# States a few recent cases are made to stop in, so every state shows even in a small demo.
SHOWCASE_STATES = [S.SUBMITTED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.CONTACTED, S.IN_PROGRESS, S.REPLIED, S.REOPENED]
# How long before "now" a showcase case starts, in days (it needs time to reach its state).
SHOWCASE_START = {
    S.SUBMITTED: (0.1, 1.2),
    S.DISPATCHED: (0.1, 1.2),
    S.RETURNED: (1, 3),
    S.ACCEPTED: (1, 3),
    S.CONTACTED: (1, 3),
    S.IN_PROGRESS: (2, 5),
    S.REPLIED: (4, 9),
    S.REOPENED: (4, 9),
}
ENTERPRISE_CHANNELS = {Channel.WEB: 35, Channel.APP: 40, Channel.API: 5}
OFFICE_CHANNELS = {Channel.HOTLINE: 8, Channel.H12345: 6, Channel.PROVINCIAL: 4, Channel.VISIT: 4}


@dataclass
class Plan:
    """What will happen to one case, decided up front so the run is deterministic."""

    at: dt.datetime
    category: str
    county: Unit
    enterprise: Enterprise | None
    channel: str
    kind: str
    title: str
    description: str
    cross_county: bool = False
    withdraw: bool = False
    returns: int = 0
    escalate_first: bool = False
    complex: bool = False
    assisting: bool = False
    extension: str = ""  # "", "approve" or "reject"
    reply_wd: int = 5
    follow_ups: list[tuple[str, str]] = field(default_factory=list)  # (resolution, satisfaction) per round
    comment: bool = False
    urge: bool = False
    stop_at: str | None = None
    suggested: Unit | None = None  # the unit the last return suggested


_CATEGORIES = {c[0]: c for c in data.CATEGORIES}


def _route(code: str) -> str | None:
    """The function the dispatch catalogue gives a category (its own rule or its nearest ancestor's)."""
    while code:
        _c, _n, parent, _k, route = _CATEGORIES[code]
        if route:
            return route.removeprefix("city:")
        code = parent
    return None


class Simulation:
    def __init__(
        self, heze: Heze, rng: random.Random, start: dt.datetime, end: dt.datetime, *, through_services: bool = False
    ):
        self.heze, self.rng, self.start, self.end = heze, rng, start, end
        self.through_services = through_services
        self.units_by_id = heze.units_by_id
        self.queue: list = []
        self.order = itertools.count()
        self.skipped: Counter = Counter()
        self.cases: dict[int, Case] = {}  # the current copy of every case touched since the last sweep
        self.dirty: dict[int, Case] = {}
        self.events: list[CaseEvent] = []
        self.sweeps: Counter = Counter()
        ents = heze.enterprises
        # Key and above-scale enterprises raise more; the demo enterprise (qiye) has plenty to show.
        self.ent_weights = [15 if i == 0 else 1 + 3 * e.is_key + 2 * e.above_scale for i, e in enumerate(ents)]

    # ---- clock -------------------------------------------------------------------------------------------

    def office(self, moment: dt.datetime) -> dt.datetime:
        """`moment` if it falls in office hours on a working day, else soon after the next opening."""
        local = timezone.localtime(moment)
        day = local.date()
        if calendar.is_working_day(day) and OFFICE_OPENS <= local.time() < OFFICE_CLOSES:
            return moment
        if not (calendar.is_working_day(day) and local.time() < OFFICE_OPENS):
            day = calendar.next_working_day(day)
        opening = timezone.make_aware(dt.datetime.combine(day, OFFICE_OPENS))
        return opening + dt.timedelta(minutes=self.rng.randint(0, 120))

    def later(self, moment: dt.datetime, lo_hours: float, hi_hours: float) -> dt.datetime:
        return self.office(moment + dt.timedelta(seconds=int(self.rng.uniform(lo_hours, hi_hours) * 3600)))

    def working_days_later(self, moment: dt.datetime, days: int) -> dt.datetime:
        return self.office(calendar.add_working_days(moment, days) + dt.timedelta(minutes=self.rng.randint(-240, 240)))

    # ---- acting ------------------------------------------------------------------------------------------

    def actor(self, user) -> Actor:
        return self.heze.actors[user.pk] if user is not None else Actor.system()

    def act(self, case: Case, action: str, user, payload: dict, at: dt.datetime) -> Case:
        """One workflow step: `workflow.plan`, the check-and-apply `workflow.apply` runs, on the simulation's
        own copy of the case, with the writes batched by `flush` (before every sweep, and at the end).

        `apply` would look the case up through the actor's scope and write it at once; over a year of cases
        that triples the time, and the simulated actors are in scope by construction.
        """
        if self.through_services:
            return self.act_through_services(case, action, user, payload, at)
        current = self.cases.get(case.pk)
        if current is None:
            current = self.cases[case.pk] = Case.objects.select_related("sla_profile").get(pk=case.pk)
        try:
            self.apply(current, action, self.actor(user), payload, at)
        except Problem:
            # A planned step the case no longer allows (the sweeper moved it on): skip it, as a person would.
            # `plan` refuses before it changes anything.
            self.skipped[action] += 1
        return current

    def act_through_services(self, case: Case, action: str, user, payload: dict, at: dt.datetime) -> Case:
        """The same step through the one door: scope look-up, row lock and write at once."""
        try:
            if user is None:
                case = services.system_transition(case.number, action, payload, at)
            else:
                case = services.case_transition(self.actor(user), case.number, action, payload, at)
        except Problem:
            self.skipped[action] += 1
            case = Case.objects.get(pk=case.pk)
        self.cases[case.pk] = case
        return case

    def apply(self, case: Case, action: str, actor: Actor, payload: dict, at: dt.datetime) -> None:
        """`workflow.apply_locked` with the case and event writes deferred."""
        hooks = []
        workflow.plan_with_follow_ons(case, action, actor, payload, at, self.events, hooks)
        self.dirty[case.pk] = case
        for hook in hooks:
            hook(case)

    def flush(self) -> None:
        for case in self.dirty.values():
            case.save()
        CaseEvent.objects.bulk_create(self.events, batch_size=500)
        if self.events:
            events_written.send(sender=Case, events=list(self.events))
        self.dirty.clear()
        self.events.clear()

    def handler(self, unit_id: int):
        return self.heze.handlers[unit_id]

    def coordinator(self, case: Case):
        key = case.county_id if case.level == "county" else None
        return self.heze.coordinators[key]

    def follow_up_user(self, case: Case):
        return self.heze.enterprise_users.get(case.enterprise_id) if case.requester_id else self.coordinator(case)

    # ---- planning ----------------------------------------------------------------------------------------

    def submission_time(self) -> dt.datetime:
        span = (self.end - self.start).days
        while True:
            day = (self.start + dt.timedelta(days=self.rng.randrange(span))).date()
            if calendar.is_working_day(day) or self.rng.random() < 0.25:
                break
        minutes = (
            self.rng.randint(8 * 60, 17 * 60 + 30) if self.rng.random() < 0.8 else self.rng.randint(6 * 60, 23 * 60)
        )
        return timezone.make_aware(
            dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, self.rng.randrange(60)))
        )

    def plan(self, at: dt.datetime, stop_at: str | None = None) -> Plan:
        rng = self.rng
        category = pick(rng, data.CATEGORY_WEIGHTS)
        if stop_at == S.SUBMITTED:
            category = rng.choice(list(data.UNROUTED_CHOICES))
        enterprise = rng.choices(self.heze.enterprises, self.ent_weights)[0]
        roll = rng.random()
        if roll < 0.78:
            channel = pick(rng, ENTERPRISE_CHANNELS)
        elif roll < 0.985 or stop_at:
            channel = pick(rng, OFFICE_CHANNELS)
        else:
            channel, enterprise = Channel.OPEN311, None
        title, description = self.wording(category, enterprise)
        kind = data.CATEGORY_KIND.get(category) or (
            "consult"
            if "咨询" in title
            else "suggestion"
            if "建议" in title
            else pick(rng, {"help": 80, "complaint": 15, "report": 5})
        )
        p = Plan(
            at=at,
            category=category,
            county=enterprise.county if enterprise else rng.choice(self.heze.counties),
            enterprise=enterprise,
            channel=channel,
            kind=kind,
            title=title,
            description=description,
            stop_at=stop_at,
        )
        if stop_at:
            p.returns = 1 if stop_at == S.RETURNED else 0
            p.reply_wd = rng.randint(1, 2)
            p.follow_ups = [("unresolved", "unsatisfied")] if stop_at == S.REOPENED else [("resolved", "satisfied")]
            return p
        p.cross_county = rng.random() < 0.03
        p.withdraw = channel in ENTERPRISE_CHANNELS and rng.random() < 0.012
        p.returns = pick(rng, {0: 91, 1: 6, 2: 3})
        p.escalate_first = category == "other-cross" and rng.random() < 0.4
        p.complex = rng.random() < 0.08
        p.assisting = rng.random() < 0.35
        p.extension = pick(rng, {"": 94, "approve": 4.5, "reject": 1.5})
        p.comment = rng.random() < 0.06
        p.urge = rng.random() < 0.05
        if kind == "consult":
            p.reply_wd = rng.randint(0, 3)
        else:
            low, high = pick(rng, {(1, 5): 45, (5, 12): 40, (13, 15): 6, (16, 22): 6, (24, 40): 3})
            p.reply_wd = rng.randint(low, high)
        if p.extension:
            p.reply_wd = rng.randint(14, 20)
        p.follow_ups = [self.outcome(0)]
        while p.follow_ups[-1][0] == "unresolved" or p.follow_ups[-1][1] == "unsatisfied":
            p.follow_ups.append(self.outcome(len(p.follow_ups)))
        return p

    def outcome(self, round_: int) -> tuple[str, str]:
        """(resolution, satisfaction) at the follow-up after the first reply (0) or after a redo (1, 2 …)."""
        if round_ >= 2:
            return ("resolved", self.rng.choice(["satisfied", "basically_satisfied"]))
        choices = (
            {
                ("resolved", "satisfied"): 80,
                ("resolved", "basically_satisfied"): 8,
                ("partly", "basically_satisfied"): 4,
                ("resolved", "unsatisfied"): 3,
                ("unresolved", "unsatisfied"): 3,
                ("partly", "unsatisfied"): 1,
                ("unreachable", ""): 1,
            }
            if round_ == 0
            else {("resolved", "satisfied"): 75, ("resolved", "basically_satisfied"): 10, ("partly", "unsatisfied"): 15}
        )
        return pick(self.rng, choices)

    def wording(self, category: str, enterprise: Enterprise | None) -> tuple[str, str]:
        rng = self.rng
        title, text = rng.choice(data.TEMPLATES[category])
        county = enterprise.county if enterprise else rng.choice(self.heze.counties)
        town = (
            enterprise.township if enterprise and enterprise.township_id else rng.choice(self.heze.townships[county.pk])
        )
        values = dict(
            ent=enterprise.name if enterprise else "",
            town=town.name,
            county=county.short_name,
            n=rng.randint(2, 6),
            amt=rng.choice([30, 50, 80, 120, 200, 350, 500, 800, 1200]),
            month=rng.randint(1, 12),
            kva=rng.choice([400, 630, 800, 1250, 2000]),
        )
        return title, text.format(**values)

    # ---- one case's life ---------------------------------------------------------------------------------

    def submit(self, p: Plan) -> Case:
        if p.channel in ENTERPRISE_CHANNELS:
            user, extra = self.heze.enterprise_users[p.enterprise.pk], {}
        elif p.channel == Channel.OPEN311:
            user, extra = (
                None,
                dict(
                    county=p.county.code,
                    contact_name=person_name(self.rng),
                    contact_phone=mobile(self.rng),
                    address=f"菏泽市{p.county.short_name}{self.rng.choice(data.ROADS)}",
                ),
            )
        else:
            user, extra = self.heze.coordinators[p.county.pk], dict(enterprise=p.enterprise)
        case, _ = services.case_submit(
            self.actor(user),
            kind=p.kind,
            category=p.category,
            title=p.title,
            description=p.description,
            channel=p.channel,
            cross_county=p.cross_county,
            now=p.at,
            **extra,
        )
        self.cases[case.pk] = case
        return case

    def dispatch_target(self, case: Case, p: Plan) -> tuple[Unit, list[Unit]]:
        heze, rng = self.heze, self.rng
        county = self.units_by_id[case.county_id]
        choice = _route(p.category) or rng.choice(data.UNROUTED_CHOICES.get(p.category, ["fgw"]))
        if case.level != "county":
            if p.suggested is not None:
                choice = p.suggested.code.split("-", 1)[1]
            choice = "fgw" if choice == "township" else choice
            lead = heze.city_unit(choice)
            areas = [county] if p.assisting or p.cross_county else []
            if p.cross_county:
                areas.append(rng.choice([c for c in heze.counties if c.pk != county.pk]))
            helpers = [heze.unit_for(area, choice) for area in areas]
            return lead, [h for h in dict.fromkeys(helpers) if h.pk != lead.pk]
        if p.suggested is not None:
            return p.suggested, []
        if choice == "township":
            town = (
                p.enterprise.township
                if p.enterprise and p.enterprise.township_id
                else rng.choice(heze.townships[county.pk])
            )
            return town, [heze.unit_for(county, "fgw")] if p.assisting else []
        lead = heze.unit_for(county, choice)
        helpers = [heze.unit_for(county, rng.choice(list(data.COUNTY_DEPARTMENTS)))] if p.assisting else []
        # A county office hands cases only to its own county's units.
        return lead, [h for h in helpers if h.pk != lead.pk and h.county_id == county.pk]

    def suggestion_for(self, case: Case) -> Unit:
        """The unit a returning unit names: same level as the office that will redispatch the case."""
        lead = self.units_by_id[case.lead_unit_id]
        county = self.units_by_id[case.county_id]
        function = data.RETURN_SUGGESTIONS.get(lead.code.split("-", 1)[1], "fgw")
        if case.level != "county":
            suggested = self.heze.city_unit(function)
            return suggested if suggested.pk != lead.pk else self.heze.city_unit("fgw" if function != "fgw" else "gxj")
        for candidate in (function, "xzsp", "fgw"):
            suggested = self.heze.unit_for(county, candidate)
            if suggested.pk != lead.pk and suggested.county_id == county.pk:
                return suggested
        return self.heze.unit_for(county, "zjj")

    def life(self, p: Plan):
        """One case from submission to its last step before "now". Yields the moment of each next step."""
        rng = self.rng
        case = self.submit(p)
        t = p.at
        if p.stop_at == case.state:
            return
        if p.withdraw:
            t = yield self.later(t, 0.3, 3)
            self.act(
                case,
                "withdraw",
                self.heze.enterprise_users[p.enterprise.pk],
                {"reason": "问题已与对方协商解决，撤回诉求"},
                t,
            )
            return
        if p.comment:
            t = yield t + dt.timedelta(minutes=rng.randint(30, 360))
            user = self.heze.enterprise_users[p.enterprise.pk] if case.requester_id else self.coordinator(case)
            case = self.act(case, "comment", user, {"note": "补充说明：相关证明材料已准备齐全，可随时提供。"}, t)
        while True:
            if case.state in (S.SUBMITTED, S.RETURNED):
                if p.escalate_first and case.level == "county":
                    t = yield self.later(t, 0.5, 4)
                    case = self.act(
                        case,
                        "escalate",
                        self.coordinator(case),
                        {"reason": "涉及多个部门，县级协调难度大，提请市吹哨办协调"},
                        t,
                    )
                t = yield self.later(t, 0.3, 5)
                lead, helpers = self.dispatch_target(case, p)
                case = self.act(
                    case,
                    "dispatch",
                    self.coordinator(case),
                    {"unit": lead.code, "assisting_units": [h.code for h in helpers], "complex": p.complex},
                    t,
                )
            if p.stop_at == case.state or case.state != S.DISPATCHED:
                return
            if p.returns > case.returns_count:
                t = yield min(self.later(t, 0.3, 8), case.return_due_at - dt.timedelta(minutes=5))
                p.suggested = self.suggestion_for(case)
                reason = rng.choice(data.RETURN_REASONS).format(unit=p.suggested.name)
                case = self.act(
                    case,
                    "return",
                    self.handler(case.lead_unit_id),
                    {"reason": reason, "suggested_unit": p.suggested.code},
                    t,
                )
                if case.state == S.RETURNED:
                    if p.stop_at == S.RETURNED:
                        return
                    continue
                p.returns, p.suggested = case.returns_count, None  # the return was refused: the unit takes the case
            break

        dispatched = case.dispatched_at
        handler = self.handler(case.lead_unit_id)
        t = yield self.later(t, 0.1, 1.5) if rng.random() < 0.8 else self.later(t, 2, 20)
        case = self.act(case, "accept", handler, {}, t)
        if p.stop_at == case.state:
            return
        t = yield t + dt.timedelta(minutes=rng.randint(10, 80)) if rng.random() < 0.85 else self.later(t, 1, 8)
        method = pick(rng, {"phone": 45, "onsite": 40, "online": 10, "meeting": 5})
        case = self.act(case, "contact", handler, {"method": method, "note": "已与企业联系人沟通，了解诉求详情。"}, t)
        if p.stop_at == case.state:
            return
        if p.kind != "consult" or rng.random() < 0.6:
            t = yield self.later(t, 0.5, 6) if rng.random() < 0.9 else self.later(t, 8, 30)
            case = self.act(
                case, "opinion", handler, {"opinion": rng.choice(data.OPINIONS).format(n=max(p.reply_wd, 1))}, t
            )
            if p.stop_at == case.state:
                return
        for helper in case.assisting_units.all():
            t = yield self.later(t, 2, 30)
            case = self.act(
                case,
                "assist_note",
                self.handler(helper.pk),
                {"note": f"{helper.display_name}已配合提供相关资料和意见。"},
                t,
            )
        if p.extension:
            t = yield max(self.working_days_later(dispatched, 12), t)
            case = self.act(case, "request_extension", handler, {"reason": rng.choice(data.EXTENSION_REASONS)}, t)
            t = yield self.later(t, 1, 20)
            if p.extension == "approve":
                case = self.act(
                    case, "approve_extension", self.coordinator(case), {"note": "同意延期，请按期办结。"}, t
                )
            else:
                case = self.act(
                    case, "reject_extension", self.coordinator(case), {"reason": "理由不充分，请在原时限内办结。"}, t
                )
        reply_at = self.later(dispatched, 1, 6) if p.reply_wd == 0 else self.working_days_later(dispatched, p.reply_wd)
        if p.urge and case.resolve_due_at and reply_at > case.resolve_due_at - dt.timedelta(days=2):
            t = yield max(self.office(case.resolve_due_at - dt.timedelta(days=2)), t)
            case = self.act(
                case, "urge", self.coordinator(case), {"note": "该工单即将到期，请抓紧办理并及时答复企业。"}, t
            )
        for resolution, satisfaction in p.follow_ups:
            t = yield max(reply_at, self.later(t, 0.2, 2))
            case = self.act(case, "reply", self.handler(case.lead_unit_id), {"content": rng.choice(data.REPLIES)}, t)
            if p.stop_at == case.state or case.state != S.REPLIED:
                return
            t = yield self.later(t, 4, 60)
            user = self.follow_up_user(case)
            if resolution == Resolution.UNREACHABLE and case.requester_id:
                resolution, satisfaction = Resolution.RESOLVED, Satisfaction.SATISFIED
            comment = rng.choice(data.FOLLOW_UP_COMMENTS.get(satisfaction, [""]))
            case = self.act(
                case, "follow_up", user, {"resolution": resolution, "satisfaction": satisfaction, "comment": comment}, t
            )
            if case.state != S.REOPENED or p.stop_at == S.REOPENED:
                return
            reply_at = self.working_days_later(t, rng.randint(2, 9))

    # ---- the event loop ----------------------------------------------------------------------------------

    def sweeping(self):
        """The worker, every SWEEP_EVERY. When no sweep column is due (in the database or in a copy not yet
        written) it skips the sweep and the flush before it: most ticks cost one cheap query."""
        columns = [column for _, column in sweeper.RULES]
        t = self.start
        while True:
            pending = any(
                getattr(c, col) is not None and getattr(c, col) <= t for c in self.dirty.values() for col in columns
            )
            if pending or Case.objects.filter(reduce(or_, (Q(**{f"{col}__lte": t}) for col in columns))).exists():
                self.flush()
                for rule, written in sweeper.sweep(now=t).items():
                    self.sweeps[rule] += written
                self.cases.clear()  # the sweeper changed cases behind our copies
            t = yield t + SWEEP_EVERY

    def schedule(self, at: dt.datetime, life, showcase: bool = False) -> None:
        heapq.heappush(self.queue, (at, next(self.order), life, showcase, True))

    def run(self) -> None:
        while self.queue:
            at, _, life, showcase, first = heapq.heappop(self.queue)
            if at > self.end:
                break
            try:
                following = next(life) if first else life.send(at)
            except StopIteration:
                continue
            if showcase:
                # A showcase case must reach its state before "now": squeeze its remaining steps in.
                following = min(following, at + (self.end - at) / 2)
            heapq.heappush(self.queue, (max(following, at), next(self.order), life, showcase, False))


def day_start(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localtime(moment).date(), dt.time(0, 0)))


def generate_history(
    heze: Heze, *, cases: int = 1500, seed: int = 1, end: dt.datetime | None = None, through_services: bool = False
) -> dict:
    """Raise `cases` cases over the year before `end` (default: today 00:00) and play them through (see the module
    docstring for `through_services`)."""
    end = day_start(end or timezone.now())
    sim = Simulation(heze, random.Random(seed), end - dt.timedelta(days=365), end, through_services=through_services)
    per_state = max(1, cases // 300)
    showcase = [state for state in SHOWCASE_STATES for _ in range(per_state)][:cases]
    plans = [sim.plan(sim.submission_time()) for _ in range(cases - len(showcase))]
    for state in showcase:
        lo, hi = SHOWCASE_START[state]
        plans.append(
            sim.plan(end - dt.timedelta(minutes=sim.rng.randint(int(lo * 1440), int(hi * 1440))), stop_at=state)
        )
    with transaction.atomic():
        sim.schedule(sim.start, sim.sweeping())
        for p in sorted(plans, key=lambda p: p.at):
            sim.schedule(p.at, sim.life(p), showcase=p.stop_at is not None)
        sim.run()
        sim.flush()
    return {"skipped": dict(sim.skipped), "sweeps": dict(sim.sweeps)}
