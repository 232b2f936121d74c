// Charts of the 亩产效益 county view; the tables under each chart hold the same numbers.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("ly-chart-data").textContent);
  const colors = { A: "#2e7d32", B: "#0b5cad", C: "#b26a00", D: "#b3261e" };
  const charts = [];
  const start = (id, option) => {
    const el = document.getElementById(id);
    if (!el) return;
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  };
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  start("chart-mix", {
    color: [colors.A, colors.B, colors.C, colors.D],
    tooltip: { trigger: "item", formatter: "{b}：{c}家（{d}%）" },
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "60%"], center: ["50%", "45%"], data: data.mix }],
  });
  start("chart-parks", {
    color: ["#0b5cad"],
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.parks.map((p) => p.name) },
    series: [{ type: "bar", data: data.parks.map((p) => p.value) }],
  });
  start("chart-trend", {
    color: [colors.A, colors.B, colors.C, colors.D],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.trend.map((t) => String(t.year)) },
    yAxis: { type: "value", minInterval: 1 },
    series: ["A", "B", "C", "D"].map((k) => ({ name: k + "类", type: "bar", stack: "all", data: data.trend.map((t) => t[k]) })),
  });
});
