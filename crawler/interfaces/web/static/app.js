// adwatch workbench: charts from the page's JSON, review by keyboard.
// No inline script anywhere (the Content-Security-Policy forbids it): the
// data each chart draws sits in <script type="application/json"> blocks.
"use strict";

function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

const builders = {
  stacked(d) {
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: d.days }, yAxis: { type: "value", minInterval: 1 },
      series: Object.entries(d.series).map(([name, data]) => ({ name, type: "bar", stack: "all", data })),
    };
  },
  pie(d) {
    return { tooltip: {}, series: [{ type: "pie", radius: "65%", data: d.map(([name, value]) => ({ name, value })) }] };
  },
  operators(d) {
    return {
      tooltip: {}, grid: { left: 110, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: d.map((o) => o.id.slice(0, 14)), inverse: true },
      series: [{ type: "bar", data: d.map((o) => o.ads) }],
    };
  },
  takedown(d) {
    const rows = d.regulator.map((r) => ({ name: "监管:" + r.name, value: r.median }))
      .concat(d.platform.map((r) => ({ name: "平台:" + r.name, value: r.median })));
    return {
      tooltip: {}, grid: { left: 110, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", name: "天" }, yAxis: { type: "category", data: rows.map((r) => r.name), inverse: true },
      series: [{ type: "bar", data: rows.map((r) => r.value) }],
    };
  },
  agreement(d) {
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: d.map((r) => r.period) }, yAxis: { type: "value", min: 0, max: 1 },
      series: [
        { name: "精确率", type: "line", data: d.map((r) => r.precision) },
        { name: "召回率", type: "line", data: d.map((r) => r.recall) },
      ],
    };
  },
  graph(d) {
    return {
      tooltip: {}, legend: { data: d.categories.map((c) => c.name) },
      series: [{
        type: "graph", layout: "force", roam: true, draggable: true, categories: d.categories,
        data: d.nodes.map((n) => ({ id: n.id, name: n.name, category: n.category, symbolSize: n.category === 0 ? 14 : 10 })),
        links: d.links, force: { repulsion: 120, edgeLength: 60 }, label: { show: false },
      }],
    };
  },
};

function isEmpty(data) {
  if (Array.isArray(data)) return data.length === 0;
  if (data.days) return data.days.length === 0;
  if (data.nodes) return data.nodes.length === 0;
  return Object.values(data).every((v) => Array.isArray(v) && v.length === 0);
}

function drawCharts() {
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const data = pageData(el.dataset.source);
    const build = builders[el.dataset.chart];
    if (!data || !build) return;
    if (isEmpty(data)) {
      el.classList.add("empty");
      el.textContent = "暂无数据";
      return;
    }
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({ animation: false, ...build(data) });
    window.addEventListener("resize", () => chart.resize());
  });
}

function reviewKeys(event) {
  const form = document.getElementById("decide");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target.closest && event.target.closest("input, textarea, select");
  if (typing) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  const key = event.key.toLowerCase();
  if (key === "n") {
    event.preventDefault();
    form.querySelector("input[name=note]").focus();
    return;
  }
  const button = form.querySelector(`button[data-key="${CSS.escape(key)}"]`);
  if (!button || form.dataset.sent) return;
  event.preventDefault();
  form.dataset.sent = "1"; // one decision per item, however fast the keys come
  button.click(); // as a click: htmx sends the clicked button's decision
}

document.addEventListener("DOMContentLoaded", drawCharts);
document.addEventListener("keydown", reviewKeys);
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("#decide button[data-key]");
  if (button) button.form.querySelector("input[name=reason]").value = button.dataset.reason || "";
});
