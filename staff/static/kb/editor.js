/* The entry editor in the middle: the form for an entry (its live content or its pending draft),
 * a new entry, or a new entry made from an inbox cluster; and telling unsaved edits. */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { when } from "../common/time.js";
import { ask } from "./dialogs.js";
import { isChinese, lines, tagsOf } from "./format.js";
import { loadHistory } from "./history.js";
import { badges } from "./list.js";
import { failed } from "./notify.js";
import { state } from "./state.js";
import { showTab } from "./tabs.js";

var STATUS = { published: "已发布 Published", draft: "草稿 Draft", archived: "已归档 Archived" };
var FIELDS = ["f-id", "f-topic", "f-tags", "f-question-zh", "f-question-en", "f-answer-zh", "f-answer-en", "f-para-zh", "f-para-en"];

var baseline = "";  // the form as last loaded or saved, to tell unsaved edits

export function entryPath(id, rest) { return "/api/kb/entries/" + encodeURIComponent(id) + (rest || ""); }

export function readForm() {
  var current = state.current;
  return {
    topic: $("f-topic").value,
    tags: tagsOf($("f-tags").value),
    question: { zh: $("f-question-zh").value.trim(), en: $("f-question-en").value.trim() },
    answer: { zh: $("f-answer-zh").value.trim(), en: $("f-answer-en").value.trim() },
    paraphrases: { zh: lines($("f-para-zh").value), en: lines($("f-para-en").value) },
    action: state.mode === "edit" && current ? (state.showingLive || !current.draft ? current.action : current.draft.action) || null : null
  };
}

function fillForm(content, id) {
  $("f-id").value = id || "";
  if (content.topic && !Array.prototype.some.call($("f-topic").options, function (o) { return o.value === content.topic; })) {
    $("f-topic").appendChild(new Option(content.topic, content.topic));  // a topic the list does not know
  }
  $("f-topic").value = content.topic || "";
  $("f-tags").value = (content.tags || []).join(", ");
  $("f-action").value = content.action || "";
  var q = content.question || {}, a = content.answer || {}, p = content.paraphrases || {};
  $("f-question-zh").value = q.zh || "";
  $("f-question-en").value = q.en || "";
  $("f-answer-zh").value = a.zh || "";
  $("f-answer-en").value = a.en || "";
  $("f-para-zh").value = (p.zh || []).join("\n");
  $("f-para-en").value = (p.en || []).join("\n");
  countParaphrases();
  baseline = JSON.stringify(readForm());
  markDirty();
}

export function countParaphrases() {
  $("count-para-zh").textContent = lines($("f-para-zh").value).length + " 条";
  $("count-para-en").textContent = lines($("f-para-en").value).length + " 条";
}

export function isDirty() { return state.mode !== null && JSON.stringify(readForm()) !== baseline; }

export function markDirty() { $("dirty").hidden = !isDirty(); }

/** Unsaved edits are not lost by a click elsewhere: ask first. */
export function guardLeave() {
  if (!isDirty() || !state.canEdit) return Promise.resolve(true);
  return ask("放弃未保存的修改？ Discard unsaved changes?", "当前条目有尚未保存的修改。 The open entry has edits that are not saved.",
    [{ label: "放弃修改 Discard", value: "ok", cls: "danger" }, { label: "继续编辑 Keep editing", value: "cancel" }])
    .then(function (v) { return v === "ok"; });
}

function setEditable() {
  var canEdit = state.canEdit, busy = state.busy, mode = state.mode, current = state.current;
  var lockId = mode === "edit";
  FIELDS.forEach(function (id) { $(id).disabled = !canEdit || (id === "f-id" && lockId); });
  $("id-field").classList.toggle("locked", lockId);
  var hasDraft = mode === "edit" && current && !!current.draft;
  $("save-draft").disabled = !canEdit || busy;
  $("publish").disabled = !canEdit || busy;
  $("discard-draft").disabled = !canEdit || busy || !hasDraft;
  $("archive").disabled = !canEdit || busy || mode !== "edit" || current.status === "archived";
}

export function setBusy(value) {
  state.busy = value;
  $("editor").setAttribute("aria-busy", value ? "true" : "false");
  setEditable();
}

function showEditor() {
  var mode = state.mode, current = state.current;
  $("editor-empty").hidden = true;
  $("editor").hidden = false;
  $("editor").setAttribute("data-mode", mode);
  $("editor").setAttribute("data-id", mode === "edit" ? current.id : "");
  Array.prototype.forEach.call(document.querySelectorAll("#entries .entry"), function (li) {
    li.classList.toggle("selected", mode === "edit" && li.getAttribute("data-id") === current.id);
  });
  setEditable();
}

/** Open an entry (options.live: its live content even when a draft is pending; options.stay: refresh
 * it where it is, without switching to the Entries tab, e.g. under an import's report). */
export function openEntry(id, options) {
  var opts = options || {};
  return api("GET", entryPath(id)).then(function (r) {
    if (!r.ok || !r.body) { failed("打开条目 Open " + id, r); return; }
    state.mode = "edit";
    state.current = r.body;
    state.cluster = null;
    state.showingLive = !!opts.live;
    renderEntry();
    loadHistory(id);
    if (!opts.stay) showTab("entries");
  }, function () { failed("打开条目 Open " + id, null); });
}

export function renderEntry() {
  var e = state.current;
  var showingLive = state.showingLive;
  $("editor-title").textContent = e.question.zh;
  $("editor-sub").textContent = e.id + " · " + e.question.en + " · v" + e.version + " · " + (STATUS[e.status] || e.status) +
    " · 更新 updated " + when(e.updated_at);
  var box = $("editor-badges");
  clear(box);
  badges(e).forEach(function (b) { box.appendChild(b); });
  var note = $("draft-note");
  clear(note);
  note.hidden = !e.draft;
  if (e.draft) {
    note.appendChild(document.createTextNode(showingLive
      ? "显示的是线上版本 v" + e.version + "；另有一份未发布的草稿（" + (e.draft.by || "?") + " " + when(e.draft.at) + "）。 Showing the live version; a draft is pending. "
      : "正在编辑未发布的草稿（" + (e.draft.by || "?") + " " + when(e.draft.at) + "），机器人仍在回答已发布的 v" + e.version + "。 Editing the pending draft; the bot still answers the published version. "));
    var flip = el("button", "btn small", showingLive ? "显示草稿 Show draft" : "查看线上版本 Show live");
    flip.type = "button";
    flip.id = "flip-draft";
    flip.addEventListener("click", function () {
      guardLeave().then(function (go) { if (go) { state.showingLive = !state.showingLive; renderEntry(); } });
    });
    note.appendChild(flip);
  }
  $("cluster-note").hidden = true;
  fillForm(e.draft && !showingLive ? e.draft : e, e.id);
  showEditor();
}

/** A new entry; from an inbox cluster, its messages become the phrasings. */
export function startNew(fromCluster) {
  state.mode = fromCluster ? "cluster" : "new";
  state.current = null;
  state.cluster = fromCluster;
  state.showingLive = false;
  $("editor-title").textContent = fromCluster ? "从未解决问题新建 New entry from the inbox" : "新建条目 New entry";
  $("editor-sub").textContent = "保存后为草稿，发布后机器人才会回答 · Saved as a draft; the bot answers once published";
  clear($("editor-badges"));
  $("draft-note").hidden = true;
  var note = $("cluster-note");
  clear(note);
  note.hidden = !fromCluster;
  var content = { topic: "", tags: [], question: {}, answer: {}, paraphrases: { zh: [], en: [] } };
  if (fromCluster) {
    var texts = (fromCluster.examples || []).map(function (x) { return x.text; });
    note.appendChild(document.createTextNode("这组的 " + fromCluster.message_ids.length +
      " 条客户消息会作为问法加入（下面可再补充）。 The cluster's " + fromCluster.message_ids.length +
      " messages become this entry's phrasings; add more below. 例如 e.g.: "));
    note.appendChild(el("q", "", texts.slice(0, 3).join(" / ")));
    var topicCount = {};
    (fromCluster.examples || []).forEach(function (x) { if (x.topic) topicCount[x.topic] = (topicCount[x.topic] || 0) + 1; });
    var best = Object.keys(topicCount).sort(function (a, b) { return topicCount[b] - topicCount[a]; })[0];
    if (best && state.topics.some(function (t) { return t.name === best; })) content.topic = best;
    var label = fromCluster.label || texts[0] || "";
    if (isChinese(label)) content.question.zh = label; else content.question.en = label;
  }
  fillForm(content, "");
  loadHistory(null);
  showEditor();
  showTab("entries");
  $("f-id").focus();
}
