/* The chat view in the middle: the open ticket's title, who may act on it, and its transcript
 * (messages, private notes, a supervisor's whispers and what happened to the ticket, in time
 * order). */

import { remember } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { formatTime, parseDate } from "../common/time.js";
import { renderAssist } from "./assist.js";
import { renderCanned, renderStaged, renderTransferQueues } from "./composer.js";
import { renderContext } from "./context.js";
import { loadTicket } from "./desk.js";
import { AUTHORS, colleagueName, queueName, REASONS, STATUS, topicName } from "./labels.js";
import { renderLists } from "./queue.js";
import { OPEN_KEY, state } from "./state.js";

var rendered = [];       // keys of the transcript items on screen, in order
var shownQueue = null;   // the queue the canned and transfer lists were built for

/** Show a ticket (force: refetch even when it is the one open). */
export function openTicket(id, force) {
  if (state.openId === id && !force) return;
  if (state.openId !== id) {
    if (state.openId !== null) {
      state.drafts[state.openId] = { reply: $("reply-input").value, note: $("note-input").value, files: state.files };
    }
    var draft = state.drafts[id] || { reply: "", note: "", files: [] };
    delete state.drafts[id];
    state.openId = id;
    state.ticket = null;
    rendered = [];
    shownQueue = null;
    remember(OPEN_KEY, id);
    clear($("transcript"));
    $("reply-input").value = draft.reply;
    $("note-input").value = draft.note;
    state.files = draft.files || [];
    renderStaged();
  }
  $("chat-empty").hidden = true;
  $("chat-view").hidden = false;
  markSelected();
  loadTicket(id);
  // On a phone the panes stack: bring the chat into view when it is opened from the list.
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches && !force) {
    $("chat-view").scrollIntoView({ block: "start" });
  }
}

export function closeTicket() {
  state.openId = null;
  state.ticket = null;
  rendered = [];
  shownQueue = null;
  state.files = [];
  renderStaged();
  remember(OPEN_KEY, null);
  clear($("transcript"));
  $("chat-view").hidden = true;
  $("chat-empty").hidden = false;
  $("context-body").hidden = true;
  $("context-empty").hidden = false;
  markSelected();
}

function markSelected() {
  var items = document.querySelectorAll(".tickets .ticket");
  for (var i = 0; i < items.length; i++) {
    items[i].classList.toggle("selected", items[i].getAttribute("data-id") === String(state.openId));
  }
}

/** The open ticket is assigned to this agent: they may reply, transfer, resolve. */
export function ownedByMe() {
  var ticket = state.ticket;
  var me = state.me;
  return !!(ticket && me && ticket.status === "assigned" && ticket.agent_id === me.id);
}

export function renderTicket() {
  var ticket = state.ticket;
  if (!ticket) return;
  if (state.unread[ticket.conversation_id]) {
    delete state.unread[ticket.conversation_id];
    renderLists();
  }
  var customer = (ticket.context && ticket.context.customer) || null;
  var who = customer && customer.name ? customer.name : ticket.sender_id;
  $("ticket-title").textContent = "#" + ticket.id + " · " + who;
  $("ticket-sub").textContent = [
    queueName(ticket.queue),
    STATUS[ticket.status] || ticket.status,
    REASONS[ticket.reason] || ticket.reason,
    ticket.language === "en" ? "English" : "中文"
  ].join(" · ");

  var mineNow = ownedByMe();
  ["reply-input", "canned"].forEach(function (id) { $(id).disabled = !mineNow; });
  ["send-reply", "attach-reply", "resolve", "handback", "transfer-queue", "transfer-agent"].forEach(function (id) {
    $(id).disabled = !mineNow || state.busy;
  });
  renderReadonly(mineNow);
  renderAssist(mineNow);
  $("reply-lang").textContent = "快捷回复将插入" + (ticket.language === "en" ? "英文 · English" : "中文 · Chinese");
  if (shownQueue !== ticket.queue) {
    // Rebuilt only when the queue changes, so an open dropdown survives live refetches.
    shownQueue = ticket.queue;
    renderCanned();
    renderTransferQueues();
  }
  renderTranscript();
  renderContext();
}

function renderReadonly(mineNow) {
  var ticket = state.ticket;
  var box = $("readonly");
  var claim = $("claim-open");
  if (mineNow) { box.hidden = true; return; }
  var text;
  var s = ticket.status;
  if (s === "queued" || s === "offline") text = "排队中，尚未接入 · Waiting: claim it to reply";
  else if (s === "assigned") text = "由 " + colleagueName(ticket.agent_id) + " 处理中 · Handled by a colleague (read-only)";
  else if (s === "resolved") text = "已解决 · Resolved" + (ticket.csat ? " · 客户评分 " + ticket.csat + "/5" : "");
  else if (s === "handed_back") text = "已交回机器人 · Handed back to the bot";
  else text = STATUS[s] || s;
  $("readonly-text").textContent = text;
  box.setAttribute("data-status", s);
  claim.hidden = !(s === "queued" || s === "offline");
  box.hidden = false;
}

/** Messages, private notes and what happened to the ticket, in time order, each with a stable key. */
function transcriptItems() {
  var ticket = state.ticket;
  var items = (ticket.messages || []).map(function (m) {
    return { key: "m" + m.id, at: parseDate(m.created_at), message: m };
  });
  (ticket.events || []).forEach(function (e, i) {
    if (e.kind === "queued") return; // the bot's own line already says so
    var at = parseDate(e.at);
    var item = { key: "e" + i, at: at, event: e };
    if (e.kind === "note") item = { key: "e" + i, at: at, note: e };
    if (e.kind === "whisper") item = { key: "e" + i, at: at, whisper: e };
    var pos = items.length;
    for (var j = 0; j < items.length; j++) {
      if (at && items[j].at && items[j].at > at) { pos = j; break; }
    }
    items.splice(pos, 0, item);
  });
  return items;
}

/** One line for a desk event on the ticket (claimed, transferred …). */
function eventText(e) {
  var who = e.agent_id ? colleagueName(e.agent_id) : "";
  var d = e.data || {};
  switch (e.kind) {
    case "claimed": return who + " 接入 · claimed";
    case "transferred":
      if (d.to_agent) return who + " 转给 " + colleagueName(d.to_agent) + " · transferred";
      return who + " 转到队列 " + queueName(d.to_queue) + " · transferred";
    case "taken_over": return who + " 接管了会话（原 " + colleagueName(d.from_agent) + "）· taken over by a supervisor";
    case "overflow": return "等待过久，从 " + queueName(d.from) + " 溢出到综合 · overflowed";
    case "sla_breached": return "首次响应超时 · first response SLA missed";
    case "resolved": return who + " 已解决 · resolved";
    case "handed_back": return who + " 交回机器人 · handed back";
    case "offline": return "非工作时间留言 · left after hours";
    case "escalated":
      if (d.label === "major_complaint") return "客户等待中扬言投诉/曝光，升级到主管 · escalated to a supervisor";
      return "客户等待中情绪激动，优先级提高 · moved up: the customer got angry while waiting";
    case "rerouted": return "客户说明了问题，从 " + queueName(d.from_queue) + " 改派 · rerouted";
    default: return (who ? who + " · " : "") + e.kind;
  }
}

/** Append what is new; redraw only when earlier items changed. Stays at the bottom if it was there. */
function renderTranscript() {
  var box = $("transcript");
  var scroller = $("transcript-scroller");
  var stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120 || !rendered.length;
  var items = transcriptItems();
  var keys = items.map(function (i) { return i.key; });
  var prefix = rendered.length <= keys.length;
  for (var i = 0; prefix && i < rendered.length; i++) if (rendered[i] !== keys[i]) prefix = false;
  if (!prefix) { clear(box); rendered = []; }
  for (var k = rendered.length; k < items.length; k++) box.appendChild(renderItem(items[k]));
  rendered = keys;
  if (stick) scroller.scrollTop = scroller.scrollHeight;
}

function safeUrl(value) {
  return typeof value === "string" && /^(https?:\/\/|\/(?!\/))/i.test(value) ? value : null;
}

/** A message's files: a photo's thumbnail opens the whole photo in a new tab; a PDF is a link. */
export function renderAttachments(list) {
  if (!Array.isArray(list) || !list.length) return null;
  var box = el("div", "attachments");
  list.forEach(function (a) {
    var url = a && safeUrl(a.url);
    if (!url) return;
    var link = el("a", a.thumbnail_url ? "photo" : "file");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    var thumb = safeUrl(a.thumbnail_url);
    if (thumb) {
      var img = el("img", "photo-thumb");
      img.addEventListener("load", function () { // it grew the transcript: stay at the bottom if we were
        var scroller = $("transcript-scroller");
        var below = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
        if (below - img.offsetHeight < 120) scroller.scrollTop = scroller.scrollHeight;
      });
      img.src = thumb;
      img.alt = a.name ? String(a.name) : "图片 Photo";
      img.loading = "lazy";
      link.title = "查看原图 · Open the full photo";
      link.appendChild(img);
    } else {
      link.textContent = "📄 " + (a.name || "PDF");
    }
    box.appendChild(link);
  });
  return box.childNodes.length ? box : null;
}

function renderItem(item) {
  if (item.event) {
    var line = el("div", "msg event");
    line.setAttribute("data-kind", item.event.kind);
    line.appendChild(el("span", "event-text", eventText(item.event)));
    line.appendChild(el("time", "time", formatTime(item.at)));
    return line;
  }
  if (item.whisper) {
    var w = item.whisper;
    var to = w.data && w.data.to_agent_id;
    var box = el("div", "msg whisper");
    var top = el("div", "meta");
    top.appendChild(el("span", "who", "主管悄悄话 · " + colleagueName(w.agent_id) + (to ? " → " + colleagueName(to) : "")));
    top.appendChild(el("span", "private", "仅你可见，客户看不到 · whisper, not sent to the customer"));
    top.appendChild(el("time", "time", formatTime(item.at)));
    box.appendChild(top);
    box.appendChild(el("div", "bubble", (w.data && w.data.text) || ""));
    return box;
  }
  if (item.note) {
    var n = item.note;
    var row = el("div", "msg note");
    var head = el("div", "meta");
    head.appendChild(el("span", "who", "内部备注 · " + colleagueName(n.agent_id)));
    head.appendChild(el("span", "private", "客户看不到 · not sent to the customer"));
    head.appendChild(el("time", "time", formatTime(item.at)));
    row.appendChild(head);
    row.appendChild(el("div", "bubble", (n.data && n.data.text) || ""));
    return row;
  }
  var m = item.message;
  var author = ["customer", "bot", "agent", "system"].indexOf(m.author) >= 0 ? m.author : "bot";
  var msg = el("div", "msg " + author);
  msg.setAttribute("data-id", String(m.id));
  var meta = el("div", "meta");
  var name = AUTHORS[author];
  if (author === "agent") name += " " + ((m.custom && m.custom.agent_name) || "");
  meta.appendChild(el("span", "who", name));
  meta.appendChild(el("time", "time", formatTime(item.at)));
  msg.appendChild(meta);
  var files = renderAttachments(m.custom && m.custom.attachments);
  if (m.text || !files) msg.appendChild(el("div", "bubble", m.text || ""));
  if (files) msg.appendChild(files);
  if (Array.isArray(m.buttons) && m.buttons.length) {
    var chips = el("div", "chips");
    m.buttons.forEach(function (b) { chips.appendChild(el("span", "chip", b && (b.title || b.payload))); });
    msg.appendChild(chips);
  }
  if (author === "customer") {
    var nlu = el("div", "nlu");
    if (m.topic) nlu.appendChild(el("span", "topic", topicName(m.topic)));
    if (m.confidence !== null && m.confidence !== undefined) {
      nlu.appendChild(el("span", "confidence", "置信度 " + Math.round(m.confidence * 100) + "%"));
    }
    var anger = m.parse && m.parse.sentiment ? m.parse.sentiment.anger : null;
    if (typeof anger === "number" && anger > 0) {
      nlu.appendChild(el("span", "anger-val" + (anger >= 0.5 ? " high" : ""), "怒气 " + anger.toFixed(2)));
    }
    if (nlu.childNodes.length) msg.appendChild(nlu);
  }
  return msg;
}
