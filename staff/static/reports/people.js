/* The desk by queue and by agent (tables: a name lists that queue's or agent's conversations), and
 * the quality-review scores per agent by week (a chart; hidden while the desk has no reviews API). */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { dayAxis, draw, nothing, valueAxis } from "./charts.js";
import { openDrill } from "./drill.js";
import { count, queueName, rate, score, span } from "./labels.js";
import { query, state } from "./state.js";

function row(cells, first) {
  var tr = el("tr");
  var th = el("th");
  th.scope = "row";
  th.appendChild(first);
  tr.appendChild(th);
  cells.forEach(function (text) { tr.appendChild(el("td", "num", text)); });
  return tr;
}

function drillButton(text, label, params) {
  var button = el("button", "link", text);
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.addEventListener("click", function () { openDrill(params); });
  return button;
}

export function renderQueues() {
  var body = $("queue-rows");
  clear(body);
  state.queueRows.forEach(function (q) {
    var name = queueName(q.queue);
    var tr = row([count(q.tickets), rate(q.answer_rate), rate(q.sla_rate), span(q.wait_p50),
      span(q.handle_seconds_average), score(q.csat)],
    drillButton(name, name + " 转人工明细 / handoffs in this queue", { metric: "handoff", queue: q.queue, agent: "" }));
    tr.setAttribute("data-queue", q.queue);
    body.appendChild(tr);
  });
  $("queues-empty").hidden = state.queueRows.length > 0;
}

export function renderAgents() {
  var body = $("agent-rows");
  clear(body);
  state.agentRows.forEach(function (a) {
    var name = a.display_name || a.username || "#" + a.agent_id;
    var tr = row([count(a.tickets), span(a.handle_seconds_average), count(a.transfers_out), rate(a.fcr_rate), score(a.csat)],
      drillButton(name, name + " 接待明细 / chats this agent answered", { metric: "answered", agent: String(a.agent_id), queue: "" }));
    tr.setAttribute("data-agent", String(a.agent_id));
    body.appendChild(tr);
  });
  $("agents-empty").hidden = state.agentRows.length > 0;
}

/** Review scores per agent by week; the panel stays hidden if the route is not there (404). */
export function loadQuality(generation) {
  return api("GET", "/api/quality/scores?" + query(true)).then(function (r) {
    if (generation !== state.loading) return;
    var panel = $("quality-panel");
    if (r.status === 404 || r.status === 405) { panel.hidden = true; return; }
    panel.hidden = false;
    if (!r.ok || !r.body) { $("quality-error").textContent = "评分加载失败 / Scores not loaded (HTTP " + r.status + ")"; $("quality-error").hidden = false; nothing("chart-quality"); return; }
    $("quality-error").hidden = true;
    var agents = (r.body.agents || []).filter(function (a) { return (a.weeks || []).length; });
    if (!agents.length) { nothing("chart-quality"); return; }
    var weeks = {};
    agents.forEach(function (a) { a.weeks.forEach(function (w) { weeks[w.week] = true; }); });
    var axis = Object.keys(weeks).sort();  // each week by its Monday, "YYYY-MM-DD"
    draw("chart-quality", {
      tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : Number(v).toFixed(1); } },
      xAxis: dayAxis(axis),
      yAxis: Object.assign(valueAxis(""), { scale: true, max: 100 }),
      series: agents.map(function (a) {
        var byWeek = {};
        a.weeks.forEach(function (w) { byWeek[w.week] = w.average; });
        return {
          name: a.display_name || "#" + a.agent_id,
          type: "line",
          symbolSize: 7,
          cursor: "default",
          connectNulls: true,
          data: axis.map(function (w) { return byWeek[w] === undefined ? null : byWeek[w]; })
        };
      })
    });
  }, function () { /* the figures above say whether the network is down */ });
}
