/* Acting on the open ticket: the reply box and its canned replies, photos sent with a reply,
 * private notes, transferring to a queue or a colleague, resolving and handing back (each
 * confirmed first). */

import { api, bearer, errorText, NETWORK_ERROR, sessionExpired } from "../common/api.js";
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
  noteAdded: "备注已添加（客户看不到） / Note added (not sent to the customer)",
  tooBig: "文件太大，最大 10 MB / The file is too big (10 MB at most)",
  notAFile: "只能发送图片（JPG、PNG、WebP、GIF）或 PDF / Only photos (JPG, PNG, WebP, GIF) or PDFs",
  remove: "移除 · Remove"
};
var MAX_FILE_BYTES = 10 * 1024 * 1024;  // the server's default limit (TRIAGE_MEDIA_MAX_BYTES)
var MAX_FILES = 10;

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
  var files = state.files;
  if ((!text && !files.length) || !ownedByMe() || state.busy || state.uploading) return;
  var id = state.ticket.id;
  box.value = ""; // cleared now, so the agent can type the next line while this one goes out
  state.files = [];
  renderStaged();
  var attachments = files.map(function (f) { return { media_id: f.media_id, name: f.name }; });
  act("reply", { text: text, attachments: attachments }).then(function (done) {
    if (done) { if (state.openId === id) box.focus(); return; }
    if (state.openId === id) { // nothing lost
      box.value = box.value.trim() ? text + "\n" + box.value : text;
      state.files = files.concat(state.files);
      renderStaged();
    } else {
      var draft = state.drafts[id] || {};
      state.drafts[id] = { reply: text, note: draft.note || "", files: files.concat(draft.files || []) };
    }
  });
}

/** #reply-files: what goes with the next reply, each with a button to take it off. */
export function renderStaged() {
  var box = $("reply-files");
  while (box.firstChild) box.removeChild(box.firstChild);
  state.files.forEach(function (f, i) {
    var item = el("span", "staged");
    if (f.thumbnail_url) {
      var img = el("img", "staged-thumb");
      img.src = f.thumbnail_url;
      img.alt = f.name || "图片 Photo";
      item.appendChild(img);
    } else {
      item.appendChild(el("span", "staged-name", "📄 " + (f.name || "PDF")));
    }
    var remove = el("button", "remove", "×");
    remove.type = "button";
    remove.title = TEXT.remove;
    remove.setAttribute("aria-label", TEXT.remove + " " + (f.name || ""));
    remove.addEventListener("click", function () {
      state.files.splice(i, 1);
      renderStaged();
    });
    item.appendChild(remove);
    box.appendChild(item);
  });
  if (state.uploading) box.appendChild(el("span", "staged uploading", "上传中… Uploading…"));
  box.hidden = !state.files.length && !state.uploading;
}

function uploadError(r) {
  if (r.status === 413) return TEXT.tooBig;
  if (r.status === 400) return TEXT.notAFile + ((r.body && r.body.detail) ? "（" + r.body.detail + "）" : "");
  return errorText(r);
}

/** Upload a photo or PDF for the open ticket's next reply (POST /api/agent/media). */
function attachFile(file) {
  if (!file || !ownedByMe()) return;
  if (file.type && !/^image\//i.test(file.type) && file.type !== "application/pdf") { flash(TEXT.notAFile); return; }
  if (file.size > MAX_FILE_BYTES) { flash(TEXT.tooBig); return; }
  if (state.files.length + state.uploading >= MAX_FILES) return;
  var id = state.ticket.id;
  state.uploading++;
  renderStaged();
  var headers = Object.assign({ "Content-Type": file.type || "application/octet-stream", "Accept": "application/json" }, bearer());
  fetch("/api/agent/media", { method: "POST", headers: headers, body: file }).then(function (res) {
    return res.text().then(function (raw) {
      var body = null;
      try { body = raw ? JSON.parse(raw) : null; } catch (e) { body = null; }
      return { ok: res.ok, status: res.status, body: body };
    });
  }).then(function (r) {
    state.uploading--;
    if (r.status === 401) { sessionExpired(); return; }
    if (!r.ok || !r.body || !r.body.media_id) { renderStaged(); flash(uploadError(r)); return; }
    var kept = {
      media_id: r.body.media_id,
      content_type: r.body.content_type,
      thumbnail_url: r.body.thumbnail_url,
      name: String(file.name || "").slice(0, 200)
    };
    if (state.openId === id) state.files.push(kept);
    else (state.drafts[id] = state.drafts[id] || { reply: "", note: "", files: [] }).files.push(kept);
    renderStaged();
  }, function () {
    state.uploading--;
    renderStaged();
    flash(NETWORK_ERROR);
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
  $("attach-reply").addEventListener("click", function () { if (ownedByMe()) $("reply-file").click(); });
  $("reply-file").addEventListener("change", function () {
    var input = $("reply-file");
    var chosen = Array.prototype.slice.call(input.files || []);
    input.value = ""; // the same file may be chosen again
    chosen.forEach(attachFile);
  });
  box.addEventListener("paste", function (e) { // a pasted screenshot goes with the reply
    var data = e.clipboardData;
    if (!data || !data.files || !data.files.length || data.getData("text/plain")) return;
    e.preventDefault();
    Array.prototype.slice.call(data.files).forEach(attachFile);
  });
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
