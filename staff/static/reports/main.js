/* 优选生活 YouXuan Life — the supervisor's report page (/reports). Its entry point: log in, learn
 * the desk's names and date, then fetch and draw the period's figures. Plain ES modules, no build
 * step; the charts are Apache ECharts, served with the app (staff/static/vendor/echarts).
 *
 * Server contract (supervisor and admin tokens; anyone else is told the page is for them):
 *   POST /api/agent/login -> {token, agent}  (token in sessionStorage, shared with /console, /kb)
 *   GET  /api/agent/desk (today on the desk's clock, queue names), /api/agent/agents, /api/kb/topics,
 *        /api/kb/entries (FAQ questions, for entries named by id)
 *   GET  /api/reports/summary|daily ?from&to[&queue][&agent]      the tiles, the charts by day
 *   GET  /api/reports/queues|agents ?from&to                       the tables
 *   GET  /api/reports/conversations ?metric&from&to[&queue][&agent][&day]&limit&offset   drill-down
 *   GET  /api/reports/export ?view=daily|queues|agents&format=csv|xlsx&from&to            downloads
 *   GET  /api/quality/scores ?from&to    review scores by agent and week (404: the panel hides)
 *   GET  /conversations/{sender_id}      a transcript, with the staff token
 *
 * The modules: period.js (the filters), kpis.js (the tiles), trend.js (the charts by day),
 * breakdown.js (reasons, topics, SLA by queue, content), people.js (queues, agents, quality),
 * drill.js (the conversations behind a figure), export.js; charts.js wraps ECharts, labels.js
 * names codes and formats figures, state.js holds what they share.
 *
 * Element ids and classes tests may rely on:
 *   login     #login-view #username #password #login #login-error
 *   header    #app #me-name #me-role[data-role] #logout
 *             #role-note (shown to agents and kb editors instead of the report)
 *   filters   #filters #period-today|7d|30d|month|custom (radios) #from #to (dates)
 *             #filter-queue #filter-agent #period-label #filter-error
 *   report    #report[data-state=loading|ready|error][data-period="from..to"] #load-error
 *             #kpis .kpi[data-kpi][data-value] (button.kpi[data-metric] drills) .kpi-value .kpi-sub
 *             charts (.chart, ECharts on canvas): #chart-volume #chart-rates #chart-csat
 *             #chart-reasons #chart-topics #chart-sla #chart-quality (in #quality-panel)
 *             #daily-rows #queue-rows tr[data-queue] #agent-rows tr[data-agent]
 *             #top-topics #top-unanswered #handoff-entries
 *             .export[data-view=daily|queues|agents][data-format=csv|xlsx] #export-status
 *   drill     #drill (dialog) #drill-title #drill-scope #drill-total #drill-pair #drill-rows
 *             tr.conversation[data-id][data-ticket] .view a.console-link
 *             #drill-pager #drill-prev #drill-next #drill-page #drill-close
 *             #drill-transcript-view #transcript li.line.customer|.bot|.agent|.system #drill-back
 */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $ } from "../common/dom.js";
import { showMe, startLogin } from "../common/login.js";
import { parseDate } from "../common/time.js";
import { renderBreakdowns } from "./breakdown.js";
import { disposeAll } from "./charts.js";
import { bindDrill, closeDrill } from "./drill.js";
import { bindExport } from "./export.js";
import { renderKpis } from "./kpis.js";
import { deskDay } from "./labels.js";
import { bindFilters, fillChoices, readHash, showFilters } from "./period.js";
import { loadQuality, renderAgents, renderQueues } from "./people.js";
import { query, state } from "./state.js";
import { renderTrend } from "./trend.js";

var REPORT_ROLES = ["supervisor", "admin"];

function get(path) {
  return api("GET", path).then(function (r) {
    if (!r.ok || !r.body) throw new Error(errorText(r));
    return r.body;
  }, function () { throw new Error(NETWORK_ERROR); });
}

function setState(value) {
  var report = $("report");
  report.setAttribute("data-state", value);
  report.setAttribute("aria-busy", value === "loading" ? "true" : "false");
}

/** Fetch the period's figures and draw them; an answer for filters since changed is dropped. */
function loadFigures() {
  var generation = ++state.loading;
  var f = state.filters;
  setState("loading");
  $("load-error").hidden = true;
  var parts = [
    get("/api/reports/summary?" + query(false)).then(function (body) { return ["summary", body]; }),
    get("/api/reports/daily?" + query(false)).then(function (body) { return ["daily", body.days || []]; }),
    get("/api/reports/queues?" + query(true)).then(function (body) { return ["queueRows", body.queues || []]; }),
    get("/api/reports/agents?" + query(true)).then(function (body) { return ["agentRows", body.agents || []]; })
  ];
  loadQuality(generation);
  Promise.all(parts).then(function (answers) {
    if (generation !== state.loading) return;
    answers.forEach(function (a) { state[a[0]] = a[1]; });
    renderKpis();
    renderTrend();
    renderBreakdowns();
    renderQueues();
    renderAgents();
    $("report").setAttribute("data-period", f.from + ".." + f.to);
    setState("ready");
  }).catch(function (e) {
    if (generation !== state.loading) return;
    $("load-error").textContent = "报表加载失败 / The report did not load: " + e.message;
    $("load-error").hidden = false;
    setState("error");
  });
}

/** The desk's date and the names of queues, agents and topics; none of them is needed to draw. */
function loadNames() {
  var desk = get("/api/agent/desk").then(function (body) {
    if (body.time_zone) state.zone = body.time_zone;
    var now = parseDate(body.now);
    state.today = now ? deskDay(now) : null;
    state.queues = {};
    state.queueOrder = [];
    (body.queues || []).forEach(function (q) {
      state.queues[q.id] = q;
      state.queueOrder.push(q.id);
    });
  });
  var agents = get("/api/agent/agents").then(function (list) {
    state.agents = list.filter(function (a) { return a.role !== "kb_editor"; });
  });
  var topics = get("/api/kb/topics").then(function (body) {
    state.topics = {};
    (body.topics || []).forEach(function (t) { state.topics[t.name] = t.description; });
  });
  return Promise.all([desk.catch(function () {}), agents.catch(function () {}), topics.catch(function () {})]);
}

function enter(agent) {
  state.me = agent;
  $("login-view").hidden = true;
  $("app").hidden = false;
  showMe(agent);
  var allowed = REPORT_ROLES.indexOf(agent.role) >= 0;
  $("role-note").hidden = allowed;
  $("report").hidden = !allowed;
  if (!allowed) return;
  setState("loading");
  loadNames().then(function () {
    if (state.me !== agent) return;  // logged out meanwhile
    if (!state.today) state.today = deskDay(new Date());  // no desk clock: this browser's
    fillChoices();
    readHash();
    showFilters();
    loadFigures();
  });
}

function leave() {
  state.me = null;
  state.loading++;
  closeDrill();
  disposeAll();
  $("report").hidden = true;
  $("role-note").hidden = true;
}

bindFilters(loadFigures);
bindDrill();
bindExport();
startLogin({ enter: enter, leave: leave });
