// The chain map (产业链图谱) drawn with the vendored ECharts common build (no tree series in it): each segment a
// column block, a node a point placed as in a tidy tree (leaves one per row, a parent at the middle of its
// children), an edge a line from parent to child. Colour = local coverage; a click opens the node in the list
// below (its firms, its list entries). The list below holds the same nodes for those without the chart; a node's
// firms are loaded on demand: its "企业N家" link opens a page of its own without JavaScript, and with it the list is
// fetched (`?part=1`, the same scope as the page) and shown in place.
async function toggleFirms(link) {
  const shown = link.parentElement.querySelector(":scope > .node-firms");
  if (shown) {
    shown.remove();
    link.setAttribute("aria-expanded", "false");
    return;
  }
  const url = new URL(link.href);
  url.searchParams.set("part", "1");
  const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!response.ok) return;
  link.insertAdjacentHTML("afterend", await response.text());
  link.setAttribute("aria-expanded", "true");
}

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest(".chain-map a.firms");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  toggleFirms(link);
});

document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("chain-map-chart");
  const source = document.getElementById("chain-map-data");
  if (!el || !source || typeof echarts === "undefined") return;
  const nodes = JSON.parse(source.textContent).map(([id, parent, name, segment, depth, coverage, firms, local]) => ({
    id, parent, name, segment, depth, coverage, firms, local, children: [],
  }));
  if (!nodes.length) return;
  const colors = { covered: "#2e7d32", partial: "#f9a825", gap: "#c62828" };
  const labels = { covered: "有本地企业", partial: "下级节点有本地企业", gap: "缺链" };
  const segments = ["up", "mid", "down"];
  const segmentNames = { up: "上游", mid: "中游", down: "下游" };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  nodes.forEach((n) => byId.get(n.parent)?.children.push(n));
  let offset = 0;
  let rows = 0;
  const heads = [];
  segments.forEach((segment) => {
    const mine = nodes.filter((n) => n.segment === segment); // path order: a parent before its children
    if (!mine.length) return;
    let leaf = 0;
    mine.forEach((n) => { if (!n.children.length) n.y = leaf++; });
    for (let i = mine.length - 1; i >= 0; i--) {
      const n = mine[i];
      if (n.children.length) n.y = n.children.reduce((s, c) => s + c.y, 0) / n.children.length;
    }
    const deepest = Math.max(...mine.map((n) => n.depth));
    mine.forEach((n) => { n.x = offset + n.depth; });
    heads.push({ x: offset, name: segmentNames[segment] });
    offset += deepest + 2;
    rows = Math.max(rows, leaf);
  });
  const big = nodes.length > 150;
  el.style.height = `${Math.min(Math.max(320, rows * (big ? 6 : 22) + 60), 1600)}px`;
  const edges = [];
  nodes.forEach((n) => {
    const p = byId.get(n.parent);
    if (p) edges.push([p.x, p.y], [n.x, n.y], "-");
  });
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 120, top: 28, bottom: 8 },
    xAxis: { type: "value", show: false, min: -0.5, max: offset - 1 },
    yAxis: { type: "value", show: false, inverse: true, min: -1, max: Math.max(rows, 1) },
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        const n = p.data && p.data.node;
        return n ? `${n.name}<br>${labels[n.coverage]}；节点企业${n.firms}家，其中本地${n.local}家` : "";
      },
    },
    series: [
      { type: "line", data: edges, symbol: "none", silent: true, connectNulls: false,
        lineStyle: { color: "#bbb", width: 1 }, z: 1 },
      {
        type: "scatter",
        symbolSize: big ? 6 : 12,
        z: 2,
        label: { show: !big, position: "right", formatter: (p) => p.data.node.name, fontSize: 12 },
        data: nodes.map((n) => ({ value: [n.x, n.y], node: n, itemStyle: { color: colors[n.coverage] } })),
      },
      {
        type: "scatter", symbolSize: 0, silent: true,
        label: { show: true, position: "top", formatter: (p) => p.data.name, fontWeight: "bold" },
        data: heads.map((h) => ({ value: [h.x, -1], name: h.name })),
      },
    ],
  });
  chart.on("click", (p) => {
    const n = p.data && p.data.node;
    if (!n) return;
    const target = document.getElementById(`node-${n.id}`);
    if (target) {
      window.location.hash = `node-${n.id}`;
      target.scrollIntoView({ block: "center" });
      const firms = target.querySelector(":scope > a.firms");
      if (firms && !target.querySelector(":scope > .node-firms")) toggleFirms(firms);
    }
  });
  window.addEventListener("resize", () => chart.resize());
});
