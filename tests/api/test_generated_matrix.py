"""The authorization matrix generated from the OpenAPI document and the URL conf (issue 13, "a suite that keeps them
closed"): every route × every role × an object in scope, out of scope and missing.

The hand-written matrix (test_authorization_matrix.py) goes deep on cases; this one goes wide. Routes are not listed
here: they come from `GET /api/v1/openapi.json` and from Django's URL resolver, so a new endpoint joins the matrix by
existing — and fails it until `KINDS` below knows how to fill its path parameters for every role.

What every route must do, for every role:
- answer an object outside the role's scope exactly like a missing one (status and body, request ids aside), and,
  for an unsafe method, never with a 2xx and without writing a row;
- never answer 5xx, whatever the role and object;
- to an anonymous caller, give no data: 401, a redirect to the login page, or a refusal — except the public pages
  (the rating card under /r/, Open311, sign-in, health).
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.api.conftest import Api
from tests.conftest import PASSWORD
from tests.patronage.conftest import make_project
from tests.web.conftest import photo
from whistle.accountability.models import ActionKind, Proposal, Rule
from whistle.api.main import api as ninja_api
from whistle.cases import services as case_services
from whistle.cases.models import CallbackCheck, CallbackDraw
from whistle.chains import services as chain_services
from whistle.chains.models import Chain, Officer
from whistle.leniency import demo as leniency_demo
from whistle.leniency import services as leniency_services
from whistle.org.models import Membership
from whistle.org.services import token_issue
from whistle.patronage import services as patronage_services
from whistle.ratings.models import Appeal, Cadre, Rating
from whistle.ratings.rectification import rerate_token
from whistle.reforms import services as reform_services
from whistle.web.models import LedgerExport

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MISSING_INT = 99999999

# Role → the heze user playing it. Cao-county roles have a 单县 object outside their scope; city-wide roles do not.
ROLES = {
    "anonymous": None,
    "enterprise": "ent_cao",
    "handler": "cao_zjj",
    "unit_admin": "cao_zjj_admin",
    "county_coordinator": "cao_office",
    "city_coordinator": "city_office",
    "county_leader": "cao_leader",
    "city_leader": "city_leader",
    "auditor": "auditor",
    "admin": "sysadmin",
    "inspector": "cao_inspector",
    "chain_office": "bio_chain_office",
}
COUNTY_SCOPED = {"ent_cao", "cao_zjj", "cao_zjj_admin", "cao_office", "cao_leader", "cao_inspector"}

# Page routes an anonymous caller may read: the public rating card and its files, the re-rate link, Open311,
# sign-in, health. Everything else answers an anonymous caller with 401/403/404/405 or a redirect to /login.
# /metrics answers a caller from an allow-listed address (the test client's 127.0.0.1) without a token.
PUBLIC_PAGES = re.compile(
    r"^/(r/(ranking|rerate/|(?!cards/|ratings/|appeals/)[^/]+/)|open311/|login|healthz|readyz|metrics|reforms/public/"
    r"|api/v1/(openapi\.json|docs)?$|api/docs)"
)
PUBLIC_API = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/workflow"), ("GET", "/api/v1/metrics/definitions")}


# ---------------------------------------------------------------------------------------------------------------
# The routes


@dataclass(frozen=True)
class Route:
    kind: str  # "api" (an OpenAPI operation, bearer token) or "page" (a session)
    methods: tuple[str, ...]
    template: str  # "/api/v1/cases/{number}"

    def __str__(self):
        return f"{'/'.join(self.methods)} {self.template}"


def _template(prefix: str, pattern) -> str:
    text = str(pattern)
    if text.startswith("^"):  # a regex route (Open311): "^requests/(?P<number>[^/]+)\.(?P<fmt>\w+)$"
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text.strip("^$")).replace("\\.", ".").replace("s?/", "s/")
    else:
        text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return prefix + text


def page_routes() -> list[Route]:
    """Every route of the URL conf except the admin (its own sign-in and permissions, tested in org/) and the API's
    operations (they come from the OpenAPI document, with their methods)."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, _template(prefix, p.pattern))
            elif isinstance(p, URLPattern):
                found.append(_template(prefix, p.pattern))

    walk(get_resolver().url_patterns, "/")
    operations = {template for _, template in api_operations()}
    return [
        Route("page", ("GET", "POST"), t)
        for t in found
        if not t.startswith(("/admin/", "/static/")) and t not in operations
    ]


def api_operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]


def all_routes() -> list[Route]:
    by_path: dict[str, list[str]] = {}
    for method, path in api_operations():
        by_path.setdefault(path, []).append(method)
    return [Route("api", tuple(sorted(m)), p) for p, m in by_path.items()] + page_routes()


ROUTES = all_routes()


# ---------------------------------------------------------------------------------------------------------------
# The objects: how to fill each path parameter for a role


@dataclass
class Fill:
    inside: str
    outside: str | None  # None: nothing is outside this role's scope (a city-wide role, a public object)
    missing: str


# A kind is keyed by (the path segment before the parameter, the parameter's name); "*" matches any segment.
KINDS: dict[tuple[str, str], Callable[["World", str | None], Fill]] = {}


def kind(*keys):
    def register(fn):
        for key in keys:
            KINDS[key] = fn
        return fn

    return register


def scoped(inside, outside, missing, user) -> Fill:
    return Fill(str(inside), str(outside) if user in COUNTY_SCOPED else None, str(missing))


class World:
    """One object per kind in 曹县 (inside the Cao roles' scope) and one in 单县 (outside it)."""

    def __init__(self, heze):
        self.heze = heze
        users = get_user_model()
        admin = users.objects.create_user("cao_zjj_admin", password=PASSWORD)
        Membership.objects.create(user=admin, role="unit_admin", unit=heze.cao_zjj, display_name="单位管理员")
        heze.users.cao_zjj_admin = admin
        root = users.objects.create_superuser("sysadmin", password=PASSWORD)
        Membership.objects.create(user=root, role="sysadmin", display_name="系统管理员")
        heze.users.sysadmin = root
        for name, unit in (("cao_inspector", heze.cao_scjg), ("shan_inspector", heze.shan_zjj)):
            inspector = users.objects.create_user(name, password=PASSWORD)
            Membership.objects.create(user=inspector, role="inspector", unit=unit, display_name="执法人员")
            setattr(heze.users, name, inspector)

        for name, chain in (("bio_chain_office", "biomedicine"), ("chem_chain_office", "chemicals")):
            officer = users.objects.create_user(name, password=PASSWORD)
            Membership.objects.create(user=officer, role="chain_office", unit=heze.city_zjj, display_name="链办")
            Officer.objects.create(chain=Chain.objects.get(code=chain), user=officer)
            setattr(heze.users, name, officer)

        self._own: dict[tuple[str, str], object] = {}

    # Each kind is made on first use: most routes need one or two of them, and the matrix runs per route.
    @cached_property
    def chain_project(self):
        """An investment project on 生物医药 (the chain office's) and one on 高端化工 (outside it)."""
        data = {"name": "招商项目", "county": "caoxian", "responsible_unit": "heze-zjj"}
        return {
            c: chain_services.project_create(self.heze.actor(user), Chain.objects.get(code=code), data)
            for c, user, code in [
                ("inside", "bio_chain_office", "biomedicine"),
                ("outside", "chem_chain_office", "chemicals"),
            ]
        }

    @cached_property
    def chain_node(self):
        """A map node with a firm on 生物医药 (the chain office's) and one on 高端化工 (outside it)."""
        made = {}
        for c, user, code in [
            ("inside", "bio_chain_office", "biomedicine"),
            ("outside", "chem_chain_office", "chemicals"),
        ]:
            actor, chain = self.heze.actor(user), Chain.objects.get(code=code)
            made[c] = chain_services.node_add(actor, chain, name=f"{code}节点", segment="up")
            chain_services.firm_add(actor, chain, made[c].pk, name=f"{code}企业", place="上海")
        return made

    @cached_property
    def case(self):
        heze = self.heze
        return {
            c: case_services.case_submit(heze.actor(ent), kind="help", category=cat, description=f"{c}厂房审批慢")[0]
            for c, ent, cat in [("cao", "ent_cao", "construction-permit"), ("shan", "ent_shan", "construction")]
        }

    @cached_property
    def attachment(self):
        return {
            c: case_services.attachment_add(self.heze.actor(ent), self.case[c].number, photo())
            for c, ent in [("cao", "ent_cao"), ("shan", "ent_shan")]
        }

    @cached_property
    def cadre(self):
        return {
            c: Cadre.objects.create(name=f"{c}干部", post="科员", unit=unit, supervision_phone="0530-3212345")
            for c, unit in [("cao", self.heze.cao_zjj), ("shan", self.heze.shan_zjj)]
        }

    @cached_property
    def rating(self):
        """A poor rating of each county's cadre, with its rectification case (so the re-rate link works)."""
        return {
            c: Rating.objects.create(
                cadre=cadre,
                unit=cadre.unit,
                level=1,
                created_at=timezone.now(),
                device_hash=f"d{c}",
                rectification=self.case[c],
            )
            for c, cadre in self.cadre.items()
        }

    @cached_property
    def appeal(self):
        return {
            c: Appeal.objects.create(
                rating=r, reason="评价与事实不符", filed_by=self.heze.users.cao_zjj, filed_at=timezone.now()
            )
            for c, r in self.rating.items()
        }

    @cached_property
    def proposal(self):
        rule = Rule.objects.order_by("pk").first()
        return {
            c: Proposal.objects.create(
                rule=rule,
                action=ActionKind.ADMONITION,
                subject="cadre",
                cadre=cadre,
                unit=cadre.unit,
                summary="连续两月排名末位",
                evidence_key=f"matrix-{c}",
                created_at=timezone.now(),
            )
            for c, cadre in self.cadre.items()
        }

    @cached_property
    def callback(self):
        """A call-back check (回访抽查) on each county's case."""
        draw = CallbackDraw.objects.create(
            month=dt.date(2026, 1, 1), drawn_at=timezone.now(), eligible=2, drawn=2, share_pct=5, min_per_county=3
        )
        return {
            c: CallbackCheck.objects.create(
                draw=draw,
                case=case,
                unit=case.lead_unit,
                recorded_resolution="resolved",
                recorded_satisfaction="satisfied",
            )
            for c, case in self.case.items()
        }

    @cached_property
    def patronage(self):
        heze = self.heze
        heze.ent_cao.is_key = heze.ent_shan.above_scale = True
        heze.ent_cao.save()
        heze.ent_shan.save()
        return {
            c: patronage_services.patronage_assign(
                heze.actor(office),
                enterprise=ent,
                leader=leader,
                lead_unit=unit,
                started_on="2026-01-05",
                reason="重点企业包保",
            )
            for c, office, ent, leader, unit in [
                ("cao", "cao_office", heze.ent_cao, "cao_leader", "caoxian-zjj"),
                ("shan", "shan_office", heze.ent_shan, "city_leader", "shanxian-zjj"),
            ]
        }

    @cached_property
    def problem(self):
        return {
            c: patronage_services.visit_log(
                self.heze.actor(office),
                self.patronage[c].pk,
                visited_on="2026-01-06",
                participants="张专班",
                problems=["用电增容"],
            ).problems.get()
            for c, office in [("cao", "cao_office"), ("shan", "shan_office")]
        }

    @cached_property
    def project(self):
        return {
            "cao": make_project(self.heze, "XM-CAO"),
            "shan": patronage_services.project_save(
                self.heze.actor("shan_office"),
                {
                    "code": "XM-SHAN",
                    "name": "单县冷库项目",
                    "county": "shanxian",
                    "investment": "100",
                    "planned_start": "2026-01-01",
                    "planned_end": "2026-12-31",
                    "progress": 0,
                },
            )[0],
        }

    @cached_property
    def indicator_region(self):
        from whistle.indicators.models import Region

        heze = self.heze
        return {
            c: Region.objects.create(code=code, name=name, peer_set="county", unit=unit, reporter=reporter)
            for c, code, name, unit, reporter in [
                ("cao", "caoxian", "曹县", heze.cao, heze.cao_zjj),
                ("shan", "shanxian", "单县", heze.shan, heze.shan_zjj),
            ]
        }

    @cached_property
    def figure(self):
        """A figure each county's department reports (waiting for review)."""
        from whistle.indicators import services as indicator_services

        return {
            c: indicator_services.figure_submit(
                self.heze.actor(user),
                indicator="retail",
                region=self.indicator_region[c].code,
                period="2026-01",
                value=10,
            )[0]
            for c, user in [("cao", "cao_zjj"), ("shan", "shan_zjj")]
        }

    @cached_property
    def warning(self):
        """A warning letter to each county's department."""
        from whistle.indicators.models import Indicator, Warning, WarningRule

        rule, indicator = WarningRule.objects.order_by("pk").first(), Indicator.objects.get(code="retail")
        return {
            c: Warning.objects.create(
                rule=rule,
                indicator=indicator,
                region=self.indicator_region[c],
                unit=unit,
                period=timezone.localdate().replace(day=1),
                lapse_key=f"matrix-{c}",
                number=f"菏营商预〔2026〕{n}号",
                summary="连续两期低于目标",
                body="经监测……",
                issued_at=timezone.now(),
                due_at=timezone.now(),
            )
            for n, (c, unit) in enumerate([("cao", self.heze.cao_zjj), ("shan", self.heze.shan_zjj)], start=1)
        }

    @cached_property
    def landyield(self):
        """A 亩产效益 round per county (曹县, 单县) with one scored participant, an objection and a file, a flag."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests.landyield.conftest import put
        from whistle.landyield import services as ly
        from whistle.landyield.models import CrossCheck, Participant

        heze, out = self.heze, {}
        for c, office, ent, county in [
            ("cao", "cao_office", "ent_cao", heze.cao),
            ("shan", "shan_office", "ent_shan", heze.shan),
        ]:
            getattr(heze, f"ent_{c}").above_scale = True
            getattr(heze, f"ent_{c}").save()
            rnd = ly.round_open(heze.actor(office), county=county, year=2025, lead_unit=getattr(heze, f"{c}_zjj"))
            part = Participant.objects.get(round=rnd)
            put(rnd, part, tax=10, land_area=5)
            objection = ly.objection_file(
                heze.actor(ent),
                part.pk,
                text="用地面积有误",
                kind_code="land_area",
                files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")],
            )
            flag = CrossCheck.objects.create(round=rnd, participant=part, check_code="x", label="x", detail="x")
            out[c] = {
                "round": rnd,
                "participant": part,
                "objection": objection,
                "file": objection.files.get(),
                "flag": flag,
            }
        return out

    @cached_property
    def reform_task(self):
        """A reform task led by each county's 住建局 (the city's reform office owns both), one public."""
        from tests.reforms.conftest import _office, pdf

        heze = self.heze
        _office(heze, "heze-ggb", "菏泽市委改革办", heze.city, "gaige")
        office = heze.actor("gaige")
        found = {}
        for c, unit in [("cao", "caoxian-zjj"), ("shan", "shanxian-zjj")]:
            task = reform_services.task_create(
                office,
                {
                    "title": f"{c}改革任务",
                    "area": "economy",
                    "lead_unit": unit,
                    "starts_on": "2026-01-05",
                    "due_on": "2026-09-30",
                    "is_public": c == "cao",
                },
            )
            reporter = heze.actor("cao_zjj" if c == "cao" else "shan_zjj")
            event = reform_services.report_add(reporter, task.pk, text_value="进展", files=[pdf()])
            found[c] = task
            found[f"{c}_file"] = event.files.get()
            found[f"{c}_outcome"] = reform_services.outcome_propose(reporter, task.pk, title="成果", summary="简介")
            found[f"{c}_sheet"] = reform_services.sheet_issue(
                office,
                {
                    "title": f"{c}交办单",
                    "lead_unit": "caoxian" if c == "cao" else "shanxian",
                    "starts_on": "2026-02-20",
                    "due_on": "2026-12-31",
                    "items": [{"title": "事项", "due_on": "2026-06-30"}],
                },
            )
        return found

    @cached_property
    def leniency_lists(self):
        return leniency_demo.load_lists()

    @cached_property
    def inspection(self):
        """An inspection with one finding in each county: 曹县市场监管局's of the 曹县 enterprise, 单县住建局's of the
        单县 one."""
        _ = self.leniency_lists  # the lists exist before a finding is matched against them
        heze = self.heze
        return {
            c: leniency_services.inspection_record(
                heze.actor(inspector),
                enterprise=ent,
                inspected_on="2026-03-10",
                subject="日常检查",
                findings=["营业执照未置于经营场所醒目位置"],
            )
            for c, inspector, ent in [("cao", "cao_inspector", heze.ent_cao), ("shan", "shan_inspector", heze.ent_shan)]
        }

    @cached_property
    def finding(self):
        return {c: i.findings.get() for c, i in self.inspection.items()}

    def own(self, what: str, user: str):
        """An object belonging to the user itself (a spare token, a ledger export), made on first use."""
        key = (what, user)
        if key not in self._own:
            person = getattr(self.heze.users, user)
            self._own[key] = (
                token_issue(person, "备用")[1] if what == "token" else LedgerExport.objects.create(requester=person)
            )
        return self._own[key]


def _pair(attr):
    def fill(world: World, user):
        objects = getattr(world, attr)
        return scoped(objects["cao"].pk, objects["shan"].pk, MISSING_INT, user)

    return fill


kind(("patronages", "pk"), ("patronage", "pk"))(_pair("patronage"))
kind(("problems", "pk"))(_pair("problem"))
kind(("projects", "pk"))(_pair("project"))
kind(("ratings", "pk"))(_pair("rating"))
kind(("appeals", "pk"))(_pair("appeal"))
kind(("proposals", "pk"), ("proposals", "proposal_id"))(_pair("proposal"))
kind(("cadres", "pk"))(_pair("cadre"))
kind(("inspections", "pk"), ("inspections", "inspection_id"))(_pair("inspection"))
kind(("findings", "pk"), ("findings", "finding_id"))(_pair("finding"))


@kind(("lists", "pk"), ("versions", "version_id"))
def _list_version(world, user):
    """The lists are public documents: every signed-in role reads every version, so nothing is outside scope."""
    return Fill(str(world.leniency_lists["sd-2021"].pk), None, str(MISSING_INT))


@kind(("items", "pk"), ("items", "item_id"))
def _list_item(world, user):
    return Fill(str(world.leniency_lists["sd-2021"].items.order_by("pk").first().pk), None, str(MISSING_INT))


kind(("files", "pk"))(_pair("attachment"))
kind(("figures", "pk"))(_pair("figure"))
kind(("warnings", "pk"))(_pair("warning"))


def _ly(what):
    def fill(world: World, user):
        objects = world.landyield
        return scoped(objects["cao"][what].pk, objects["shan"][what].pk, MISSING_INT, user)

    return fill


kind(("rounds", "pk"), ("rounds", "round_id"))(_ly("round"))
kind(("participants", "pk"), ("participants", "participant_id"))(_ly("participant"))
kind(("objections", "pk"), ("objections", "objection_id"))(_ly("objection"))
kind(("objection-files", "pk"))(_ly("file"))
kind(("crosschecks", "flag_id"))(_ly("flag"))


def _reform(suffix):
    def fill(world: World, user):
        objects = world.reform_task
        return scoped(objects[f"cao{suffix}"].pk, objects[f"shan{suffix}"].pk, MISSING_INT, user)

    return fill


kind(("tasks", "task_id"))(_reform(""))
kind(("sheets", "sheet_id"))(_reform("_sheet"))
kind(("outcomes", "outcome_id"))(_reform("_outcome"))
kind(("files", "file_id"))(_reform("_file"))


@kind(("public", "task_id"))
def _public_task(world, user):
    return Fill(str(world.reform_task["cao"].pk), None, str(MISSING_INT))


kind(("callbacks", "pk"))(_pair("callback"))


@kind(("chains", "chain"))
def _chain(world, user):
    """Chains are the city's: every reading role reads all of them, but a chain office only its own."""
    return Fill("biomedicine", "chemicals" if user == "bio_chain_office" else None, "no-such-chain")


@kind(("projects", "project_id"))
def _chain_project(world, user):
    objects = world.chain_project
    outside = objects["outside"].pk if user == "bio_chain_office" else None
    return Fill(str(objects["inside"].pk), str(outside) if outside else None, str(MISSING_INT))


@kind(("nodes", "node_id"))
def _chain_node(world, user):
    """A node under its chain: the chain office's node inside, another chain's node (under that chain) outside."""
    objects = world.chain_node
    outside = objects["outside"].pk if user == "bio_chain_office" else None
    return Fill(str(objects["inside"].pk), str(outside) if outside else None, str(MISSING_INT))


@kind(("cases", "number"))
def _case(world, user):
    return scoped(world.case["cao"].number, world.case["shan"].number, "HZ99999999", user)


@kind(("cards", "unit"))
def _unit(world, user):
    return scoped("caoxian-zjj", "shanxian-zjj", "no-such-unit", user)


@kind(("tokens", "token_id"))
def _token(world, user):
    """One's own spare token inside; another user's outside (for every role: tokens are personal)."""
    other = "cao_scjg" if user != "cao_scjg" else "shan_zjj"
    inside = world.own("token", user).pk if user else world.own("token", "cao_zjj").pk
    return Fill(str(inside), str(world.own("token", other).pk) if user else None, str(MISSING_INT))


@kind(("exports", "pk"))
def _export(world, user):
    """One's own export inside; another county's handler's outside (a coordinator sees the exports of its subtree,
    so the city coordinator has none outside)."""
    inside = world.own("export", user or "cao_zjj").pk
    outside = world.own("export", "shan_zjj").pk if user and user != "city_office" else None
    return Fill(str(inside), str(outside) if outside else None, str(MISSING_INT))


def _message(world, user: str):
    """An in-app message of `user` (notices, issue 12), made on first use."""
    from whistle.notices.models import Delivery

    made = world.__dict__.setdefault("_messages", {})
    if user not in made:
        made[user] = Delivery.objects.create(
            channel="inapp",
            recipient=getattr(world.heze.users, user),
            recipient_label=user,
            subject="新派单",
            body="x",
            status="sent",
            next_attempt_at=timezone.now(),
            created_at=timezone.now(),
        )
    return made[user]


@kind(("messages", "message_id"), ("notices", "pk"))
def _notice_message(world, user):
    """One's own message inside; another user's outside (for every role: messages are personal)."""
    other = "cao_scjg" if user != "cao_scjg" else "shan_zjj"
    inside = _message(world, user or "cao_zjj").pk
    return Fill(str(inside), str(_message(world, other).pk) if user else None, str(MISSING_INT))


@kind(("failed", "delivery_id"), ("failed", "pk"))
def _failed_notice(world, user):
    """A given-up notice on each county's case: coordinators see those of their subtree."""
    from whistle.notices.models import Delivery

    if "_failed" not in world.__dict__:
        world._failed = {
            c: Delivery.objects.create(
                channel="sms",
                case=world.case[c],
                recipient_label="承办人",
                address="13900000000",
                subject="新派单",
                body="x",
                status="given_up",
                last_error="HTTP 500",
                next_attempt_at=timezone.now(),
                created_at=timezone.now(),
            )
            for c in ("cao", "shan")
        }
    return scoped(world._failed["cao"].pk, world._failed["shan"].pk, MISSING_INT, user)


# Public objects: the same for everybody, so nothing is outside anyone's scope; missing still answers like missing.
@kind(("r", "code"))
def _card(world, user):
    return Fill(world.cadre["cao"].card_code, None, "nosuchcard0000")


@kind(("rerate", "token"))
def _rerate(world, user):
    return Fill(rerate_token(world.rating["cao"]), None, rerate_token(MISSING_INT))


@kind(("requests", "number"))
def _open311_request(world, user):
    return Fill(world.case["cao"].number, None, "HZ99999999")


@kind(("services", "code"))
def _open311_service(world, user):
    return Fill("construction-permit", None, "no-such-service")


@kind(("tokens", "token"))
def _open311_token(world, user):
    return Fill("no-token-is-ever-issued", None, "no-token-is-ever-issued")


# Not objects: a fixed value that exercises the route.
@kind(("actions", "action"), ("do", "action"))
def _action(world, user):
    return Fill("comment", "comment", "comment")


@kind(("*", "fmt"))
def _format(world, user):
    return Fill("json", "json", "json")


@kind(("v2", "path"))
def _anything(world, user):
    return Fill("no/such/thing", None, "no/such/thing")


PARAM = re.compile(r"\{(\w+)\}")


def kinds_for(template: str) -> dict[str, Callable]:
    """The fill for each parameter of a route; a parameter nobody taught the matrix fails with the route's name."""
    segments = template.strip("/").split("/")
    found, unknown = {}, []
    for i, segment in enumerate(segments):
        for name in PARAM.findall(segment):
            before = segments[i - 1] if i else ""
            fill = KINDS.get((before, name)) or KINDS.get(("*", name))
            if fill is None:
                unknown.append(f"{{{name}}} after '{before}/'")
            found[name] = fill
    assert not unknown, (
        f"{template}: the authorization matrix does not know how to fill {', '.join(unknown)}; "
        "add the object kind to KINDS in tests/api/test_generated_matrix.py"
    )
    return found


# ---------------------------------------------------------------------------------------------------------------
# Calling and comparing

BODY = {
    "note": "x",
    "reason": "评价与事实不符",
    "comment": "x",
    "decision": "approve",
    "opinion": "x",
    "progress": 10,
    "leader": "cao_leader",
    "lead_unit": "caoxian-zjj",
    "changed_on": "2026-02-01",
    "ended_on": "2026-02-01",
    "visited_on": "2026-02-01",
    "participants": "张专班",
    "category": "construction-permit",
    "kind": "admonition",
    "summary": "x",
    "acted_on": "2026-02-01",
    "level": 5,
}
ROWS_SQL = None


def row_counts() -> tuple:
    """Rows in every table of ours (and the users): a refused request must not have written one."""
    global ROWS_SQL
    if ROWS_SQL is None:
        from django.apps import apps

        tables = sorted(
            {
                m._meta.db_table
                for m in apps.get_models()
                if m._meta.app_label not in {"sessions", "admin", "contenttypes"} and m._meta.managed
            }
        )
        ROWS_SQL = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(ROWS_SQL)
        return cursor.fetchone()


HEX_ID = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|csrfToken = "|name="csrf-token" content=")[^"]*')


def comparable(response, path: str, values: list[str]) -> str:
    """The answer with what legitimately differs between two requests taken out: the request id, the CSRF token,
    the path and the parameter values asked for."""
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            body.pop("request_id", None)
            text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        else:
            text = response.content.decode(errors="replace")
    else:
        text = (
            b"".join(response.streaming_content).decode(errors="replace")
            if response.streaming
            else response.content.decode(errors="replace")
        )
    text = CSRF.sub(r"\1", HEX_ID.sub("<id>", text)).replace(path, "<path>")
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= 6:
            text = text.replace(value, "<value>")
    location = response.get("Location", "").replace(path, "<path>")
    return f"{content_type}|{location}|{text}"


class Caller:
    def __init__(self, world: World, client: Client):
        self.world, self.client, self.api = world, client, Api(client, world.heze)

    def __call__(self, route: Route, method: str, user: str | None, path: str):
        if route.kind == "api":
            headers = self.api.headers(user, {})
            if method == "GET":
                return self.client.get(path, **headers)
            return self.client.generic(method, path, json.dumps(BODY), content_type="application/json", **headers)
        self.client.logout()
        if user:
            self.client.force_login(getattr(self.world.heze.users, user))
        if method == "GET":
            return self.client.get(path)
        return self.client.post(path, BODY)


def fill(template: str, fills: dict[str, Fill], which: str) -> tuple[str, list[str]]:
    values = {name: getattr(f, which) if getattr(f, which) is not None else f.inside for name, f in fills.items()}
    return PARAM.sub(lambda m: values[m.group(1)], template), list(values.values())


def has_outside(fills: dict[str, Fill]) -> bool:
    return any(f.outside is not None and f.outside != f.inside for f in fills.values())


# ---------------------------------------------------------------------------------------------------------------
# The tests


def test_matrix_covers_every_operation_the_openapi_document_serves(client):
    """The parametrised routes are the served document's operations: none is left out of the matrix."""
    served = client.get("/api/v1/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in served["paths"].items() for m in ops}
    covered = {(m, r.template) for r in ROUTES if r.kind == "api" for m in r.methods}
    assert operations == covered
    pages = {r.template for r in ROUTES if r.kind == "page"}
    for must in [
        "/r/{code}/",
        "/dashboard/rankings",
        "/accountability/",
        "/patronage/",
        "/reforms/tasks/{task_id}/",
        "/cases/{number}",
        "/open311/v2/requests/{number}.{fmt}",
        "/ledger/exports/{pk}/file",
        "/indicators/",
        "/indicators/warnings/{pk}/",
        "/leniency/findings/{pk}/",
        "/chains/{chain}/",
        "/chains/projects/{project_id}/",
        "/chains/{chain}/health",
        "/chains/{chain}/report",
        "/chains/{chain}/report.xlsx",
        "/chains/{chain}/lists.xlsx",
        "/chains/{chain}/lists/import",
        "/chains/{chain}/lists/rejects.xlsx",
        "/chains/{chain}/lists/copy",
        "/chains/{chain}/kpis",
        "/chains/{chain}/nodes/{node_id}/firms",
    ]:
        assert must in pages, must
    assert not any(p.startswith("/admin/") for p in pages)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_answers_outside_scope_like_missing_never_500_and_nothing_to_anonymous(route, heze, client):
    kinds = kinds_for(route.template)
    world = World(heze)
    call = Caller(world, client)
    failures = []
    for role, user in ROLES.items():
        fills = {name: fn(world, user) for name, fn in kinds.items()}
        call.api.headers(user, {})  # the role's bearer token exists before any rows are counted
        for method in route.methods:
            where = f"{method} {route.template} as {role}"
            if fills and has_outside(fills):
                outside_path, outside_values = fill(route.template, fills, "outside")
                missing_path, missing_values = fill(route.template, fills, "missing")
                before = row_counts()
                hidden, missing = call(route, method, user, outside_path), call(route, method, user, missing_path)
                if method in UNSAFE and row_counts() != before:
                    failures.append(f"{where}: a refused request wrote rows")
                if hidden.status_code != missing.status_code:
                    failures.append(f"{where}: outside scope {hidden.status_code}, missing {missing.status_code}")
                elif comparable(hidden, outside_path, outside_values) != comparable(
                    missing, missing_path, missing_values
                ):
                    failures.append(
                        f"{where}: outside scope and missing answer with different bodies:\n"
                        f"  {comparable(hidden, outside_path, outside_values)[:300]}\n"
                        f"  {comparable(missing, missing_path, missing_values)[:300]}"
                    )
                if method in UNSAFE and 200 <= hidden.status_code < 300:
                    failures.append(f"{where}: outside scope answered {hidden.status_code}")
                for response in (hidden, missing):
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.status_code} on {response.request['PATH_INFO']}")
            elif fills:
                missing_path, _ = fill(route.template, fills, "missing")
                missing = call(route, method, user, missing_path)
                if missing.status_code >= 500:
                    failures.append(f"{where}: {missing.status_code} on {missing_path}")
            inside_path, _ = fill(route.template, fills, "inside")
            inside = call(route, method, user, inside_path)
            # /readyz answers 503 by design until the sweeper has run (a test database never has).
            if inside.status_code >= 500 and not (route.template == "/readyz" and inside.status_code == 503):
                failures.append(f"{where}: {inside.status_code} on {inside_path}")
            if user is None and 200 <= inside.status_code < 300:
                public = (
                    (method, route.template) in PUBLIC_API if route.kind == "api" else PUBLIC_PAGES.match(inside_path)
                )
                if not public:
                    failures.append(f"{where}: an anonymous caller got {inside.status_code} with data")
            if user is None and inside.status_code == 302 and not PUBLIC_PAGES.match(inside_path):
                if not inside["Location"].startswith("/login"):
                    failures.append(f"{where}: anonymous redirected to {inside['Location']}, not to sign-in")
    assert not failures, "\n".join(failures)


def test_a_route_with_a_parameter_the_matrix_does_not_know_fails_naming_the_route():
    """A new endpoint joins the matrix or fails it: an unknown parameter is an error that names the route."""
    with pytest.raises(AssertionError, match=r"/api/v1/widgets/\{widget_id\}.*\{widget_id\} after 'widgets/'"):
        kinds_for("/api/v1/widgets/{widget_id}")
    assert set(kinds_for("/cases/{number}/files/{pk}")) == {"number", "pk"}
