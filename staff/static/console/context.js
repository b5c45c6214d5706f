/* The context panel on the right: the handoff summary, the first-response SLA, who the customer
 * is, what the bot looked up and understood, and how angry each turn was. */

import { $, clear, el } from "../common/dom.js";
import { formatTime, parseDate } from "../common/time.js";
import { paintCountdown } from "./clocks.js";
import { colleagueName, fieldName, LOOKUP_KINDS, queueName, reasonText, STATUS, topicName, valueText } from "./labels.js";
import { badges } from "./queue.js";
import { state } from "./state.js";

function kv(dl, label, value) {
  if (value === undefined || value === null || value === "") return;
  dl.appendChild(el("dt", null, label));
  var dd = el("dd");
  if (value instanceof Node) dd.appendChild(value);
  else dd.textContent = valueText(value);
  dl.appendChild(dd);
}

export function renderContext() {
  var ticket = state.ticket;
  var ctx = ticket.context || {};
  $("context-empty").hidden = true;
  $("context-body").hidden = false;
  $("summary").textContent = ticket.summary || "（无摘要 No summary）";

  var facts = $("facts");
  clear(facts);
  kv(facts, "原因 Reason", reasonText(ticket.reason));
  kv(facts, "队列 Queue", queueName(ticket.queue) + (ctx.overflowed_from ? "（由 " + queueName(ctx.overflowed_from) + " 溢出）" : ""));
  kv(facts, "优先级 Priority", String(ticket.priority));
  if (ticket.labels && ticket.labels.length) kv(facts, "标签 Labels", badges(ticket.labels));
  kv(facts, "状态 Status", STATUS[ticket.status] || ticket.status);
  kv(facts, "渠道 Channel", valueText(ctx.channel));
  kv(facts, "语言 Language", ticket.language === "en" ? "English" : "中文 (" + (ticket.language || "zh") + ")");
  kv(facts, "会话 Sender", ticket.sender_id);
  kv(facts, "接待 Agent", ticket.agent_id ? colleagueName(ticket.agent_id) : null);
  kv(facts, "评分 CSAT", ticket.csat ? ticket.csat + "/5" : null);

  var cust = $("customer");
  clear(cust);
  var c = ctx.customer;
  if (c) {
    kv(cust, "姓名 Name", c.name);
    kv(cust, "等级 Tier", c.tier);
    kv(cust, "类型 Kind", c.kind === "shipper" ? "商家 Shipper" : c.kind === "buyer" ? "买家 Buyer" : c.kind);
    kv(cust, "电话 Phone", c.phone);
    kv(cust, "编号 ID", c.external_id);
  } else {
    cust.appendChild(el("dd", "muted", "未验证身份 · Not verified"));
  }

  var lookup = $("lookup");
  clear(lookup);
  var found = ctx.lookup && typeof ctx.lookup === "object" ? ctx.lookup : {};
  var kinds = Object.keys(found);
  kinds.forEach(function (kind) {
    var card = el("div", "lookup-card");
    card.setAttribute("data-kind", kind);
    card.appendChild(el("h4", null, LOOKUP_KINDS[kind] || kind));
    var dl = el("dl", "kv");
    var data = found[kind];
    if (data && typeof data === "object" && !Array.isArray(data)) {
      Object.keys(data).forEach(function (k) { kv(dl, fieldName(k), data[k]); });
    } else {
      kv(dl, kind, data);
    }
    card.appendChild(dl);
    lookup.appendChild(card);
  });
  if (!kinds.length) lookup.appendChild(el("p", "muted", "无 · Nothing looked up"));

  var slots = $("slots");
  clear(slots);
  var s = ctx.slots || {};
  var names = Object.keys(s).filter(function (k) { return k !== "lookup"; });
  names.forEach(function (k) { kv(slots, fieldName(k), s[k]); });
  if (!names.length) slots.appendChild(el("dd", "muted", "无 · None"));

  // Every customer turn so far, including those after the handoff (the context is a snapshot).
  var turns = customerTurns();
  renderAnger(turns.length ? turns.map(function (t) { return t.anger || 0; }) : ctx.anger_history || []);
  renderTurns(turns.length ? turns : ctx.turns || []);
  paintSla();
}

/** The customer's turns from the live transcript, with what the bot understood of each. */
function customerTurns() {
  return (state.ticket.messages || []).filter(function (m) {
    return m.author === "customer" && m.parse;
  }).map(function (m) {
    var sentiment = m.parse.sentiment || {};
    return { text: m.text, topic: m.topic, confidence: m.confidence, anger: sentiment.anger };
  });
}

function renderAnger(history) {
  var box = $("anger");
  clear(box);
  if (!history.length) { box.appendChild(el("span", "muted", "无 · None")); return; }
  history.forEach(function (score, i) {
    var v = Math.max(0, Math.min(1, Number(score) || 0));
    var bar = el("span", "bar " + (v >= 0.6 ? "high" : v >= 0.3 ? "mid" : "low"));
    bar.style.height = Math.max(6, Math.round(v * 100)) + "%";
    bar.title = "第 " + (i + 1) + " 句 turn " + (i + 1) + ": " + v.toFixed(2);
    box.appendChild(bar);
  });
  var last = Number(history[history.length - 1]) || 0;
  box.appendChild(el("span", "spark-last", "最新 " + last.toFixed(2)));
  box.setAttribute("aria-label", "怒气 Anger: " + history.map(function (v) { return Number(v).toFixed(2); }).join(", "));
}

function renderTurns(turns) {
  var list = $("turns");
  clear(list);
  turns.forEach(function (t) {
    var li = el("li");
    li.appendChild(el("span", "turn-text", t.text));
    var info = el("span", "turn-info");
    info.appendChild(el("span", "topic", t.topic ? topicName(t.topic) : "—"));
    if (t.confidence !== null && t.confidence !== undefined) {
      var c = Number(t.confidence);
      info.appendChild(el("span", "confidence" + (c < 0.5 ? " low" : ""), Math.round(c * 100) + "%"));
    }
    li.appendChild(info);
    list.appendChild(li);
  });
  if (!turns.length) list.appendChild(el("li", "muted", "无 · None"));
}

/** The open ticket's first-response SLA (#sla[data-state]), on the desk's clock. */
export function paintSla() {
  var ticket = state.ticket;
  var box = $("sla");
  if (!ticket) { box.textContent = ""; box.setAttribute("data-state", "none"); return; }
  var closed = ticket.status === "resolved" || ticket.status === "handed_back";
  var first = box.firstChild;
  if (!first || first.nodeType !== 1 || !first.classList.contains("countdown")) {
    clear(box);
    box.appendChild(el("span", "countdown"));
    box.appendChild(el("span", "sla-due"));
  }
  var cd = box.firstChild;
  cd.setAttribute("data-due", ticket.first_response_due || "");
  if (ticket.sla_breached) cd.setAttribute("data-breached", "true"); else cd.removeAttribute("data-breached");
  if (ticket.first_response_at) cd.setAttribute("data-met", ticket.first_response_at); else cd.removeAttribute("data-met");
  paintCountdown(cd);
  var status = cd.getAttribute("data-state");
  var due = parseDate(ticket.first_response_due);
  box.lastChild.textContent = due ? "截止 due " + formatTime(new Date(due.getTime() - state.clockOffset)) : "";
  if (closed) {
    status = ticket.sla_breached ? "breached" : "closed";
    if (!ticket.first_response_at) cd.textContent = "已结束 closed";
  }
  box.setAttribute("data-state", status);
}
