/* The period's figures broken down: why the bot handed over (by reason and by topic), first-response
 * SLA by queue, and what customers asked about (top topics, questions the bot could not answer,
 * FAQ entries after which customers still wanted a person). */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { draw, nameAxis, nothing, valueAxis } from "./charts.js";
import { openDrill } from "./drill.js";
import { count, percent, queueName, reasonName, topicName } from "./labels.js";
import { state } from "./state.js";

var SHOWN = 10;  // bars in a breakdown; the rest are summed as "other"
var OTHER = "(other)";  // no code has brackets

/** {code: n} as [[code, n]], largest first; past the first SHOWN, one "other" bar. */
function ranked(counts) {
  var pairs = Object.keys(counts || {}).map(function (k) { return [k, counts[k]]; })
    .filter(function (pair) { return pair[1] > 0; })
    .sort(function (a, b) { return b[1] - a[1]; });
  if (pairs.length <= SHOWN) return pairs;
  var rest = pairs.slice(SHOWN - 1).reduce(function (n, pair) { return n + pair[1]; }, 0);
  return pairs.slice(0, SHOWN - 1).concat([[OTHER, rest]]);
}

function naming(name) {
  return function (code) { return code === OTHER ? "其他 Other" : name(code); };
}

function bars(id, pairs, name, color) {
  if (!pairs.length) { nothing(id); return; }
  draw(id, {
    legend: false,
    grid: { top: 8 },
    tooltip: { trigger: "item" },
    xAxis: valueAxis(""),
    yAxis: nameAxis(pairs.map(function (p) { return name(p[0]); })),
    series: [{
      type: "bar",
      name: "转人工 Handoffs",
      data: pairs.map(function (p) { return p[1]; }),
      itemStyle: { color: color, borderRadius: [0, 4, 4, 0] },
      barMaxWidth: 18,
      cursor: "default",  // nothing to drill: the list API takes no reason or topic
      label: { show: true, position: "right", fontSize: 11 }
    }]
  });
}

function renderSla(byQueue) {
  var ids = state.queueOrder.filter(function (q) { return byQueue[q]; });
  Object.keys(byQueue).forEach(function (q) { if (ids.indexOf(q) < 0) ids.push(q); });
  ids = ids.filter(function (q) { return byQueue[q].tickets > 0; });
  if (!ids.length) { nothing("chart-sla"); return; }
  draw("chart-sla", {
    legend: false,
    grid: { top: 16 },
    tooltip: {
      trigger: "item",
      formatter: function (p) {
        var row = byQueue[ids[p.dataIndex]];
        return p.name + "\n首响达标 SLA met: " + row.met + " / " + row.tickets + " (" + (p.value === null ? "—" : p.value + "%") + ")";
      }
    },
    xAxis: {
      type: "category",
      data: ids.map(function (q) { return queueName(q).replace(" ", "\n"); }),  // zh over en: fits a phone
      axisLabel: { fontSize: 11, interval: 0, lineHeight: 14 }
    },
    yAxis: valueAxis("%", 0, 100),
    series: [{
      type: "bar",
      name: "首响达标率 SLA",
      data: ids.map(function (q) { return percent(byQueue[q].rate); }),
      barMaxWidth: 40,
      itemStyle: { color: "#0f766e", borderRadius: [4, 4, 0, 0] },
      label: {
        show: true, position: "top", fontSize: 11,
        formatter: function (p) { return p.value === null ? "—" : p.value + "%"; }
      }
    }]
  }, {
    onPick: function (params) {
      var queue = ids[params.dataIndex];
      if (queue) openDrill({ metric: "sla_missed", queue: queue });
    }
  });
}

/** A ranked list: each item its name and count; `more` adds to an item (a link, a hint). */
function list(id, items, name, more) {
  var ol = $(id);
  clear(ol);
  items.forEach(function (item) {
    var li = el("li");
    var label = el("span", "item-name", name(item));
    li.appendChild(label);
    if (more) more(li, item);
    li.appendChild(el("span", "item-count", count(item.count)));
    ol.appendChild(li);
  });
  $(id + "-empty").hidden = items.length > 0;
}

function entryName(id) {
  var e = state.entries && state.entries[id];
  return e ? e.zh + (e.en ? " · " + e.en : "") : id;
}

/** The FAQ entries' questions, fetched once when the list first names some. */
function loadEntries() {
  if (state.entries) return Promise.resolve();
  return api("GET", "/api/kb/entries").then(function (r) {
    if (!r.ok || !r.body) return;
    state.entries = {};
    (r.body.entries || []).forEach(function (e) {
      state.entries[e.id] = { zh: (e.question && e.question.zh) || e.id, en: (e.question && e.question.en) || "" };
    });
  }, function () { /* the ids are shown instead */ });
}

function renderContent(content) {
  list("top-topics", content.top_topics || [], function (t) { return topicName(t.topic); });
  list("top-unanswered", content.top_unanswered || [], function (t) { return t.text; });
  var entries = content.entries_leading_to_handoff || [];
  function show() {
    list("handoff-entries", entries, function (e) { return entryName(e.entry_id); }, function (li, e) {
      li.appendChild(el("code", "entry-id", e.entry_id));
    });
  }
  show();
  if (entries.length && !state.entries) loadEntries().then(show);
}

export function renderBreakdowns() {
  var s = state.summary;
  bars("chart-reasons", ranked(s.bot.handoffs_by_reason), naming(reasonName), "#d97706");
  bars("chart-topics", ranked(s.bot.handoffs_by_topic), naming(topicName), "#2563eb");
  renderSla(s.people.sla_by_queue || {});
  renderContent(s.content || {});
}
