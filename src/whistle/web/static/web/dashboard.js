// Charts for the leader's dashboard. The tables under each chart hold the same numbers (and links) for
// people who cannot see the chart; a click on a bar or slice opens the cases behind it.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const palette = ["#0b5cad", "#2e7d32", "#b26a00", "#b3261e", "#5e35b1", "#00796b", "#6d4c41", "#455a64", "#ad1457"];
  const open = (params) => { if (params.data && params.data.url) window.location.href = params.data.url; };

  function bars(id, rows) {
    const el = document.getElementById(id);
    if (!el || !rows.length) { if (el) el.hidden = true; return; }
    el.style.height = `${Math.max(160, rows.length * 34 + 70)}px`;  // one readable bar per row, however many rows
    const chart = echarts.init(el);
    const names = rows.map((r) => r.name);
    chart.setOption({
      color: ["#0b5cad", "#2e7d32"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: names, inverse: true, axisLabel: { width: 110, overflow: "truncate" } },
      series: [
        { name: "在办", type: "bar", stack: "n", barMaxWidth: 24, data: rows.map((r) => ({ value: r.open, url: r.url })) },
        { name: "已办结", type: "bar", stack: "n", barMaxWidth: 24, data: rows.map((r) => ({ value: r.closed, url: r.url })) },
      ],
    });
    chart.on("click", open);
    window.addEventListener("resize", () => chart.resize());
  }

  const stateEl = document.getElementById("chart-state");
  if (data.state.length) {
    const chart = echarts.init(stateEl);
    const narrow = stateEl.clientWidth < 480;  // on a phone a legend reads better than labels around the ring
    chart.setOption({
      color: palette,
      tooltip: { trigger: "item", formatter: "{b}：{c}件（{d}%）" },
      legend: narrow ? { bottom: 0, type: "scroll" } : undefined,
      series: [{ type: "pie", radius: narrow ? ["30%", "55%"] : ["40%", "70%"], center: ["50%", narrow ? "42%" : "50%"],
                 data: data.state, label: { show: !narrow, formatter: "{b}\n{c}" } }],
    });
    chart.on("click", open);
    window.addEventListener("resize", () => chart.resize());
  } else {
    stateEl.hidden = true;
  }
  bars("chart-county", data.county);
  bars("chart-unit", data.unit);
});
