/* The side panel: one live chat, read-only (GET /api/agent/tickets/{id}: a supervisor reads any
 * ticket without claiming it), with a whisper to the agent serving it and a take-over (confirmed
 * first). Its transcript follows the chat live: the socket asks for a refetch. */

import { api, errorText, NETWORK_ERROR, remember } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { formatTime, parseDate } from "../common/time.js";
import { loadFloor, markSelected } from "./board.js";
import { flash } from "../console/flash.js";
import { AUTHORS, REASONS, STATUS, TEXT } from "./words.js";
import { nameOf, OPEN_KEY, queueName, state } from "./state.js";

var asked = 0;
var shown = 0;
var rendered = [];  // keys of the transcript items on screen, in order

export function openTicket(id) {
  if (state.openId !== id) {
    state.openId = id;
    state.ticket = null;
    rendered = [];
    clear($("panel-transcript"));
    $("whisper-input").value = "";
    $("open-console").hidden = true;
  }
  $("panel").hidden = false;
  document.body.classList.add("panel-open");
  markSelected();
  return loadTicket();
}

export function closePanel() {
  state.openId = null;
  state.ticket = null;
  rendered = [];
  clear($("panel-transcript"));
  $("panel").hidden = true;
  document.body.classList.remove("panel-open");
  markSelected();
}

/** Refetch the open chat (after an event about it). */
export function loadTicket() {
  var id = state.openId;
  if (id === null) return Promise.resolve();
  var seq = ++asked;
  return api("GET", "/api/agent/tickets/" + id).then(function (r) {
    if (state.openId !== id || seq < shown) return;
    shown = seq;
    if (r.status === 404) { closePanel(); flash(TEXT.gone); return; }
    if (!r.ok || !r.body) return;
    state.ticket = r.body;
    renderPanel();
  });
}

function renderPanel() {
  var t = state.ticket;
  var customer = t.context && t.context.customer;
  $("panel-title").textContent = "#" + t.id + " · " + (customer && customer.name ? customer.name : t.sender_id);
  $("panel-sub").textContent = [
    queueName(t.queue),
    STATUS[t.status] || t.status,
    t.agent_id ? "客服 " + nameOf(t.agent_id) : null,
    REASONS[t.reason] || t.reason
  ].filter(Boolean).join(" · ");
  var served = t.status === "assigned" && t.agent_id;
  var mine = served && state.me && t.agent_id === state.me.id;
  var banner = $("panel-readonly");
  banner.setAttribute("data-status", t.status);
  if (mine) banner.textContent = TEXT.yours;
  else if (served) banner.textContent = TEXT.watching;
  else if (t.status === "queued" || t.status === "offline") banner.textContent = TEXT.nobodyYet;
  else banner.textContent = TEXT.closed;
  var canAct = !!served && !mine;
  $("whisper-input").disabled = !canAct;
  $("whisper-send").disabled = !canAct || state.busy;
  $("take-over").disabled = !canAct || state.busy;
  $("whisper-form").hidden = !canAct;
  $("take-over").hidden = !served || mine;
  $("open-console").hidden = !mine;
  renderTranscript();
}

/** Messages, notes, whispers and what happened to the ticket, in time order. */
function items() {
  var t = state.ticket;
  var list = (t.messages || []).map(function (m) {
    return { key: "m" + m.id, at: parseDate(m.created_at), message: m };
  });
  (t.events || []).forEach(function (e, i) {
    if (e.kind === "queued") return;
    var at = parseDate(e.at);
    var item = { key: "e" + i, at: at, event: e };
    var pos = list.length;
    for (var j = 0; j < list.length; j++) if (at && list[j].at && list[j].at > at) { pos = j; break; }
    list.splice(pos, 0, item);
  });
  return list;
}

function eventText(e) {
  var who = e.agent_id ? nameOf(e.agent_id) : "";
  var d = e.data || {};
  switch (e.kind) {
    case "claimed": return who + " 接入 · claimed";
    case "transferred":
      if (d.to_agent) return who + " 转给 " + nameOf(d.to_agent) + " · transferred";
      return who + " 转到队列 " + queueName(d.to_queue) + " · transferred";
    case "taken_over": return who + " 接管（原 " + nameOf(d.from_agent) + "）· taken over";
    case "overflow": return "等待过久，从 " + queueName(d.from) + " 溢出到综合 · overflowed";
    case "rerouted": return "客户说明了问题，从 " + queueName(d.from_queue) + " 改派 · rerouted";
    case "escalated": return "客户情绪升级，优先处理 · moved up";
    case "sla_breached": return "首次响应超时 · first response SLA missed";
    case "resolved": return who + " 已解决 · resolved";
    case "handed_back": return who + " 交回机器人 · handed back";
    case "offline": return "非工作时间留言 · left after hours";
    default: return (who ? who + " · " : "") + e.kind;
  }
}

function privateItem(className, who, tag, text, at) {
  var row = el("div", "msg " + className);
  var head = el("div", "meta");
  head.appendChild(el("span", "who", who));
  head.appendChild(el("span", "private", tag));
  head.appendChild(el("time", "time", formatTime(at)));
  row.appendChild(head);
  row.appendChild(el("div", "bubble", text || ""));
  return row;
}

function renderItem(item) {
  var e = item.event;
  if (e && e.kind === "note") {
    return privateItem("note", "内部备注 · " + nameOf(e.agent_id), "客户看不到 · not sent to the customer",
      e.data && e.data.text, item.at);
  }
  if (e && e.kind === "whisper") {
    var to = e.data && e.data.to_agent_id ? " → " + nameOf(e.data.to_agent_id) : "";
    return privateItem("whisper", "悄悄话 · " + nameOf(e.agent_id) + to, "仅客服可见 · only the agent sees it",
      e.data && e.data.text, item.at);
  }
  if (e) {
    var line = el("div", "msg event");
    line.setAttribute("data-kind", e.kind);
    line.appendChild(el("span", "event-text", eventText(e)));
    line.appendChild(el("time", "time", formatTime(item.at)));
    return line;
  }
  var m = item.message;
  var author = ["customer", "bot", "agent", "system"].indexOf(m.author) >= 0 ? m.author : "bot";
  var msg = el("div", "msg " + author);
  msg.setAttribute("data-id", String(m.id));
  var meta = el("div", "meta");
  var name = AUTHORS[author];
  if (author === "agent") name = "客服 " + ((m.custom && m.custom.agent_name) || "");
  meta.appendChild(el("span", "who", name));
  meta.appendChild(el("time", "time", formatTime(item.at)));
  msg.appendChild(meta);
  var files = (m.custom && m.custom.attachments) || [];
  msg.appendChild(el("div", "bubble", m.text || (files.length ? "📎 " + files.length + " 个文件 file(s)" : "")));
  return msg;
}

/** Append what is new; redraw when earlier items changed. Stays at the bottom if it was there. */
function renderTranscript() {
  var box = $("panel-transcript");
  var scroller = $("panel-scroller");
  var stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120 || !rendered.length;
  var list = items();
  var keys = list.map(function (i) { return i.key; });
  var prefix = rendered.length <= keys.length;
  for (var i = 0; prefix && i < rendered.length; i++) if (rendered[i] !== keys[i]) prefix = false;
  if (!prefix) { clear(box); rendered = []; }
  for (var k = rendered.length; k < list.length; k++) box.appendChild(renderItem(list[k]));
  rendered = keys;
  if (stick) scroller.scrollTop = scroller.scrollHeight;
}

function act(path, body) {
  var t = state.ticket;
  if (!t || state.busy) return Promise.resolve(null);
  state.busy = true;
  renderPanel();
  var done = function () { state.busy = false; if (state.ticket) renderPanel(); };
  return api("POST", "/api/floor/tickets/" + t.id + "/" + path, body).then(function (r) {
    done();
    if (!r.ok && r.status !== 401) flash(errorText(r));
    loadTicket();
    loadFloor();
    return r.ok ? r : null;
  }, function () { done(); flash(NETWORK_ERROR); return null; });
}

function sendWhisper() {
  var box = $("whisper-input");
  var text = box.value.trim();
  if (!text || !state.ticket) return;
  var to = nameOf(state.ticket.agent_id);
  box.value = "";
  act("whisper", { text: text }).then(function (r) {
    if (r) flash(TEXT.whispered + to, "info");
    else if (!box.value) box.value = text;  // nothing lost
  });
}

function takeOver() {
  var t = state.ticket;
  if (!t || !t.agent_id || !window.confirm(TEXT.confirmTakeOver(nameOf(t.agent_id)))) return;
  act("take-over").then(function (r) {
    if (!r) return;
    flash(TEXT.tookOver, "info");
    remember(OPEN_KEY, t.id);  // the console opens it on arrival
  });
}

export function bindPanel() {
  $("panel-close").addEventListener("click", closePanel);
  $("whisper-form").addEventListener("submit", function (e) { e.preventDefault(); sendWhisper(); });
  $("take-over").addEventListener("click", takeOver);
  $("open-console").addEventListener("click", function () {
    if (state.openId !== null) remember(OPEN_KEY, state.openId);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && state.openId !== null && !$("panel").hidden) closePanel();
  });
}
