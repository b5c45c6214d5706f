/* The entry list on the left: search, the topic/tag/language/status filters, and the entries. */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { guardLeave, openEntry, startNew } from "./editor.js";
import { failed } from "./notify.js";
import { state } from "./state.js";

var SEARCH_DELAY_MS = 250;

var listed = [];   // what the list shows now
var listSeq = 0;

export function loadTopics() {
  return api("GET", "/api/kb/topics").then(function (r) {
    if (!r.ok || !r.body) { failed("读取主题 Topics", r); return; }
    state.topics = r.body.topics || [];
    var filter = $("filter-topic");
    var select = $("f-topic");
    state.topics.forEach(function (t) {
      var label = t.name + (t.description ? " · " + t.description : "");
      filter.appendChild(new Option(label, t.name));
      select.appendChild(new Option(label, t.name));
    });
  }, function () { failed("读取主题 Topics", null); });
}

/** Every live entry once, for the tag filter and the entry picker; refreshed after writes. */
export function loadAll() {
  return api("GET", "/api/kb/entries").then(function (r) {
    if (!r.ok || !r.body) return;
    state.allEntries = r.body.entries || [];
    var tags = {};
    state.allEntries.forEach(function (e) { (e.tags || []).forEach(function (t) { tags[t] = true; }); });
    var select = $("filter-tag");
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    Object.keys(tags).sort().forEach(function (t) { select.appendChild(new Option(t, t)); });
    select.value = tags[chosen] ? chosen : "";
  }, function () { /* the list itself reports the failure */ });
}

function query() {
  var params = new URLSearchParams();
  var q = $("search").value.trim();
  if (q) params.set("q", q);
  [["topic", "filter-topic"], ["tag", "filter-tag"], ["lang", "filter-lang"], ["status", "filter-status"]].forEach(function (p) {
    if ($(p[1]).value) params.set(p[0], $(p[1]).value);
  });
  var s = params.toString();
  return "/api/kb/entries" + (s ? "?" + s : "");
}

export function loadList() {
  var seq = ++listSeq;
  var q = $("search").value.trim();
  return api("GET", query()).then(function (r) {
    if (seq !== listSeq) return;  // a newer search is on its way
    if (!r.ok || !r.body) { failed("读取条目 Entries", r); return; }
    listed = r.body.entries || [];
    renderList(r.body.total);
    $("entries").setAttribute("data-q", q);  // the search this list answers (tests wait on it)
  }, function () { failed("读取条目 Entries", null); });
}

/** An entry's status badges: draft, archived, a pending draft, an intent. */
export function badges(summary) {
  var out = [];
  if (summary.status === "draft") out.push(el("span", "badge status-draft", "草稿 draft"));
  if (summary.status === "archived") out.push(el("span", "badge status-archived", "已归档 archived"));
  if (summary.has_draft) out.push(el("span", "badge pending", "待发布修改 pending draft"));
  if (summary.kind === "intent") out.push(el("span", "badge kind-intent", "意图 intent"));
  return out;
}

function renderList(total) {
  var list = $("entries");
  clear(list);
  var drafts = 0, pending = 0, archived = 0;
  listed.forEach(function (e) {
    if (e.status === "draft") drafts++;
    if (e.status === "archived") archived++;
    if (e.has_draft) pending++;
    var li = el("li", "entry");
    li.setAttribute("data-id", e.id);
    if (state.current && state.current.id === e.id) li.classList.add("selected");
    var open = el("button", "entry-open");
    open.type = "button";
    open.appendChild(el("span", "q-zh", e.question.zh));
    open.appendChild(el("span", "q-en en", e.question.en));
    var meta = el("span", "entry-meta");
    meta.appendChild(el("span", "entry-id", e.id));
    meta.appendChild(el("span", "entry-topic", e.topic));
    meta.appendChild(el("span", "entry-version", "v" + e.version));
    badges(e).forEach(function (b) { meta.appendChild(b); });
    open.appendChild(meta);
    open.addEventListener("click", function () { guardLeave().then(function (go) { if (go) openEntry(e.id); }); });
    li.appendChild(open);
    list.appendChild(li);
  });
  var parts = ["共 " + (total === undefined ? listed.length : total) + " 条 entries"];
  if (drafts) parts.push("草稿 " + drafts + " draft");
  if (pending) parts.push("待发布 " + pending + " pending");
  if (archived) parts.push("归档 " + archived + " archived");
  $("entry-counts").textContent = parts.join(" · ");
  $("entries-empty").hidden = listed.length > 0;
}

export function bindList() {
  var timer = null;
  $("search").addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(loadList, SEARCH_DELAY_MS);
  });
  $("search-form").addEventListener("submit", function (e) { e.preventDefault(); loadList(); });
  ["filter-topic", "filter-tag", "filter-lang", "filter-status"].forEach(function (id) {
    $(id).addEventListener("change", loadList);
  });
  $("new-entry").addEventListener("click", function () {
    guardLeave().then(function (go) { if (go) startNew(null); });
  });
}
