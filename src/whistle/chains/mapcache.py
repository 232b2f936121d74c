"""A chain page's map, computed once per chain, year and map version and held in the process.

What the map shows depends only on the chain's nodes, the firms at them (how many, how many local, the first firm
elsewhere) and how many of a year's list entries name each node. Every write to those rows gives `Chain.map_version`
a new value in its own transaction (`bump`): the model signals of `Node`, `NodeFirm` and `ListEntry` (each `save()`
and `delete()`, the admin's and the services' alike), and `bump` by hand where a service writes in bulk
(`lists_carry_over`). The key carries the version read with the chain at the start of the request, so a page after a
write never finds the map from before it, in any process. The firms themselves are not in it: the page links each
node to its firms (`views.node_firms`), loaded on demand.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from html import escape  # the stdlib function Django's `escape` wraps, without its lazy-string wrapper

from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from . import selectors
from .models import Chain, ListEntry, Node, NodeFirm

SEGMENTS = {"up": "上游", "mid": "中游", "down": "下游"}
DEPTHS_IN_CSS = 9  # chains.css indents .d0 … .d9; a deeper node carries its own margin


def new_version() -> int:
    """A version no state of any chain's map had before (31 random bits): not a counter, so a database restored
    from a backup, or a test's rolled-back writes, can never meet a payload cached for other rows."""
    return 1 + secrets.randbelow(2**31 - 2)


def bump(chain_id: int) -> None:
    """The chain's map changed: one UPDATE, in the caller's transaction."""
    Chain.objects.filter(pk=chain_id).update(map_version=new_version())


def _node_written(sender, instance: Node, **kwargs) -> None:
    bump(instance.chain_id)


def _firm_written(sender, instance: NodeFirm, **kwargs) -> None:
    Chain.objects.filter(nodes__pk=instance.node_id).update(map_version=new_version())


def _entry_written(sender, instance: ListEntry, **kwargs) -> None:
    bump(instance.chain_id)  # the map counts a year's entries per node (an entry saved may have lost its node)


def connect() -> None:
    for model, receiver in ((Node, _node_written), (NodeFirm, _firm_written), (ListEntry, _entry_written)):
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, dispatch_uid=f"chains.map_version.{model.__name__}")


@dataclass
class MapPayload:
    facts: selectors.MapFacts  # the nodes, their local enterprises and firms elsewhere (the gap analysis reads them)
    gaps: int
    list_html: SafeString  # the map as an indented list, a `<li>` per node
    data_script: SafeString  # the chart's data, a `<script type="application/json">`
    options_html: SafeString  # the nodes as `<option>`s, for the office's forms

    @property
    def nodes(self) -> list[selectors.MapNode]:
        return self.facts.nodes

    @property
    def count(self) -> int:
        return len(self.facts.nodes)


# The payloads this process computed last, by chain, year and version: a version's payload never changes. Not in the
# shared cache: a payload is about a megabyte, which the database cache writes in more time than it takes to compute
# (bench/chains_bench.py), so each process computes a version's map once, at its first page after the write.
_HELD: OrderedDict[str, MapPayload] = OrderedDict()
HELD_MAX = 24  # ten chains, this year and last, and a few more
_LOCK = threading.Lock()


def payload(chain: Chain, year: int) -> MapPayload:
    """The map of `chain` as it stands at the chain's `map_version` (read with it), with `year`'s list entries:
    held in this process, else computed (outside the lock: two threads may both compute a new version once)."""
    key = f"{chain.pk}:{year}:{chain.map_version}"
    with _LOCK:
        found = _HELD.get(key)
        if found is not None:
            _HELD.move_to_end(key)
            return found
    found = compute(chain, year)
    with _LOCK:
        _HELD[key] = found
        while len(_HELD) > HELD_MAX:
            _HELD.popitem(last=False)
    return found


def compute(chain: Chain, year: int) -> MapPayload:
    nodes = selectors.chain_map(chain)
    entries = selectors.entries_by_node(chain, year)
    firms_url = reverse("chains:node_firms", args=[chain.code, 0]).replace("/0/", "/{}/")
    data = [[n.pk, n.parent_id, n.name, n.segment, n.depth, n.coverage, n.firm_count, n.local_count] for n in nodes]
    return MapPayload(
        facts=selectors.map_facts(chain, nodes),
        gaps=sum(1 for n in nodes if n.coverage == "gap"),
        list_html=map_list(nodes, entries, firms_url),
        data_script=json_script(data, "chain-map-data"),
        options_html=node_options(nodes),
    )


def map_list(nodes, entries: dict[int, int], firms_url: str) -> SafeString:
    """One `<li>` per node coloured by coverage: its firm counts linking to its firms (a page of its own without
    JavaScript, loaded in place with it) and a link to the year's list entries that name it."""
    parts = []
    for n in nodes:
        name = escape(n.name)
        seg = SEGMENTS.get(n.segment, "") if n.depth == 0 else ""
        if n.firm_count:
            firms = (
                f'<a class="firms" href="{firms_url.format(n.pk)}" data-firms="{n.firm_count}">'
                f"企业{n.firm_count}家（本地{n.local_count}家）</a>"
            )
        else:
            firms = '<span class="muted">暂无企业</span>'
        count = entries.get(n.pk)
        listed = f' <a class="entries" href="#lists" data-entries="{count}">清单{count}条</a>' if count else ""
        indent = f' style="margin-left:{n.depth}.5em"' if n.depth > DEPTHS_IN_CSS else ""
        parts.append(
            f'<li class="{n.coverage} d{n.depth}"{indent} id="node-{n.pk}"><strong>{name}</strong> '
            f'<span class="seg">{seg}</span> {firms}{listed}</li>'
        )
    return mark_safe("".join(parts))  # every text in it escaped above


def node_options(nodes, selected=None) -> SafeString:
    """`<option>`s of the map's nodes (by id), `selected` the chosen one's id."""
    chosen = str(selected) if selected is not None else None
    return mark_safe(
        "".join(
            f'<option value="{n.pk}"{" selected" if str(n.pk) == chosen else ""}>{escape(n.name)}</option>'
            for n in nodes
        )
    )
