/* The figures by day: conversations and handoffs, the rates, and satisfaction, as lines over the
 * period; and the same numbers in a table for keyboards, screen readers and copying. A click on
 * a day (a point, a line, or anywhere over that day) lists the conversations behind it. */

import { $, clear, el } from "../common/dom.js";
import { dayAxis, draw, nothing, valueAxis } from "./charts.js";
import { openDrill } from "./drill.js";
import { count, percent, rate, score } from "./labels.js";
import { state } from "./state.js";

// Each series: its name, the day's field, and what a click on it lists (the side that needs a look).
var VOLUME = [
  { key: "conversations", name: "会话 Conversations", metric: "not_contained" },
  { key: "handoffs", name: "转人工 Handoffs", metric: "handoff" }
];
var RATES = [
  { key: "containment_rate", name: "机器人解决率 Containment", metric: "not_contained" },
  { key: "answer_rate", name: "接通率 Answer rate", metric: "missed" },
  { key: "sla_rate", name: "首响达标率 SLA", metric: "sla_missed" },
  { key: "fcr_rate", name: "首次解决率 FCR", metric: "not_fcr" }
];
var CSAT = [
  { key: "bot_csat", name: "机器人 Bot", metric: "low_csat" },
  { key: "human_csat", name: "人工 Human", metric: "low_csat" }
];

function lines(series, days, value, lineStyle) {
  return series.map(function (s) {
    return {
      name: s.name,
      type: "line",
      data: days.map(function (d) { return value(d[s.key]); }),
      connectNulls: false,
      showSymbol: days.length <= 45,
      symbolSize: 7,
      triggerLineEvent: true,
      lineStyle: Object.assign({ width: 2 }, lineStyle || {})
    };
  });
}

function picker(series, fallback) {
  // Read at the click: a chart keeps the handlers it was made with while its figures change.
  function dayAt(index) { return state.daily[index] ? state.daily[index].day : null; }
  return {
    onPick: function (params) {
      var s = series[params.seriesIndex];
      var day = dayAt(params.dataIndex);
      if (s && day) openDrill({ metric: s.metric, day: day });
    },
    onAxis: function (index, seriesIndex) {
      var day = dayAt(index);
      var s = seriesIndex === null ? null : series[seriesIndex];
      if (day) openDrill({ metric: s ? s.metric : fallback, day: day });
    }
  };
}

function number(x) { return x === null || x === undefined ? null : Number(x); }

export function renderTrend() {
  var days = state.daily;
  if (!days.length) {
    ["chart-volume", "chart-rates", "chart-csat"].forEach(nothing);
    renderTable();
    return;
  }
  var axis = dayAxis(days.map(function (d) { return d.day; }));
  var volume = lines(VOLUME, days, number);
  volume[0].areaStyle = { opacity: 0.08 };
  draw("chart-volume", { xAxis: axis, yAxis: valueAxis(""), series: volume }, picker(VOLUME, "handoff"));
  draw("chart-rates", {
    xAxis: axis,
    yAxis: valueAxis("%", 0, 100),
    tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
    series: lines(RATES, days, percent)
  }, picker(RATES, "not_contained"));
  draw("chart-csat", {
    xAxis: axis,
    yAxis: valueAxis("", 1, 5),
    tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : Number(v).toFixed(2); } },
    color: ["#0f766e", "#d97706"],
    series: lines(CSAT, days, number)
  }, picker(CSAT, "low_csat"));
  renderTable();
}

/** The days as a table: each day's button lists its handoffs. */
function renderTable() {
  var body = $("daily-rows");
  clear(body);
  state.daily.forEach(function (d) {
    var tr = el("tr");
    var th = el("th");
    th.scope = "row";
    var button = el("button", "link day", d.day);
    button.type = "button";
    button.setAttribute("aria-label", d.day + " 转人工明细 / handoffs that day");
    button.addEventListener("click", function () { openDrill({ metric: "handoff", day: d.day }); });
    th.appendChild(button);
    tr.appendChild(th);
    [count(d.conversations), rate(d.containment_rate), count(d.handoffs), rate(d.answer_rate),
      rate(d.sla_rate), rate(d.fcr_rate), score(d.bot_csat), score(d.human_csat)].forEach(function (text) {
      tr.appendChild(el("td", "num", text));
    });
    body.appendChild(tr);
  });
  $("daily-empty").hidden = state.daily.length > 0;
}
