/* The page's charts on Apache ECharts (vendor/echarts, served with the app: no CDN). One instance
 * per chart container, made on first use, resized with its box (phones turn, panels wrap), drawn
 * on canvas. Tooltips are drawn on the canvas too (renderMode richText): ECharts' HTML tooltips
 * carry inline styles the page's Content-Security-Policy refuses. */

var echarts = window.echarts;

export var COLORS = ["#0f766e", "#d97706", "#2563eb", "#e11d48", "#7c3aed", "#64748b", "#16a34a", "#0891b2"];
var FONT = '-apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", ' +
  '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Segoe UI", Roboto, Arial, sans-serif';
var STILL = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

var resized = typeof ResizeObserver === "function" ? new ResizeObserver(function (boxes) {
  boxes.forEach(function (box) {
    var chart = echarts.getInstanceByDom(box.target);
    if (chart && box.contentRect.width > 0) chart.resize();
  });
}) : null;

/**
 * The chart in element `id`, made the first time. `onPick(params)` hears a click on a data item
 * (a bar or a point); `onAxis(index, seriesIndex)` a click elsewhere in the plot (on a line or its
 * area: the series' index, else null), with the category index under it (for "that day").
 */
export function chartIn(id, onPick, onAxis) {
  var box = document.getElementById(id);
  var chart = echarts.getInstanceByDom(box);
  if (chart) return chart;
  chart = echarts.init(box, null, { renderer: "canvas", locale: "ZH" });
  if (resized) resized.observe(box);
  if (!onPick && !onAxis) return chart;
  var picked = null;  // what the chart's own click event named, if the click was on something
  chart.on("click", function (params) { picked = params; });
  chart.getZr().on("click", function (e) {
    setTimeout(function () {  // after the chart's own click event, if there was one
      var p = picked;
      picked = null;
      if (p && onPick && typeof p.dataIndex === "number" && p.dataIndex >= 0) { onPick(p); return; }
      if (!onAxis || !chart.containPixel("grid", [e.offsetX, e.offsetY])) return;
      var index = chart.convertFromPixel({ xAxisIndex: 0 }, e.offsetX);  // a category axis: its index
      if (typeof index === "number" && index >= 0) onAxis(Math.round(index), p ? p.seriesIndex : null);
    }, 0);
  });
  return chart;
}

/** Draw `option` over the page's defaults, replacing what the chart showed. */
export function draw(id, option, handlers) {
  handlers = handlers || {};
  var chart = chartIn(id, handlers.onPick, handlers.onAxis);
  var base = {
    color: COLORS,
    animation: !STILL,
    animationDuration: 350,
    textStyle: { fontFamily: FONT, color: "#1f2937" },
    aria: { enabled: true, decal: { show: false } },
    tooltip: { renderMode: "richText", confine: true, trigger: "axis", textStyle: { fontSize: 12 } },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    legend: { type: "scroll", top: 4, left: 0, right: 0, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 12 } }
  };
  var merged = Object.assign({}, base, option);
  ["tooltip", "grid", "legend"].forEach(function (k) {
    if (option[k] !== undefined && option[k] !== false) merged[k] = Object.assign({}, base[k], option[k]);
  });
  chart.setOption(merged, { notMerge: true });
  return chart;
}

/** A chart's "nothing in this period" in place of axes. */
export function nothing(id) {
  draw(id, {
    title: { text: "暂无数据 No data", left: "center", top: "middle", textStyle: { color: "#6b7280", fontSize: 13, fontWeight: 400 } },
    legend: false,
    tooltip: false,
    series: []
  });
}

export function disposeAll() {
  Array.prototype.forEach.call(document.querySelectorAll(".chart"), function (box) {
    var chart = echarts.getInstanceByDom(box);
    if (chart) {
      if (resized) resized.unobserve(box);
      chart.dispose();
    }
  });
}

/** The category axis of days: "11-23", with the year when the period spans two. */
export function dayAxis(days) {
  var years = {};
  days.forEach(function (d) { years[d.slice(0, 4)] = true; });
  var withYear = Object.keys(years).length > 1;
  return {
    type: "category",
    data: days.map(function (d) { return withYear ? d : d.slice(5); }),
    axisTick: { alignWithLabel: true },
    axisLabel: { fontSize: 11, hideOverlap: true }
  };
}

/** A value axis; `unit` "%" runs 0–100. */
export function valueAxis(unit, min, max) {
  return {
    type: "value",
    min: min,
    max: max,
    minInterval: unit === "%" ? undefined : 1,
    axisLabel: { fontSize: 11, formatter: unit === "%" ? "{value}%" : "{value}" },
    splitLine: { lineStyle: { color: "#eef0f3" } }
  };
}

/** A horizontal bar chart's category axis of long names, longest first at the top. */
export function nameAxis(names) {
  return {
    type: "category",
    data: names,
    inverse: true,
    axisTick: { show: false },
    axisLabel: { fontSize: 11, width: 150, overflow: "truncate" }
  };
}
