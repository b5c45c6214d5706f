/* Acting on the open ticket: the reply box and its canned replies, private notes, transferring to
 * a queue or a colleague, resolving and handing back (each confirmed first). */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $, el } from "../common/dom.js";
import { ownedByMe, renderTicket } from "./chat.js";
import { refresh } from "./desk.js";
import { flash } from "./flash.js";
import { colleagueName, PRESENCE, queueName } from "./labels.js";
import { claimTicket } from "./queue.js";
import { state } from "./state.js";

var TEXT = {
  confirmResolve: "确认已解决？客户会收到评分邀请。\nResolve this chat? The customer is asked for a rating.",
  confirmHandback: "交回机器人继续服务？（不邀请评分）\nHand the customer back to the bot? (no rating)",
  noteAdded: "备注已添加（客户看不到） / Note added (not sent to the customer)"
};

/** #canned: the open ticket's queue's replies first, the other queues' in a group. */
export function renderCanned() {
  var select = $("canned");
  var queue = state.ticket ? state.ticket.queue : null;
  var queues = state.queues;
  while (select.options.length > 1) select.remove(1);
  var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));
  groups.forEach(function (g) { select.removeChild(g); });
  var fits = state.canned.filter(function (c) { return !c.queue || c.queue === queue; });
  var others = state.canned.filter(function (c) { return c.queue && c.queue !== queue; });
  var add = function (parent, c) {
    var o = el("option", null, c.title + (c.queue ? " · " + (queues[c.queue] ? queues[c.queue].name_zh : c.queue) : ""));
    o.value = String(c.id);
    parent.appendChild(o);
  };
  fits.forEach(function (c) { add(select, c); });
  if (others.length) {
    var g = el("optgroup");
    g.label = "其他队列 Other queues";
    others.forEach(function (c) { add(g, c); });
    select.appendChild(g);
  }
  select.value = "";
}

/** The chosen canned reply, in the customer's language, goes in at the caret. */
function insertCanned() {
  var select = $("canned");
  var id = select.value;
  select.value = "";
  var c = null;
  for (var i = 0; i < state.canned.length; i++) if (String(state.canned[i].id) === id) c = state.canned[i];
  if (!c) return;
  var text = state.ticket && state.ticket.language === "en" ? c.en : c.zh;
  var box = $("reply-input");
  var v = box.value;
  var start = typeof box.selectionStart === "number" ? box.selectionStart : v.length;
  var end = typeof box.selectionEnd === "number" ? box.selectionEnd : v.length;
  if (document.activeElement !== box) { start = end = v.length; }
  var before = v.slice(0, start);
  var sep = before && !/\s$/.test(before) ? " " : "";
  box.value = before + sep + text + v.slice(end);
  var caret = (before + sep + text).length;
  box.focus();
  box.setSelectionRange(caret, caret);
}

export function renderTransferQueues() {
  var select = $("transfer-queue");
  while (select.options.length > 1) select.remove(1);
  state.queueOrder.forEach(function (id) {
    var current = state.ticket && state.ticket.queue === id;
    var o = el("option", null, queueName(id) + (current ? "（当前 current）" : ""));
    o.value = id;
    select.appendChild(o);
  });
  select.value = "";
}

export function renderTransferAgents() {
  var select = $("transfer-agent");
  var me = state.me;
  while (select.options.length > 1) select.remove(1);
  state.colleagues.forEach(function (a) {
    if (me && a.id === me.id) return;
    var skills = (a.skills || []).map(function (s) { return state.queues[s] ? state.queues[s].name_zh : s; }).join("/");
    var o = el("option", null, a.display_name + "（" + (PRESENCE[a.presence] || a.presence) + "）" + (skills ? " · " + skills : ""));
    o.value = String(a.id);
    o.disabled = a.presence === "offline";
    select.appendChild(o);
  });
  select.value = "";
}

/** POST an action on the open ticket; refetches afterwards either way. */
function act(path, body, ok) {
  if (!state.ticket || state.busy) return Promise.resolve(false);
  var id = state.ticket.id;
  state.busy = true;
  renderTicket();
  return api("POST", "/api/agent/tickets/" + id + "/" + path, body).then(function (r) {
    state.busy = false;
    if (!r.ok && r.status !== 401) flash(errorText(r));
    if (r.ok && ok) ok(r);
    refresh({ queue: true, ticket: true });
    if (state.ticket) renderTicket();
    return r.ok;
  }, function () {
    state.busy = false;
    if (state.ticket) renderTicket();
    flash(NETWORK_ERROR);
    return false;
  });
}

function sendReply() {
  var box = $("reply-input");
  var text = box.value.trim();
  if (!text || !ownedByMe() || state.busy) return;
  var id = state.ticket.id;
  box.value = ""; // cleared now, so the agent can type the next line while this one goes out
  act("reply", { text: text }).then(function (done) {
    if (done) { if (state.openId === id) box.focus(); return; }
    if (state.openId === id) box.value = box.value.trim() ? text + "\n" + box.value : text; // nothing lost
    else state.drafts[id] = { reply: text, note: (state.drafts[id] || {}).note || "" };
  });
}

function addNote() {
  var box = $("note-input");
  var text = box.value.trim();
  if (!text || !state.ticket) return;
  var id = state.ticket.id;
  var restore = function () { if (state.openId === id && !box.value.trim()) box.value = text; };
  box.value = "";
  $("add-note").disabled = true;
  api("POST", "/api/agent/tickets/" + id + "/notes", { text: text }).then(function (r) {
    $("add-note").disabled = false;
    if (!r.ok) { restore(); if (r.status !== 401) flash(errorText(r)); return; }
    flash(TEXT.noteAdded, "info");
    if (state.openId === id) refresh({ ticket: true });
  }, function () { $("add-note").disabled = false; restore(); flash(NETWORK_ERROR); });
}

export function bindChat() {
  var composing = false;
  var box = $("reply-input");
  box.addEventListener("compositionstart", function () { composing = true; });
  box.addEventListener("compositionend", function () { setTimeout(function () { composing = false; }, 0); });
  box.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.keyCode === 229 || composing) return;
    if (e.shiftKey || e.altKey) return; // newline
    e.preventDefault();
    sendReply();
  });
  $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  $("note-form").addEventListener("submit", function (e) { e.preventDefault(); addNote(); });
  $("canned").addEventListener("change", insertCanned);

  $("resolve").addEventListener("click", function () {
    if (ownedByMe() && window.confirm(TEXT.confirmResolve)) act("resolve");
  });
  $("handback").addEventListener("click", function () {
    if (ownedByMe() && window.confirm(TEXT.confirmHandback)) act("handback");
  });
  $("transfer-queue").addEventListener("change", function () {
    var q = $("transfer-queue").value;
    $("transfer-queue").value = "";
    if (!q || !ownedByMe()) return;
    if (window.confirm("转接到「" + queueName(q) + "」队列？客户无需重复描述。\nTransfer to the " + queueName(q) + " queue?")) {
      act("transfer", { queue: q }, function () { flash("已转接 / Transferred: " + queueName(q), "info"); });
    }
  });
  $("transfer-agent").addEventListener("change", function () {
    var v = $("transfer-agent").value;
    $("transfer-agent").value = "";
    if (!v || !ownedByMe()) return;
    var id = Number(v);
    var name = colleagueName(id);
    if (window.confirm("转给同事 " + name + "？\nTransfer this chat to " + name + "?")) {
      act("transfer", { agent_id: id }, function () { flash("已转给 / Transferred to " + name, "info"); });
    }
  });
  $("claim-open").addEventListener("click", function () {
    if (state.ticket) claimTicket(state.ticket.id, $("claim-open"));
  });
}
