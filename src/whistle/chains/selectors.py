"""Every read of chains, scoped to the actor.

Chains are the city's: a leader, a coordinator, an auditor and a system administrator read every chain; a chain
office (`chain_office`) reads and keeps only the chains it is named on (`Officer`), and any other chain, project or
node is to it as if it did not exist (404). Other roles read none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum

from whistle.cases.models import OPEN_STATES, Case, Satisfaction
from whistle.core.errors import NotFound
from whistle.core.rules import int_param, param
from whistle.enterprises.models import Enterprise
from whistle.landyield.selectors import latest_classes
from whistle.org.models import Role
from whistle.org.scopes import Actor

from .models import (
    Chain,
    KpiDefinition,
    KpiSource,
    KpiValue,
    ListEntry,
    ListType,
    Node,
    NodeFirm,
    Pipeline,
    Project,
    ProjectCase,
    Stage,
    Trip,
)

VIEW_ROLES = (Role.LEADER, Role.COORDINATOR, Role.CHAIN_OFFICE, Role.AUDITOR, Role.SYSADMIN)
SIGNED_THRESHOLD = "chains.signed_threshold_wan"


def chains_for(actor: Actor):
    """The chains the actor may read."""
    if actor.role == Role.CHAIN_OFFICE:
        return Chain.objects.filter(is_active=True, officers__user=actor.user)
    if actor.is_system or actor.role in VIEW_ROLES:
        return Chain.objects.filter(is_active=True)
    return Chain.objects.none()


def chain_get(actor: Actor, code: str) -> Chain:
    chain = chains_for(actor).select_related("lead_unit").filter(code=code).first()
    if chain is None:
        raise NotFound("产业链不存在或不在您的职责范围内", code="not_found")
    return chain


def can_keep(actor: Actor, chain: Chain) -> bool:
    """Only the chain's own office edits its map, lists and pipeline."""
    return actor.role == Role.CHAIN_OFFICE and chain.officers.filter(user=actor.user).exists()


def project_get(actor: Actor, pk, *, for_update: bool = False) -> Project:
    qs = Project.objects.filter(chain__in=chains_for(actor)).select_related(
        "chain", "stage", "node", "county", "responsible_unit", "enterprise"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    project = qs.filter(pk=pk).first() if str(pk).isdigit() else None
    if project is None:
        raise NotFound("项目不存在或不在您的职责范围内", code="not_found")
    return project


def node_get(actor: Actor, chain: Chain, pk) -> Node:
    node = Node.objects.filter(chain=chain, pk=pk).first() if str(pk).isdigit() else None
    if node is None:
        raise NotFound("图谱节点不存在", code="not_found", field="node")
    return node


# ---- the map ----------------------------------------------------------------------------------------------------


@dataclass
class MapNode:
    pk: int
    name: str
    segment: str
    depth: int
    parent_id: int | None
    firm_count: int = 0
    local_count: int = 0
    subtree_local: int = 0
    elsewhere: str = ""  # the first firm elsewhere named at the node (by name): a ready target

    @property
    def coverage(self) -> str:
        """本地配套: a local firm at the node (covered), only below it (partial), none (gap)."""
        if self.local_count:
            return "covered"
        return "partial" if self.subtree_local else "gap"


def chain_map(chain: Chain) -> list[MapNode]:
    """The map in tree order (materialised path), each node with how many firms it has, how many are local and the
    first of the others: two queries whatever the map's size (the firms counted in SQL, listed only on demand: `node_firms`), and the
    subtree counts in one pass from the leaves up."""
    nodes = [
        MapNode(pk, name, segment, depth, parent)
        for pk, name, segment, depth, parent in Node.objects.filter(chain=chain)
        .order_by("path")
        .values_list("pk", "name", "segment", "depth", "parent_id")
    ]
    by_pk = {n.pk: n for n in nodes}
    for node_id, firms, local, elsewhere in (
        NodeFirm.objects.filter(node__chain=chain)
        .order_by()
        .values("node_id")
        .annotate(n=Count("pk"), local=Count("enterprise_id"), first=Min("name", filter=Q(enterprise__isnull=True)))
        .values_list("node_id", "n", "local", "first")
    ):
        node = by_pk[node_id]
        node.firm_count, node.local_count, node.elsewhere = firms, local, elsewhere or ""
    for node in reversed(nodes):  # children come after their parent in path order
        node.subtree_local += node.local_count
        if node.parent_id in by_pk:
            by_pk[node.parent_id].subtree_local += node.subtree_local
    return nodes


def node_firms(node: Node) -> list[NodeFirm]:
    """The firms at a node, local ones first (the chain page loads them on demand)."""
    firms = NodeFirm.objects.filter(node=node).select_related("enterprise")
    return sorted(firms, key=lambda f: (not f.is_local, f.name))


def gap_nodes(chain: Chain) -> list[MapNode]:
    """The nodes with no local firm at or below them: where 补链 targets come from."""
    return [n for n in chain_map(chain) if n.coverage == "gap"]


def local_enterprise_ids(chain: Chain):
    return NodeFirm.objects.filter(node__chain=chain, enterprise__isnull=False).values("enterprise_id")


# ---- gap analysis and health ------------------------------------------------------------------------------------

GAP_OPEN_CASES = "chains.gap_open_cases"
HEALTH_MONTHS = "chains.health_months"
SUGGESTIONS_SHOWN = 30
FIRMS_LISTED = 50
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)


@dataclass
class FirmSignals:
    """The mechanisms' signals about a chain's local firms, each one query: their 亩产效益 class (latest approved
    round), open and overdue 吹哨 cases, and satisfaction over the last `chains.health_months` months."""

    classes: dict  # enterprise id → (class, year)
    open: Counter
    overdue: Counter
    rated: Counter  # cases with a satisfaction answer in the window
    satisfied: Counter


def firm_signals(chain: Chain, now: dt.datetime) -> FirmSignals:
    ids = local_enterprise_ids(chain)
    since = now - dt.timedelta(days=round(30.44 * int_param(HEALTH_MONTHS)))
    in_window = Q(followed_up_at__gte=since) & ~Q(satisfaction="")
    open_, overdue, rated, satisfied = Counter(), Counter(), Counter(), Counter()
    for enterprise_id, n_open, n_late, n_rated, n_satisfied in (
        Case.objects.filter(Q(is_open=True) | in_window, enterprise_id__in=ids)
        .values("enterprise_id")
        .annotate(
            n_open=Count("pk", filter=Q(is_open=True)),
            n_late=Count("pk", filter=Q(is_open=True, next_due_at__lt=now)),
            n_rated=Count("pk", filter=in_window),
            n_satisfied=Count("pk", filter=in_window & Q(satisfaction__in=SATISFIED)),
        )
        .values_list("enterprise_id", "n_open", "n_late", "n_rated", "n_satisfied")
    ):
        for counter, n in ((open_, n_open), (overdue, n_late), (rated, n_rated), (satisfied, n_satisfied)):
            if n:
                counter[enterprise_id] = n
    return FirmSignals(latest_classes(ids), open_, overdue, rated, satisfied)


def local_by_node(chain: Chain) -> dict[int, list[int]]:
    by_node: dict[int, list[int]] = defaultdict(list)
    for node_id, enterprise_id in NodeFirm.objects.filter(node__chain=chain, enterprise__isnull=False).values_list(
        "node_id", "enterprise_id"
    ):
        by_node[node_id].append(enterprise_id)
    return by_node


@dataclass
class Suggestion:
    node: MapNode
    reasons: list  # (code, text): "gap", "d_class", "cases"
    d_firms: int = 0
    local_firms: int = 0
    open_cases: int = 0
    projects: int = 0  # investment projects already in the pipeline for the node
    target: str = ""  # a firm elsewhere already named at the node: a ready target

    @property
    def is_gap(self) -> bool:
        return self.reasons[0][0] == "gap"

    def rank_key(self):
        """缺链 first, then weak nodes by their D-class share, then by open cases; within each, those without a
        project yet, then those with a known firm elsewhere, then the higher node."""
        share = self.d_firms / self.local_firms if self.local_firms else 0
        return (
            not self.is_gap,
            -share,
            -self.open_cases,
            self.projects > 0,
            not self.target,
            self.node.depth,
        )


@dataclass
class MapFacts:
    """What the gap analysis reads of the map: its nodes and each node's local enterprises. `mapcache` holds them
    with the chain page's map."""

    nodes: list[MapNode]
    local: dict[int, list[int]]


def map_facts(chain: Chain, nodes: list[MapNode] | None = None) -> MapFacts:
    return MapFacts(chain_map(chain) if nodes is None else nodes, local_by_node(chain))


def gap_analysis(
    chain: Chain, now: dt.datetime, facts: MapFacts | None = None, signals: FirmSignals | None = None
) -> list[Suggestion]:
    """The chain's suggested targets, ranked: nodes with no local firm at or below them (缺链), nodes whose local
    firms are in D class (亩产效益), and nodes whose local firms have at least `chains.gap_open_cases` open cases.
    `facts` (the map's, `mapcache`) and `signals`, when the caller has them."""
    facts = map_facts(chain) if facts is None else facts
    signals = firm_signals(chain, now) if signals is None else signals
    d_class = {e for e, (klass, _) in signals.classes.items() if klass == "D"}
    threshold = int_param(GAP_OPEN_CASES)
    projects = Counter(
        dict(
            Project.objects.filter(chain=chain, pipeline=Pipeline.INVESTMENT, node__isnull=False)
            .values("node_id")
            .annotate(n=Count("pk"))
            .values_list("node_id", "n")
        )
    )
    found = []
    for node in facts.nodes:
        firms = facts.local.get(node.pk, ())
        d_firms = sum(1 for e in firms if e in d_class) if d_class and firms else 0
        cases = sum(signals.open[e] for e in firms) if signals.open and firms else 0
        reasons = []
        if node.coverage == "gap":
            reasons.append(("gap", "缺链：本节点及下级节点均无本地企业"))
        if d_firms:
            reasons.append(("d_class", f"本地企业{d_firms}/{len(firms)}家为亩产效益D类"))
        if firms and cases >= threshold:
            reasons.append(("cases", f"本地企业未办结诉求{cases}件"))
        if reasons:
            found.append(Suggestion(node, reasons, d_firms, len(firms), cases, projects[node.pk], node.elsewhere))
    found.sort(key=Suggestion.rank_key)
    return found


def chain_health(chain: Chain, now: dt.datetime) -> dict:
    """A chain's health in one view: its local firms' 亩产效益 classes, their open and overdue cases and
    satisfaction, and its projects by stage and light."""
    signals = firm_signals(chain, now)
    firms: dict[int, dict] = {}
    for enterprise_id, name, node in (
        NodeFirm.objects.filter(node__chain=chain, enterprise__isnull=False)
        .order_by("enterprise_id", "node__path")
        .values_list("enterprise_id", "enterprise__name", "node__name")
    ):
        row = firms.setdefault(enterprise_id, {"name": name, "nodes": []})
        row["nodes"].append(node)
    classes = Counter()
    for enterprise_id, row in firms.items():
        klass, year = signals.classes.get(enterprise_id, ("", None))
        classes[klass or "-"] += 1
        rated = signals.rated[enterprise_id]
        row.update(
            klass=klass,
            year=year,
            open=signals.open[enterprise_id],
            overdue=signals.overdue[enterprise_id],
            rated=rated,
            satisfaction=round(100 * signals.satisfied[enterprise_id] / rated, 1) if rated else None,
        )
    listed = sorted(firms.values(), key=lambda r: (r["klass"] != "D", -r["overdue"], -r["open"], r["name"]))
    rated_all = sum(signals.rated.values())
    stage_rows = []
    counts = defaultdict(Counter)
    for stage_id, light, n in (
        Project.objects.filter(chain=chain)
        .values("stage_id", "light")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "light", "n")
    ):
        counts[stage_id][light] += n
        counts[stage_id]["all"] += n
    for p in Pipeline.values:
        for stage in stages(p):
            c = counts.get(stage.pk, Counter())
            stage_rows.append({"stage": stage, "all": c["all"], "red": c["red"], "yellow": c["yellow"]})
    return {
        "firms": len(firms),
        "classes": [(k, classes.get(k, 0)) for k in ("A", "B", "C", "D", "-")],
        "open": sum(signals.open.values()),
        "overdue": sum(signals.overdue.values()),
        "rated": rated_all,
        "satisfaction": round(100 * sum(signals.satisfied.values()) / rated_all, 1) if rated_all else None,
        "months": int_param(HEALTH_MONTHS),
        "stages": stage_rows,
        "listed": listed[:FIRMS_LISTED],
        "more": max(0, len(listed) - FIRMS_LISTED),
    }


# ---- lists ------------------------------------------------------------------------------------------------------


def list_types():
    return ListType.objects.filter(is_active=True)


def lists_of(chain: Chain, year: int) -> list[tuple[ListType, list[ListEntry]]]:
    entries = defaultdict(list)
    for entry in ListEntry.objects.filter(chain=chain, year=year).select_related("enterprise", "node"):
        entries[entry.list_type_id].append(entry)
    return [(t, entries.get(t.pk, [])) for t in list_types()]


def entries_by_node(chain: Chain, year: int) -> dict[int, int]:
    """How many of the year's list entries name each node (the map links a node to them)."""
    return dict(
        ListEntry.objects.filter(chain=chain, year=year, node__isnull=False)
        .values("node_id")
        .annotate(n=Count("pk"))
        .values_list("node_id", "n")
    )


def list_years(chain: Chain) -> list[int]:
    return list(ListEntry.objects.filter(chain=chain).values_list("year", flat=True).distinct().order_by("-year"))


# ---- the pipeline -----------------------------------------------------------------------------------------------


def stages(pipeline: str = Pipeline.INVESTMENT):
    return Stage.objects.filter(pipeline=pipeline).order_by("order")


def next_stages(project: Project) -> list[Stage]:
    """The stages a project may move to: forward only, one or more steps (a project may sign at a first meeting)."""
    return list(stages(project.pipeline).filter(order__gt=project.stage.order))


@dataclass
class StageColumn:
    stage: Stage
    projects: list[Project]  # the latest `PIPELINE_SHOWN`
    count: int


PIPELINE_SHOWN = 30


def pipeline_by_stage(chain: Chain) -> list[StageColumn]:
    """The chain's projects by stage, the latest `PIPELINE_SHOWN` of each named (bare rows: name and light)."""
    projects = defaultdict(list)
    for project in Project.objects.filter(chain=chain).order_by("-pk").only("pk", "name", "light", "stage_id"):
        projects[project.stage_id].append(project)
    return [StageColumn(s, projects[s.pk][:PIPELINE_SHOWN], len(projects[s.pk])) for s in all_stages()]


def all_stages():
    """Both pipelines' stages: 招商 then 技改, each in order."""
    return Stage.objects.order_by("pipeline", "order")


def open_projects(chain: Chain):
    """The chain's projects a trip may concern (the office's trip form)."""
    return Project.objects.filter(chain=chain).order_by("-pk").only("pk", "name")


def chain_kpis(chain: Chain, year: int, nodes: list[MapNode] | None = None) -> dict:
    """The chain's pipeline and map figures for a year (its KPIs, defined as data, are `kpi_figures`): the
    projects' in one aggregate, the firms' from the map when the caller has it."""
    signed = Q(pipeline=Pipeline.INVESTMENT, signed_on__year=year)
    totals = Project.objects.filter(chain=chain).aggregate(
        signed=Count("pk", filter=signed),
        amount=Sum("amount", filter=signed),
        in_production=Count("pk", filter=Q(stage__code__in=["in_production", "at_capacity"])),
        red=Count("pk", filter=Q(light="red")),
    )
    if nodes is None:
        firms = NodeFirm.objects.filter(node__chain=chain).aggregate(n=Count("pk"), local=Count("enterprise_id"))
        n_firms, n_local = firms["n"], firms["local"]
    else:
        n_firms, n_local = sum(n.firm_count for n in nodes), sum(n.local_count for n in nodes)
    return {
        "signed": totals["signed"],
        "signed_amount": totals["amount"] or Decimal(0),
        "in_production": totals["in_production"],
        "red": totals["red"],
        "firms": n_firms,
        "local_firms": n_local,
        "above_scale": Enterprise.objects.filter(pk__in=local_enterprise_ids(chain), above_scale=True).count(),
    }


@dataclass
class KpiFigure:
    definition: KpiDefinition
    value: Decimal | int | None  # None: a reported figure not recorded for the year
    note: str = ""


def kpi_figures(chain: Chain, year: int) -> list[KpiFigure]:
    """The chain's KPIs for a year by their definitions (data): one query per source whatever the definitions."""
    definitions = list(KpiDefinition.objects.filter(is_active=True))
    by_source = {d.source for d in definitions}
    started: dict[str, int] = {}
    if KpiSource.PROJECTS_STARTED in by_source:
        started = dict(
            Project.objects.filter(chain=chain, started_on__year=year)
            .values("pipeline")
            .annotate(n=Count("pk"))
            .values_list("pipeline", "n")
        )
    listed: dict[str, int] = {}
    if KpiSource.LIST_COUNT in by_source:
        listed = dict(
            ListEntry.objects.filter(chain=chain, year=year)
            .values("list_type__code")
            .annotate(n=Count("pk"))
            .values_list("list_type__code", "n")
        )
    reported = {}
    if KpiSource.REPORTED in by_source:
        reported = {
            v.definition_id: v for v in KpiValue.objects.filter(chain=chain, year=year, definition__in=definitions)
        }
    figures = []
    for d in definitions:
        params = d.params or {}
        if d.source == KpiSource.PROJECTS_STARTED:
            figures.append(KpiFigure(d, sum(started.get(p, 0) for p in params.get("pipelines", []))))
        elif d.source == KpiSource.LIST_COUNT:
            plus = sum(listed.get(c, 0) for c in params.get("plus", []))
            figures.append(KpiFigure(d, plus - sum(listed.get(c, 0) for c in params.get("minus", []))))
        else:
            found = reported.get(d.pk)
            figures.append(KpiFigure(d, found.value if found else None, found.note if found else ""))
    return figures


def reported_kpis():
    return KpiDefinition.objects.filter(is_active=True, source=KpiSource.REPORTED)


def open_cases(chain: Chain, signals: FirmSignals | None = None) -> dict:
    """The chain's open 吹哨 cases: those its projects raised (listed) and those of its local firms (counted; from
    `signals` when the caller has them)."""
    linked = list(
        Case.objects.filter(pk__in=ProjectCase.objects.filter(project__chain=chain).values("case_id"))
        .filter(state__in=OPEN_STATES)
        .order_by("-submitted_at")
        .only("pk", "title", "state", "submitted_at")[:50]
    )
    if signals is not None:
        of_firms = sum(signals.open.values())  # open = not closed (`Case.is_open`, a constraint keeps them equal)
    else:
        of_firms = Case.objects.filter(enterprise_id__in=local_enterprise_ids(chain), state__in=OPEN_STATES).count()
    return {"linked": linked, "of_firms": of_firms}


def project_cases(project: Project):
    return Case.objects.filter(pk__in=project.case_links.values("case_id")).order_by("-submitted_at")


# ---- the leader's view and the investment figures ----------------------------------------------------------------


def board(actor: Actor, year: int) -> list[dict]:
    """One row per chain: its map's size and gaps, its pipeline, its red lights, its year's signed projects."""
    chains = list(chains_for(actor).select_related("lead_unit").prefetch_related("chiefs"))
    ids = [c.pk for c in chains]
    nodes = Counter(
        dict(
            Node.objects.filter(chain_id__in=ids)
            .values("chain_id")
            .annotate(n=Count("pk"))
            .values_list("chain_id", "n")
        )
    )
    projects = defaultdict(Counter)
    for chain_id, light, n in (
        Project.objects.filter(chain_id__in=ids)
        .values("chain_id", "light")
        .annotate(n=Count("pk"))
        .values_list("chain_id", "light", "n")
    ):
        projects[chain_id]["all"] += n
        projects[chain_id][f"light:{light}"] += n
    signed = {
        r["chain_id"]: r
        for r in Project.objects.filter(chain_id__in=ids, signed_on__year=year, pipeline=Pipeline.INVESTMENT)
        .values("chain_id")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    }
    return [
        {
            "chain": c,
            "chiefs": list(c.chiefs.all()),
            "nodes": nodes.get(c.pk, 0),
            "projects": projects[c.pk]["all"],
            "red": projects[c.pk]["light:red"],
            "yellow": projects[c.pk]["light:yellow"],
            "signed": (signed.get(c.pk) or {}).get("n", 0),
            "signed_yi": ((signed.get(c.pk) or {}).get("amount") or Decimal(0)) / 10000,
        }
        for c in chains
    ]


def investment_figures(actor: Actor, start: dt.date, end: dt.date, chain: Chain | None = None) -> dict:
    """ "N trips, M signed projects above 1亿, X亿 in all" for a period (both ends included) and one chain or all the
    actor reads: trips led by city leaders, investment projects signed in the period with an amount at or above
    `chains.signed_threshold_wan`, and the sum of those amounts."""
    chains = chains_for(actor) if chain is None else Chain.objects.filter(pk=chain.pk)
    threshold = param(SIGNED_THRESHOLD)
    trips = Trip.objects.filter(chain__in=chains, went_on__range=(start, end), led_by_leader=True)
    signed = Project.objects.filter(
        chain__in=chains, pipeline=Pipeline.INVESTMENT, signed_on__range=(start, end), amount__gte=threshold
    )
    totals = signed.aggregate(n=Count("pk"), amount=Sum("amount"))
    amount = totals["amount"] or Decimal(0)
    return {
        "start": start,
        "end": end,
        "chain": chain,
        "threshold": threshold,
        "trips": trips.count(),
        "trip_cities": sorted(set(trips.values_list("city", flat=True))),
        "signed": totals["n"] or 0,
        "amount_wan": amount,
        "amount_yi": (amount / 10000).quantize(Decimal("0.01")),
    }


def trips_of(chain: Chain):
    return Trip.objects.filter(chain=chain).prefetch_related("projects")[:50]


# ---- the chain report ---------------------------------------------------------------------------------------------

GAPS_IN_REPORT = 20


def chain_report(actor: Actor, chain: Chain, year: int, now: dt.datetime, facts: MapFacts | None = None) -> dict:
    """What the printable report and its .xlsx say about a chain's year: its organisation, KPIs, investment figures,
    map and gaps, pipeline by stage with the late projects, its firms' health and the year's lists. `facts`, the
    map's, when the caller has them (`mapcache`)."""
    facts = map_facts(chain) if facts is None else facts
    nodes = facts.nodes
    suggestions = gap_analysis(chain, now, facts)
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), now.date())
    projects = list(
        Project.objects.filter(chain=chain)
        .select_related("stage", "responsible_unit", "county", "node")
        .order_by("stage__pipeline", "stage__order", "-pk")
    )
    return {
        "chain": chain,
        "year": year,
        "chiefs": list(chain.chiefs.all()),
        "parks": list(chain.parks.select_related("county")),
        "owners": list(chain.owners.select_related("enterprise")),
        "kpis": kpi_figures(chain, year),
        "investment": investment_figures(actor, start, end, chain) if start <= end else None,
        "nodes": len(nodes),
        "covered": sum(1 for n in nodes if n.coverage == "covered"),
        "gaps": [g for g in suggestions if g.is_gap],
        "suggestions": suggestions[:GAPS_IN_REPORT],
        "projects": projects,
        "late": [p for p in projects if p.light in ("red", "yellow")],
        "health": chain_health(chain, now),
        "lists": lists_of(chain, year),
        "today": now.date(),
    }
