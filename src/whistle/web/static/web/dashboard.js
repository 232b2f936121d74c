// Charts of the leader's cockpit. The tables under each chart hold the same numbers (and links) for people
// who cannot see the chart; a click on a bar, point or slice opens the cases behind it.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const palette = ["#0b5cad", "#2e7d32", "#b26a00", "#b3261e", "#5e35b1", "#00796b", "#6d4c41", "#455a64", "#ad1457"];
  const open = (params) => { if (params.data && params.data.url) window.location.href = params.data.url; };
  const charts = [];
  const start = (el, option) => {
    const chart = echarts.init(el);
    chart.setOption(option);
    chart.on("click", open);
    charts.push(chart);
    return chart;
  };
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  const stateEl = document.getElementById("chart-state");
  if (data.state.length) {
    const narrow = stateEl.clientWidth < 480;  // on a phone a legend reads better than labels around the ring
    start(stateEl, {
      color: palette,
      tooltip: { trigger: "item", formatter: "{b}：{c}件（{d}%）" },
      legend: narrow ? { bottom: 0, type: "scroll" } : undefined,
      series: [{ type: "pie", radius: narrow ? ["30%", "55%"] : ["40%", "70%"], center: ["50%", narrow ? "42%" : "50%"],
                 data: data.state, label: { show: !narrow, formatter: "{b}\n{c}" } }],
    });
  } else {
    stateEl.hidden = true;
  }

  const trendEl = document.getElementById("chart-trend");
  if (trendEl) {
    start(trendEl, {
      color: ["#0b5cad", "#2e7d32"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.trend.map((t) => t.label) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "受理", type: "bar", barMaxWidth: 18, data: data.trend.map((t) => ({ value: t.total, url: t.url })) },
        { name: "已办结", type: "line", data: data.trend.map((t) => ({ value: t.closed, url: t.closed_url })) },
      ],
    });
  }

  // 三率 by county and by unit: each row's rates in per cent (0–100), never counts.
  const codes = data.parts;  // the composite's parts (响应率, 解决率, 满意率 by default)
  function rateBars(id, all) {
    const el = document.getElementById(id);
    if (!el) return;
    const rows = all.filter((r) => codes.some((c) => r[c] !== null && r[c] !== undefined));
    if (!rows.length) { el.hidden = true; return; }
    el.style.height = `${Math.max(200, rows.length * 40 + 80)}px`;  // one readable group of bars per row
    start(el, {
      color: ["#0b5cad", "#b26a00", "#2e7d32"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: rows.map((r) => r.name), inverse: true, axisLabel: { width: 110, overflow: "truncate" } },
      series: codes.map((c) => ({ name: data.labels[c], type: "bar", barMaxWidth: 12,
        data: rows.map((r) => ({ value: r[c], url: r.urls[c] })) })),
    });
  }
  rateBars("chart-rates", data.rates);
  rateBars("chart-unit", data.unit);

  // The county grid: tiles coloured by the chosen rate; the tile opens the cases behind that rate.
  const pick = document.getElementById("grid-rate");
  const tiles = Array.from(document.querySelectorAll("#county-grid .tile"));
  const shade = (v) => {  // light (low) to dark blue (high) over the range shown
    const values = tiles.map((t) => parseFloat(t.dataset[pick.value])).filter((x) => !Number.isNaN(x));
    if (Number.isNaN(v) || !values.length) return null;
    const lo = Math.min(...values), hi = Math.max(...values);
    return hi === lo ? 0.6 : (v - lo) / (hi - lo);
  };
  function paint() {
    const code = pick.value;
    const label = pick.options[pick.selectedIndex].text;
    tiles.forEach((tile) => {
      const a = tile.querySelector("a");
      const raw = tile.dataset[code];
      const v = parseFloat(raw);
      a.href = tile.dataset[`${code}Url`];
      a.setAttribute("aria-label", `${tile.querySelector(".tile-name").textContent} ${label}`);
      const score = pick.selectedIndex === pick.options.length - 1;  // the composite is a score, not a percentage
      tile.querySelector(".tile-value").textContent = raw === "" ? "—" : (score ? raw : `${raw}%`);
      const t = shade(v);
      tile.style.background = t === null ? "" : `hsl(211, 70%, ${92 - t * 55}%)`;
      tile.classList.toggle("dark", t !== null && t > 0.55);
    });
  }
  if (pick) { pick.addEventListener("change", paint); paint(); }
});
