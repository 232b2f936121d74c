// The leader's indicator page: trend against target and the peers' rank bump charts. The tables beside each chart
// hold the same numbers for people who cannot see the chart.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("ind-data").textContent);
  if (!data.trend || typeof echarts === "undefined") return;
  const charts = [];
  const trendEl = document.getElementById("chart-trend");
  if (trendEl) {
    const c = echarts.init(trendEl);
    c.setOption({
      color: ["#0b5cad", "#b3261e"], tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.trend.map((t) => t.period) },
      yAxis: { type: "value", scale: true, name: data.figure_label },
      series: [
        { name: "实际", type: "line", data: data.trend.map((t) => t.figure), connectNulls: true },
        { name: "目标", type: "line", step: "end", lineStyle: { type: "dashed" }, data: data.trend.map((t) => t.target) },
      ],
    });
    charts.push(c);
  }
  document.querySelectorAll(".bump").forEach((el) => {
    const rows = data.bump[el.dataset.set] || [];
    const c = echarts.init(el);
    c.setOption({
      tooltip: { trigger: "item", formatter: (p) => `${p.seriesName}：${p.name} 第${p.value}位` },
      grid: { left: 8, right: 64, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.periods, boundaryGap: false },
      yAxis: { type: "value", inverse: true, min: 1, minInterval: 1, name: "位次" },
      series: rows.map((r) => ({
        name: r.name, type: "line", data: r.ranks, connectNulls: false, symbolSize: r.home ? 8 : 4,
        lineStyle: { width: r.home ? 4 : 1, opacity: r.home ? 1 : 0.45 },
        endLabel: { show: true, formatter: "{a}" }, emphasis: { focus: "series" },
      })),
    });
    charts.push(c);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
