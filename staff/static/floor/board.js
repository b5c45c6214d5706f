/* The floor itself: the totals, a card per queue and per desk member, and the table of live chats,
 * drawn from GET /api/floor. Its clocks (oldest wait, time waited or served, first-response
 * countdowns) tick every second on the desk's clock; the numbers change on the socket's events. */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { formatSpan, formatTime, parseDate } from "../common/time.js";
import { labelText, PRESENCE, REASONS, ROLES, STATUS } from "./words.js";
import { deskNow, queueName, state } from "./state.js";

var TOTALS = ["waiting", "serving", "agents_online", "seats_free", "due_soon", "missed", "after_hours"];
var asked = 0;
var shown = 0;
var recheck = null;
var onPick = function () {};

/** What to do when a chat is picked in the table (the side panel opens it). */
export function onTicketPicked(handler) { onPick = handler; }

/** Fetch the snapshot and draw it; a response older than the one shown is dropped. */
export function loadFloor() {
  var seq = ++asked;
  var sent = Date.now();
  return api("GET", "/api/floor").then(function (r) {
    if (!r.ok || !r.body || seq < shown) return;
    shown = seq;
    var now = parseDate(r.body.now);
    if (now) state.clockOffset = now.getTime() - (sent + Date.now()) / 2;
    state.floor = r.body;
    render();
    scheduleRecheck(r.body.recheck_at);
  });
}

/** A ticket becomes "due soon" without any event: look again then. */
function scheduleRecheck(at) {
  if (recheck) { clearTimeout(recheck); recheck = null; }
  var when = parseDate(at);
  if (!when) return;
  var wait = Math.max(when.getTime() - deskNow(), 0) + 250;
  recheck = setTimeout(function () { recheck = null; loadFloor(); }, Math.min(wait, 2147483647));
}

export function forgetFloor() {
  if (recheck) { clearTimeout(recheck); recheck = null; }
  state.floor = null;
  clear($("queues"));
  clear($("agents"));
  clear($("live-rows"));
}

function render() {
  var f = state.floor;
  TOTALS.forEach(function (k) {
    var n = (f.totals && f.totals[k]) || 0;
    $("total-" + k).textContent = String(n);
    $("total-" + k).parentNode.classList.toggle("alert", (k === "due_soon" || k === "missed") && n > 0);
  });
  renderQueues(f.queues || []);
  renderAgents(f.agents || []);
  renderTickets(f.tickets || []);
  tickFloor();
}

function stat(zh, en, value, cls) {
  var box = el("div", "stat " + cls);
  box.appendChild(el("span", "stat-n", value));
  var label = el("span", "stat-label", zh);
  label.appendChild(el("span", "en", en));
  box.appendChild(label);
  return box;
}

function renderQueues(queues) {
  var grid = $("queues");
  clear(grid);
  queues.forEach(function (q) {
    var card = el("article", "queue-card");
    card.setAttribute("data-queue", q.id);
    var risky = q.due_soon + q.missed;
    if (q.missed) card.classList.add("missed");
    else if (q.due_soon) card.classList.add("due-soon");
    var head = el("header", "card-head");
    head.appendChild(el("h3", "card-title", q.name_zh));
    head.appendChild(el("span", "en", q.name_en));
    card.appendChild(head);

    var nums = el("div", "stats");
    nums.appendChild(stat("排队", "Waiting", String(q.waiting), "q-waiting"));
    var oldest = stat("最久等待", "Oldest wait", "—", "q-oldest");
    oldest.querySelector(".stat-n").setAttribute("data-since", q.oldest_since || "");
    nums.appendChild(oldest);
    nums.appendChild(stat("服务中", "Serving", String(q.serving), "q-serving"));
    card.appendChild(nums);

    var risk = el("p", "q-risk" + (risky ? " on" : ""));
    risk.setAttribute("data-count", String(risky));
    if (risky) {
      if (q.missed) risk.appendChild(el("span", "risk-missed", "首响超时 " + q.missed + " missed"));
      if (q.due_soon) risk.appendChild(el("span", "risk-soon", "即将超时 " + q.due_soon + " due soon"));
      var ids = (q.first_response_due || []).map(function (d) { return "#" + d.ticket_id; }).join(" ");
      risk.title = "首次响应 " + q.first_response_minutes + " 分钟内 · First response within " +
        q.first_response_minutes + " min: " + ids;
    } else {
      risk.appendChild(el("span", null, "首响正常 · On time"));
    }
    card.appendChild(risk);
    card.appendChild(el("p", "q-people", "在线 Online " + q.agents_online + " · 空闲席位 Free seats " + q.seats_free));
    grid.appendChild(card);
  });
}

function renderAgents(agents) {
  var grid = $("agents");
  clear(grid);
  $("agents-empty").hidden = agents.length > 0;
  agents.forEach(function (a) {
    var card = el("article", "agent-card");
    card.setAttribute("data-id", String(a.id));
    card.setAttribute("data-presence", a.presence);
    var full = a.open_chats >= a.max_chats;
    if (full) card.classList.add("full");
    var head = el("header", "card-head");
    var dot = el("span", "dot");
    dot.setAttribute("data-presence", a.presence);
    dot.title = PRESENCE[a.presence] || a.presence;
    head.appendChild(dot);
    head.appendChild(el("h3", "card-title", a.name));
    head.appendChild(el("span", "presence-text", PRESENCE[a.presence] || a.presence));
    card.appendChild(head);

    var load = el("div", "load");
    load.appendChild(el("span", "chats", a.open_chats + "/" + a.max_chats));
    load.appendChild(el("span", "load-label", "会话 chats"));
    var bar = el("span", "load-bar");
    var fill = el("span", "load-fill");
    fill.style.width = Math.round(100 * Math.min(a.open_chats / Math.max(a.max_chats, 1), 1)) + "%";
    bar.appendChild(fill);
    load.appendChild(bar);
    card.appendChild(load);

    var skills = (a.skills || []).map(function (s) { return queueName(s).split(" ")[0]; }).join(" · ");
    var meta = el("p", "agent-meta", (ROLES[a.role] || a.role) + (skills ? " · " + skills : ""));
    meta.title = "技能 Skills: " + (a.skills || []).map(queueName).join(", ");
    card.appendChild(meta);
    var seen = parseDate(a.last_seen);
    if (seen) card.appendChild(el("p", "agent-seen", "最近登录 Last login " + formatTime(seen)));
    grid.appendChild(card);
  });
}

function labelChips(labels) {
  var wrap = el("span", "badges");
  (labels || []).forEach(function (l) {
    wrap.appendChild(el("span", "badge label-" + String(l).replace(/[^a-z0-9_-]/gi, ""), labelText(l, queueName)));
  });
  return wrap;
}

function cell(row, label, content) {
  var td = el("td");
  td.setAttribute("data-label", label);
  if (content instanceof Node) td.appendChild(content);
  else td.textContent = content === null || content === undefined ? "" : String(content);
  row.appendChild(td);
  return td;
}

function renderTickets(tickets) {
  var body = $("live-rows");
  clear(body);
  $("live-count").textContent = String(tickets.length);
  $("live-empty").hidden = tickets.length > 0;
  $("live").hidden = tickets.length === 0;
  tickets.forEach(function (t) {
    var row = el("tr", "live-row");
    row.setAttribute("data-id", String(t.id));
    row.setAttribute("data-status", t.status);
    row.setAttribute("data-queue", t.queue);
    if (t.risk) row.setAttribute("data-risk", t.risk);
    if (t.id === state.openId) row.classList.add("selected");
    row.tabIndex = 0;
    row.setAttribute("aria-label", "打开 #" + t.id + " Open ticket " + t.id);

    var id = el("span", "live-id", "#" + t.id);
    var first = el("div", "live-ticket");
    first.appendChild(id);
    if (t.priority > 0) first.appendChild(el("span", "prio", "P" + t.priority));
    first.appendChild(labelChips(t.labels));
    cell(row, "工单 Ticket", first);

    var who = el("div", "live-customer");
    who.appendChild(el("span", "live-name", t.customer || t.sender_id));
    who.appendChild(el("span", "live-said", (t.summary || "").replace(/^客户说：/, "") || REASONS[t.reason] || ""));
    cell(row, "客户 Customer", who);
    cell(row, "队列 Queue", queueName(t.queue));
    var status = STATUS[t.status] || t.status;
    if (t.status === "queued" && t.position) status += " · 第 " + t.position + " 位";
    cell(row, "状态 Status", status).className = "live-status";
    cell(row, "客服 Agent", t.agent_name || "—").className = "live-agent";

    var clock = el("span", "clock");
    clock.setAttribute("data-since", t.status === "assigned" ? (t.assigned_at || t.created_at) : t.created_at);
    clock.setAttribute("data-label", t.status === "assigned" ? "服务" : "等待");
    clock.title = t.status === "assigned" ? "接入后 Served for" : "自转人工起 Waited since the handoff";
    cell(row, "时长 Time", clock);

    var due = el("span", "countdown");
    due.setAttribute("data-due", t.first_response_due || "");
    if (t.first_response_at) due.setAttribute("data-met", t.first_response_at);
    if (t.sla_breached) due.setAttribute("data-breached", "true");
    cell(row, "首次响应 First response", due);

    row.addEventListener("click", function () { onPick(t.id); });
    row.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(t.id); }
    });
    body.appendChild(row);
  });
}

/** Mark the row of the chat open in the side panel. */
export function markSelected() {
  var rows = document.querySelectorAll("#live-rows .live-row");
  for (var i = 0; i < rows.length; i++) {
    rows[i].classList.toggle("selected", rows[i].getAttribute("data-id") === String(state.openId));
  }
}

function paintDue(node) {
  var due = parseDate(node.getAttribute("data-due"));
  var met = node.getAttribute("data-met");
  var breached = node.getAttribute("data-breached") === "true";
  var status;
  var text;
  if (met) {
    status = breached ? "breached" : "met";
    text = breached ? "首响超时 SLA missed" : "已首响 ✓ responded";
  } else if (!due) {
    status = "none";
    text = "";
  } else {
    var left = (due.getTime() - deskNow()) / 1000;
    var soon = ((state.floor && state.floor.at_risk_minutes) || 1) * 60;
    if (left < 0 || breached) { status = "overdue"; text = "超时 " + formatSpan(-left) + " overdue"; }
    else { status = left <= soon ? "soon" : "running"; text = "剩 " + formatSpan(left) + " left"; }
  }
  node.textContent = text;
  node.setAttribute("data-state", status);
  node.classList.toggle("overdue", status === "overdue" || status === "breached");
  node.classList.toggle("soon", status === "soon");
}

/** Every second: the queues' oldest waits, each chat's time, the first-response countdowns. */
export function tickFloor() {
  var now = deskNow();
  var i;
  var olds = document.querySelectorAll(".q-oldest .stat-n[data-since]");
  for (i = 0; i < olds.length; i++) {
    var since = parseDate(olds[i].getAttribute("data-since"));
    olds[i].textContent = since ? formatSpan((now - since.getTime()) / 1000) : "—";
  }
  var clocks = document.querySelectorAll("#live-rows .clock[data-since]");
  for (i = 0; i < clocks.length; i++) {
    var from = parseDate(clocks[i].getAttribute("data-since"));
    var label = clocks[i].getAttribute("data-label") || "";
    clocks[i].textContent = from ? label + " " + formatSpan((now - from.getTime()) / 1000) : "";
  }
  var dues = document.querySelectorAll("#live-rows .countdown[data-due]");
  for (i = 0; i < dues.length; i++) paintDue(dues[i]);
}
