/* The filters: the period (today, last 7 or 30 days, this month, or custom dates, counted on the
 * desk's clock), the queue and the agent. They live in the address's #fragment too, so a reload
 * or a shared link shows the same report. */

import { $, el } from "../common/dom.js";
import { queueName } from "./labels.js";
import { state } from "./state.js";

var PRESETS = ["today", "7d", "30d", "month", "custom"];
var DAY = 86400000;
var MAX_DAYS = 366;  // the report API's limit (reports/period.py)

function parseDay(s) {
  var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s || ""));
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : null;
}

function dayOf(ms) { return new Date(ms).toISOString().slice(0, 10); }

export function addDays(day, n) { return dayOf(parseDay(day) + n * DAY); }

/** Days from `from` to `to`, both counted. */
export function daysBetween(from, to) { return Math.round((parseDay(to) - parseDay(from)) / DAY) + 1; }

/** The dates a preset covers on the desk's calendar. */
export function presetRange(preset, today) {
  if (preset === "today") return { from: today, to: today };
  if (preset === "7d") return { from: addDays(today, -6), to: today };
  if (preset === "month") return { from: today.slice(0, 8) + "01", to: today };
  return { from: addDays(today, -29), to: today };
}

/** Read the filters from the address (#period=7d or #from=…&to=…, &queue=…&agent=…). */
export function readHash() {
  var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  var f = state.filters;
  var from = params.get("from");
  var to = params.get("to");
  if (parseDay(from) !== null && parseDay(to) !== null) {
    f.period = "custom";
    f.from = from;
    f.to = to;
  } else {
    f.period = PRESETS.indexOf(params.get("period")) >= 0 && params.get("period") !== "custom" ? params.get("period") : "30d";
    var range = presetRange(f.period, state.today);
    f.from = range.from;
    f.to = range.to;
  }
  f.queue = params.get("queue") || "";
  f.agent = params.get("agent") || "";
}

function writeHash() {
  var f = state.filters;
  var params = new URLSearchParams();
  if (f.period === "custom") { params.set("from", f.from); params.set("to", f.to); } else params.set("period", f.period);
  if (f.queue) params.set("queue", f.queue);
  if (f.agent) params.set("agent", f.agent);
  window.history.replaceState(null, "", "#" + params.toString());
}

/** Show the filters as they are (after reading the address or choosing). */
export function showFilters() {
  var f = state.filters;
  PRESETS.forEach(function (p) { $("period-" + p).checked = f.period === p; });
  $("from").value = f.from;
  $("to").value = f.to;
  $("from").max = state.today;
  $("to").max = state.today;
  $("filter-queue").value = f.queue;
  $("filter-agent").value = f.agent;
  f.queue = $("filter-queue").value;  // one the desk does not know (an old link) is dropped
  f.agent = $("filter-agent").value;
  $("scope-note").hidden = !f.queue && !f.agent;
  var days = daysBetween(f.from, f.to);
  $("period-label").textContent = f.from + " – " + f.to + " · " + days + " 天 days";
}

/** The queue and agent choices, from the desk's queues and the staff who work chats. */
export function fillChoices() {
  var queues = $("filter-queue");
  queues.length = 1;
  state.queueOrder.forEach(function (id) {
    var option = el("option", "", queueName(id));
    option.value = id;
    queues.appendChild(option);
  });
  var agents = $("filter-agent");
  agents.length = 1;
  state.agents.forEach(function (a) {
    var option = el("option", "", a.display_name + " (" + a.username + ")");
    option.value = String(a.id);
    agents.appendChild(option);
  });
}

/** Wire the filter form; `changed()` is called once the filters are valid and new. */
export function bindFilters(changed) {
  var error = $("filter-error");
  function apply() {
    var f = state.filters;
    if (f.period !== "custom") {
      var range = presetRange(f.period, state.today);
      f.from = range.from;
      f.to = range.to;
    }
    if (!f.from || !f.to || f.from > f.to) {
      error.textContent = "开始日期不能晚于结束日期 / The start date must not be after the end date";
      error.hidden = false;
      return;
    }
    if (daysBetween(f.from, f.to) > MAX_DAYS) {
      error.textContent = "报表最多覆盖 " + MAX_DAYS + " 天 / A report covers at most " + MAX_DAYS + " days";
      error.hidden = false;
      return;
    }
    error.hidden = true;
    writeHash();
    showFilters();
    changed();
  }
  PRESETS.forEach(function (p) {
    $("period-" + p).addEventListener("change", function () {
      state.filters.period = p;
      if (p === "custom") { $("from").focus(); return; }  // the dates shown stay until changed
      apply();
    });
  });
  ["from", "to"].forEach(function (id) {
    $(id).addEventListener("change", function () {
      if (!$(id).value) return;  // half-typed: wait for a whole date
      state.filters.period = "custom";
      state.filters.from = $("from").value;
      state.filters.to = $("to").value;
      apply();
    });
  });
  $("filter-queue").addEventListener("change", function () { state.filters.queue = $("filter-queue").value; apply(); });
  $("filter-agent").addEventListener("change", function () { state.filters.agent = $("filter-agent").value; apply(); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); apply(); });
}
