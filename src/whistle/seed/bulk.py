"""N synthetic cases for benchmarks, each with the history the services would write for it, written set-wise (COPY on
PostgreSQL, executemany elsewhere).

Each case gets a `Story`: the case as `cases.services.case_submit` would create it, who submits it, and the steps of
its life up to its state — routed by the dispatch catalogue or dispatched by its county office, then accepted,
contacted, given an opinion, replied to and followed up (closed, or reopened), or returned — each step a row of the
workflow table with its actor, payload and moment. `play` runs the story through the engine's own planning
(`workflow.plan_rows_with_follow_ons`: relation, state, guard and payload checks, the row's effect and follow-ons, the
hash-chained event, `event_seq`/`last_event_hash`) on the in-memory case, and the hooks that would write the case's
assisting units after a save write them into the load instead. So the events, their payloads and the case's columns
are what `cases.services` writes for the same story (tests/seed/test_bulk_paths.py plays stories both ways and
compares), and `whistle audit verify` accepts the chains.

Left out on purpose: the services' scope look-up and row lock (the actors are in scope by construction; the load is
one transaction), `events_written` (the notices outbox would fill with a year of notices nobody is to receive), and
the sweeper: a story ends before any of its cards or supervision notices falls due, except about 1% of open cases, left
near or past their solve deadline for the sweeper; every other armed sweep column is in the future. The rules read per
row (the dispatch catalogue, the contradictory-answer patterns) are read once per load (`core.memo.held`). Same N and
seed on the same organisation → the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from bisect import bisect
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from whistle.cases import deadlines, workflow
from whistle.cases.models import Case, CaseEvent, Category, Channel, State
from whistle.cases.routing import route_for
from whistle.cases.workflow import EventRow
from whistle.core import calendar, memo, partitions, wording
from whistle.core.inputs import phone as clean_phone
from whistle.org.models import Unit
from whistle.org.scopes import Actor

from . import data
from .heze import Heze, is_loaded, load_heze, mobile, person_name
from .history import ENTERPRISE_CHANNELS, OFFICE_CHANNELS, day_start

CHUNK = 10_000
PROGRESS_EVERY = 100_000
S = State
# The state mix of a platform that has run for a while: most cases closed, the open ones spread over the steps.
OPEN_STATES = {
    S.SUBMITTED: 5,
    S.DISPATCHED: 15,
    S.RETURNED: 3,
    S.ACCEPTED: 10,
    S.CONTACTED: 10,
    S.IN_PROGRESS: 50,
    S.REPLIED: 20,
    S.REOPENED: 7,
}
CLOSED_SHARE = 0.88
LATE_SHARE = 0.01  # of open cases: near or past the solve deadline, for the sweeper
# Of a city's routed cases, the share raised under that city's own categories (`Category.city`, in a province: the
# industries only that city has), when it has any: drawn after the catalogue's pick, so a city without own categories
# (Heze's demo) gets the same cases as before they existed.
OWN_CATEGORY_SHARE = 0.05
CHANNELS = {**ENTERPRISE_CHANNELS, **OFFICE_CHANNELS, Channel.OPEN311: 1}
# The steps after dispatch, in order, and the state each leaves the case in.
LATER_STEPS = [(S.ACCEPTED, "accept"), (S.CONTACTED, "contact"), (S.IN_PROGRESS, "opinion"), (S.REPLIED, "reply")]
# Working days from dispatch to the reply: all before the solve deadline's yellow card (15 working days less one).
REPLY_WORKING_DAYS = [1, 2, 3, 5, 8, 10, 12]


class Clock:
    """`calendar.add_working_days` for the stories' own moments, computed once per (start date, shift): a shifted
    moment keeps the start's time of day (or 00:00 when the start is a day off)."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()
        self.memo: dict[tuple[dt.date, int], tuple[dt.date, bool]] = {}

    def shift(self, start: dt.datetime, days: int) -> dt.datetime:
        local = start.astimezone(self.tz)
        key = (local.date(), days)
        if key not in self.memo:
            moved = timezone.localtime(calendar.add_working_days(start, days), self.tz)
            self.memo[key] = (moved.date(), days >= 0 and not calendar.is_working_day(local.date()))
        day, reset = self.memo[key]
        return dt.datetime.combine(day, dt.time(0, 0) if reset else local.time(), tzinfo=self.tz)


class Weighted:
    """A weighted choice with the cumulative weights computed once (`random.choices` redoes them per call)."""

    def __init__(self, weights: dict):
        self.items, self.cumulative = list(weights), list(accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


@dataclass
class Story:
    """One synthetic case: the case as `case_submit` creates it (not saved), who submits it with which event payload,
    and its later steps (action, actor, payload, moment), each played with its follow-ons as the services play it."""

    case: Case
    submitter: Actor
    record: dict
    steps: list[tuple[str, Actor, dict, dt.datetime]] = field(default_factory=list)


class AssistingUnits:
    """Stands in for the case in the after-save hooks of its steps: the hooks write `case.assisting_units` (`set` at a
    dispatch, `clear` at a return), and the load writes what they left here, with the case."""

    def __init__(self):
        self.assisting_units = self
        self.units: list[Unit] = []

    def set(self, units) -> None:
        self.units = list(units)

    def clear(self) -> None:
        self.units = []

    @property
    def ids(self) -> set[int]:
        return {u.pk for u in self.units}


def _own_templates(category: Category) -> list[tuple[str, str]]:
    """A city's own category has no written stories (`data.TEMPLATES` is the shared catalogue's): one from its name."""
    return [(f"反映{category.name}问题", f"{{ent}}反映{category.name}方面的问题，涉及{{n}}项具体事项，请协调解决。")]


class Generator:
    def __init__(self, heze: Heze, rng: random.Random, end: dt.datetime):
        self.heze, self.rng, self.end = heze, rng, end
        self.default_profile = deadlines.default_profile()
        self.clock = Clock()
        self.categories = Weighted({c: w for c, w in data.CATEGORY_WEIGHTS.items() if c in heze.categories})
        self.unrouted = [c for c in data.UNROUTED_CHOICES if c in heze.categories]
        self.own: dict[int, list[str]] = {}  # city id → its own active categories' codes
        for category in heze.categories.values():
            if category.city_id is not None and category.is_active:
                self.own.setdefault(category.city_id, []).append(category.code)
        self.enterprises = Weighted({e: 1 + 3 * e.is_key + 2 * e.above_scale for e in heze.enterprises})
        self.channels = Weighted(CHANNELS)
        self.open_states = Weighted(OPEN_STATES)
        self.outcomes = Weighted(
            {
                ("resolved", "satisfied"): 88,
                ("resolved", "basically_satisfied"): 7,
                ("partly", "basically_satisfied"): 4,
                ("unreachable", ""): 1,
            }
        )
        self.system = Actor.system()
        self.attnames = [f.attname for f in Case._meta.concrete_fields]
        self.position = {name: i for i, name in enumerate(self.attnames)}
        self.defaults = [f.get_default() for f in Case._meta.concrete_fields]
        self.case_columns = [f.column for f in Case._meta.concrete_fields]
        # Each category with its parents loaded, so routing a case walks them without a query.
        for category in heze.categories.values():
            parent = heze.categories_by_id.get(category.parent_id)
            if parent is not None:
                category.parent = parent

    # ---- who acts ----------------------------------------------------------------------------------------

    def actor(self, user) -> Actor:
        return self.heze.actors[user.pk]

    def coordinator(self, county: Unit) -> Actor:
        return self.actor(self.heze.coordinators[county.pk])

    def handler(self, unit_id: int) -> Actor:
        return self.actor(self.heze.handlers[unit_id])

    # ---- one case's story --------------------------------------------------------------------------------

    def moment(self, days_ago_lo: float, days_ago_hi: float) -> dt.datetime:
        return self.end - dt.timedelta(seconds=int(self.rng.uniform(days_ago_lo, days_ago_hi) * 86400))

    def waiting_since(self) -> dt.datetime:
        """When a case still waiting for its dispatch was raised: in office hours of the last working day before the
        end, so its dispatch clock (a working day) runs past the end, whatever day the end falls on."""
        day = calendar.previous_working_day(timezone.localtime(self.end).date())
        opening = dt.datetime.combine(day, dt.time(8, 30), tzinfo=timezone.get_current_timezone())
        return min(opening + dt.timedelta(minutes=self.rng.randint(0, 7 * 60)), self.end - dt.timedelta(hours=3))

    def hours(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(hours=self.rng.uniform(lo, hi))

    def story(self, pk: int, state: str | None = None, late: bool | None = None) -> Story:
        """The story of case `pk`, ending in `state` (default: drawn from the mix; `late`: one of the late few)."""
        rng, heze = self.rng, self.heze
        if state is None:
            closed = rng.random() < CLOSED_SHARE
            state = S.CLOSED if closed else self.open_states.pick(rng)
            late = not closed and rng.random() < LATE_SHARE
            if late:
                state = rng.choice([S.IN_PROGRESS, S.CONTACTED, S.ACCEPTED])
        late = bool(late)
        code = rng.choice(self.unrouted) if state == S.SUBMITTED else self.categories.pick(rng)
        enterprise = self.enterprises.pick(rng)
        county = enterprise.county
        own = self.own.get(county.city_id)
        if own and state != S.SUBMITTED and rng.random() < OWN_CATEGORY_SHARE:
            code = rng.choice(own)  # routed by its city's own rule, as the catalogue's routed ones
        channel = self.channels.pick(rng)
        user = heze.enterprise_users.get(enterprise.pk)
        if channel in ENTERPRISE_CHANNELS and user is None:
            channel = Channel.HOTLINE  # an enterprise without an account calls the office
        title, text = rng.choice(data.TEMPLATES.get(code) or _own_templates(heze.categories[code]))
        description = text.format(
            ent=enterprise.name,
            town=enterprise.township.name if enterprise.township_id else "",
            county=county.short_name,
            n=rng.randint(2, 6),
            amt=rng.choice([50, 120, 300, 800]),
            month=rng.randint(1, 12),
            kva=rng.choice([630, 1250]),
        )
        kind = data.CATEGORY_KIND.get(code) or (
            "consult" if "咨询" in title else "suggestion" if "建议" in title else "help"
        )
        category: Category = heze.categories[code]
        # A closed case was raised any time in the year; an open one recently enough that none of its clocks has
        # reached the sweeper (a waiting one within its dispatch day), unless it is one of the late few (14–30
        # working days old).
        if late:
            submitted = self.clock.shift(self.end, -rng.randint(14, 30)) - dt.timedelta(minutes=rng.randint(1, 600))
        elif state == S.CLOSED:
            submitted = self.moment(5, 365)
        elif state == S.REOPENED:
            submitted = self.moment(10, 30)
        elif state in (S.SUBMITTED, S.RETURNED):
            submitted = self.waiting_since()
        else:
            submitted = self.moment(0.05, 10)
        # The case as `case_submit` creates it (built from its columns in order, which costs far less than by name).
        values = list(self.defaults)
        for name, value in (
            ("id", pk),
            ("kind", kind),
            ("channel", channel),
            ("title", title),
            ("description", description.strip()),
            ("sla_profile_id", category.sla_profile_id or self.default_profile),
            ("submitted_at", submitted),
            ("level", "county"),
        ):
            values[self.position[name]] = value
        case = Case(*values)
        case.category, case.county, case.city_id = category, county, county.city_id
        if channel in ENTERPRISE_CHANNELS:
            submitter = self.actor(user)
            case.enterprise, case.requester = enterprise, user
            case.contact_name, case.contact_phone = enterprise.contact_name, clean_phone(enterprise.contact_phone)
        elif channel == Channel.OPEN311:
            submitter = self.system
            case.contact_name, case.contact_phone = person_name(rng), clean_phone(mobile(rng))
            # The city's own name (core_wording `city_name`, per city in a province), not Heze's for every city.
            case.address = f"{wording.text('city_name', county.city_id)}{county.short_name}{rng.choice(data.ROADS)}"
        else:
            submitter = self.coordinator(county)
            case.enterprise = enterprise
            case.contact_name, case.contact_phone = enterprise.contact_name, clean_phone(enterprise.contact_phone)
        record = {"kind": kind, "category": code, "channel": channel, "county": county.code, "cross_county": False}
        story = Story(case, submitter, record)
        if state != S.SUBMITTED:
            self.steps(story, state, late)
        return story

    def steps(self, story: Story, state: str, late: bool) -> None:
        """The steps from dispatch to `state`, at moments squeezed into the time before the end."""
        rng, heze, case = self.rng, self.heze, story.case
        county = case.county
        steps: list[tuple[str, Actor | None, dict, dt.datetime]] = []
        dispatched = case.submitted_at
        lead = route_for(case)  # the catalogue dispatches at submission; else the county office does
        if lead is None:
            coordinator = self.coordinator(county)
            options = [
                u
                for f in data.UNROUTED_CHOICES.get(story.record["category"], ["fgw"])
                for u in [self.township(case) if f == "township" else heze.unit_for(county, f)]
                if u is not None and coordinator.covers(u)
            ] or [u for u in (heze.unit_for(county, f) for f in ("fgw", "xzsp", "zjj")) if coordinator.covers(u)]
            lead = rng.choice(options)
            dispatched += self.hours(0.5, 5)
            payload = {"unit": lead, "complex": not late and rng.random() < 0.05}
            if rng.random() < 0.03:
                helper = heze.unit_for(county, rng.choice(["fgw", "zrzy", "xzsp"]))
                if helper.pk != lead.pk and coordinator.covers(helper):
                    payload["assisting_units"] = [helper.code]
            steps.append(("dispatch", coordinator, payload, dispatched))
        at = dispatched
        handler = self.handler(lead.pk)
        if state == S.RETURNED:
            suggested = heze.unit_for(county, data.RETURN_SUGGESTIONS.get(lead.code.split("-", 1)[1], "fgw"))
            if suggested.pk == lead.pk:
                suggested = heze.unit_for(county, "xzsp" if lead.code.split("-", 1)[1] != "xzsp" else "fgw")
            reason = rng.choice(data.RETURN_REASONS).format(unit=suggested.name)
            steps.append(("return", handler, {"reason": reason, "suggested_unit": suggested}, at + self.hours(0.1, 2)))
        reached = [s for s, _ in LATER_STEPS].index(state) + 1 if state in dict(LATER_STEPS) else 0
        if state in (S.CLOSED, S.REOPENED):
            reached = len(LATER_STEPS)
        for (_, action), gap in zip(LATER_STEPS[:reached], [(0.1, 2), (0.1, 1.5), (0.5, 20), (1, 4)]):
            at += self.hours(*gap)
            if action == "reply":
                at = max(at, self.clock.shift(dispatched, rng.choice(REPLY_WORKING_DAYS)))
            steps.append((action, handler, self.payload(action, case), at))
        if state in (S.CLOSED, S.REOPENED):
            at += self.hours(4, 60)
            if state == S.REOPENED:  # reopened lately: its new solve clock still runs
                at = max(at, self.end - self.hours(1, 72))
                resolution, satisfaction = "unresolved", "basically_satisfied"
            else:
                resolution, satisfaction = self.outcomes.pick(rng)
            if case.requester_id is not None:
                follower = self.actor(case.requester)
                if resolution == "unreachable":  # only the office records that it could not reach the requester
                    resolution, satisfaction = "resolved", "satisfied"
            else:
                follower = self.coordinator(county)
            comment = rng.choice(data.FOLLOW_UP_COMMENTS.get(satisfaction, [""]))
            payload = {"resolution": resolution, "satisfaction": satisfaction, "comment": comment}
            steps.append(("follow_up", follower, payload, at))
        cap = self.end - dt.timedelta(minutes=1)
        last = steps[-1][3] if steps else case.submitted_at
        if last > cap:  # squeeze the steps of a recent case into the time it has had
            start = case.submitted_at
            scale = (cap - start) / (last - start)
            steps = [(a, actor, p, start + (t - start) * scale) for a, actor, p, t in steps]
        story.steps = steps

    def township(self, case: Case) -> Unit | None:
        enterprise = case.enterprise
        return enterprise.township if enterprise is not None and enterprise.township_id else None

    def payload(self, action: str, case: Case) -> dict:
        rng = self.rng
        if action == "contact":
            method = rng.choice(["phone", "phone", "onsite", "onsite", "online", "meeting"])
            return {"method": method, "note": "已与企业联系人沟通，了解诉求详情。"}
        if action == "opinion":
            return {"opinion": rng.choice(data.OPINIONS).format(n=rng.randint(1, 10))}
        if action == "reply":
            return {"content": rng.choice(data.REPLIES)}
        return {}

    # ---- playing it --------------------------------------------------------------------------------------

    def play(self, story: Story) -> tuple[list, list[EventRow], list[tuple[int, int]]]:
        """The story through the engine's planning: (the case's column values, its event rows, its assisting-unit
        rows). A step the workflow refuses raises, as it would through the services."""
        case, rows, hooks, helpers = story.case, [], [], AssistingUnits()
        now = case.submitted_at
        # As `case_submit`: submitted and, not being cross-county, routed by the catalogue.
        steps = [("submit", story.submitter, story.record, now), ("route", self.system, {}, now), *story.steps]
        for action, actor, payload, at in steps:
            workflow.plan_rows_with_follow_ons(case, action, actor, payload, at, rows, hooks, assisting_ids=helpers.ids)
            for hook in hooks:
                hook(helpers)
            hooks.clear()
        values = [getattr(case, name) for name in self.attnames]
        return values, rows, [(case.pk, unit.pk) for unit in helpers.units]


# ---- writing -----------------------------------------------------------------------------------------

EVENT_COLUMNS = list(EventRow._fields)

_column_types: dict[tuple[str, str], int] = {}


def _write(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Append rows to a table: binary COPY on PostgreSQL (column types read from the catalogue), executemany elsewhere.
    A dict goes to a JSON column."""
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [_column_types.get((table, c)) for c in columns]
            if None in types:
                cursor.execute(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
                )
                found = dict(cursor.fetchall())
                _column_types.update({(table, c): found[c] for c in columns})
                types = [found[c] for c in columns]
            with cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        from decimal import Decimal

        adapt = connection.ops.adapt_datetimefield_value
        rows = [
            tuple(
                adapt(v)
                if isinstance(v, dt.datetime)
                else json.dumps(v, ensure_ascii=False)
                if isinstance(v, dict)
                else str(v)
                if isinstance(v, Decimal)
                else v
                for v in row
            )
            for row in rows
        ]
        cursor.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})", rows)


@contextmanager
def _indexes_and_keys_deferred(tables: list[str]):
    """On PostgreSQL, drop the tables' secondary indexes and foreign keys for the load and make them again after
    it, in the caller's transaction: one index build and one set-wise key check are several times cheaper than
    keeping both up to date row by row (measured ≈290 → ≈60 µs per case). A failed check undoes the whole load."""
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        keys = cursor.fetchall()
        # Rows written earlier in this transaction (the organisation, in a test) have key checks pending, and
        # a table with pending checks cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))  # a partitioned table's index, on every month
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")


def write_played(played: list[tuple[list, list[EventRow], list[tuple[int, int]]]]) -> None:
    """Write stories `Generator.play` has played: the case rows, their events, their assisting units, set-wise."""
    through = Case.assisting_units.through._meta
    cases, events, assisting = [], [], []
    for case_row, event_rows, helper_rows in played:
        cases.append(case_row)
        events.extend(event_rows)
        assisting.extend(helper_rows)
    _write(Case._meta.db_table, [f.column for f in Case._meta.concrete_fields], cases)
    _write(CaseEvent._meta.db_table, EVENT_COLUMNS, events)
    _write(through.db_table, [through.get_field("case").column, through.get_field("unit").column], assisting)


def next_case_id() -> int:
    return (Case.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def move_case_ids_on() -> None:
    """Move the case id sequence past the rows written with their own ids, so the next case raised follows them."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(sql)


def generate_cases(
    n: int, *, seed: int = 1, stdout=None, end: dt.datetime | None = None, enterprises: int = 300
) -> int:
    """Add `n` synthetic cases (loading the Heze organisation first if the database has none). Returns n.

    One transaction: other sessions wait for the case tables until the load is done, and see all of it or none.
    """
    if not is_loaded():
        load_heze(enterprises=enterprises, seed=seed)
    heze = Heze.from_db()
    generator = Generator(heze, random.Random(seed), day_start(end or timezone.now()))
    # The synthetic year's months, where the events are partitioned (PostgreSQL): made before the load, not caught
    # by the default partition.
    partitions.create_ahead(0, now=end, since=partitions.add_months(partitions.month_of(end or timezone.now()), -13))
    through = Case.assisting_units.through._meta
    tables = [Case._meta.db_table, CaseEvent._meta.db_table, through.db_table]
    with transaction.atomic(), memo.held(), _indexes_and_keys_deferred(tables):
        first = next_case_id()
        done = 0
        while done < n:
            size = min(CHUNK, n - done)
            # The whole chunk is played before the COPY starts: playing may read the database (the calendar reloads
            # its holiday overrides now and then), which a connection in COPY mode cannot answer.
            write_played([generator.play(generator.story(pk)) for pk in range(first + done, first + done + size)])
            done += size
            if stdout is not None and (done % PROGRESS_EVERY == 0 or done == n):
                stdout.write(f"已生成 {done:,} / {n:,} 条工单")
        move_case_ids_on()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(tables[0])}, {connection.ops.quote_name(tables[1])}")
    return n
