/* Loading what the console shows. Nothing polls: the socket's events ask for a refetch of some
 * parts (refresh), and events arriving together are served by one round of requests. */

import { api, getToken } from "../common/api.js";
import { parseDate } from "../common/time.js";
import { closeTicket, renderTicket } from "./chat.js";
import { renderCanned, renderTransferAgents, renderTransferQueues } from "./composer.js";
import { flash } from "./flash.js";
import { renderMe } from "./presence.js";
import { renderLists } from "./queue.js";
import { state } from "./state.js";

var want = {};
var refreshTimer = null;
var refreshing = false;

// Responses may overtake each other: only ever apply one newer than what is shown.
var asked = { queue: 0, ticket: 0 };
var shown = { queue: 0, ticket: 0 };

function fresh(kind, seq) {
  if (seq < shown[kind]) return false;
  shown[kind] = seq;
  return true;
}

/** The desk's clock, hours and queues. */
export function loadDesk() {
  var sent = Date.now();
  return api("GET", "/api/agent/desk").then(function (r) {
    if (!r.ok || !r.body) return;
    var now = parseDate(r.body.now);
    // The desk's clock may be frozen (demos, tests) or skewed: count on it, not on ours.
    if (now) state.clockOffset = now.getTime() - (sent + Date.now()) / 2;
    state.queues = {};
    state.queueOrder = [];
    (r.body.queues || []).forEach(function (q) { state.queues[q.id] = q; state.queueOrder.push(q.id); });
    renderMe();
    renderTransferQueues();
  }, function () { /* the lists still work without names */ });
}

export function loadColleagues() {
  return api("GET", "/api/agent/agents").then(function (r) {
    if (!r.ok || !Array.isArray(r.body)) return;
    state.colleagues = r.body;
    renderTransferAgents();
  });
}

export function loadCanned() {
  return api("GET", "/api/agent/canned").then(function (r) {
    if (!r.ok || !Array.isArray(r.body)) return;
    state.canned = r.body;
    renderCanned();
  });
}

export function loadQueue() {
  var seq = ++asked.queue;
  return api("GET", "/api/agent/queue").then(function (r) {
    if (!r.ok || !r.body || !fresh("queue", seq)) return;
    var before = state.knownMine;
    state.waiting = r.body.waiting || [];
    state.waitingTotal = r.body.waiting_total || state.waiting.length;
    state.mine = r.body.mine || [];
    state.knownMine = {};
    state.mine.forEach(function (t) {
      state.knownMine[t.id] = true;
      if (before && !before[t.id] && !state.claimed[t.id]) {
        flash("#" + t.id + " 已转给你 / A colleague passed you chat #" + t.id, "info");
      }
      delete state.claimed[t.id];
    });
    renderLists();
  });
}

export function loadTicket(id) {
  var seq = ++asked.ticket;
  return api("GET", "/api/agent/tickets/" + id).then(function (r) {
    if (state.openId !== id) return; // the agent moved on meanwhile
    if (r.status === 404) { closeTicket(); flash("工单不存在 / No such ticket"); return; }
    if (!r.ok || !r.body || !fresh("ticket", seq)) return;
    state.ticket = r.body;
    renderTicket();
  });
}

/** Ask for a refetch of some parts: {queue, ticket, agents, desk}. */
export function refresh(parts) {
  for (var k in parts) if (parts[k]) want[k] = true;
  if (!refreshTimer && !refreshing) refreshTimer = setTimeout(runRefresh, 40);
}

function runRefresh() {
  refreshTimer = null;
  if (!getToken()) { want = {}; return; }
  var parts = want;
  want = {};
  refreshing = true;
  var jobs = [];
  if (parts.queue) jobs.push(loadQueue());
  if (parts.ticket && state.openId !== null) jobs.push(loadTicket(state.openId));
  if (parts.agents) jobs.push(loadColleagues());
  if (parts.desk) jobs.push(loadDesk());
  var settle = function () {
    refreshing = false;
    for (var k in want) if (want[k]) { refreshTimer = setTimeout(runRefresh, 40); return; }
  };
  Promise.all(jobs.map(function (j) { return j.catch(function () {}); })).then(settle, settle);
}
