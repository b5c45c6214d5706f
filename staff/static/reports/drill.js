/* The drill-down: the conversations behind a figure (a tile, a day, a queue, an agent), a page at a
 * time, in a modal dialog; each opens in the console (its ticket) or here (its transcript, read
 * with the staff token from GET /conversations/{sender_id}). */

import { api, errorText, NETWORK_ERROR, remember } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { deskTime, METRICS, metricName, queueName, stateName, topicName } from "./labels.js";
import { agentName, query, state } from "./state.js";

var PAGE = 20;
var CONSOLE_OPEN_KEY = "triage_agent_open";  // the console reopens this ticket (staff/static/console/state.js)
var AUTHORS = { customer: "客户 Customer", bot: "机器人 Bot", agent: "客服 Agent", system: "系统 System" };

var current = null;   // {metric, day, queue, agent, offset}
var asked = 0;        // the latest request: an older answer is dropped
var opener = null;    // focused before the dialog opened; focused again after
var viewed = null;    // the transcript button last used: focused again back on the list

function scopeText(p) {
  var parts = [p.day ? p.day : state.filters.from + " – " + state.filters.to];
  if (p.queue) parts.push("队列 Queue: " + queueName(p.queue));
  if (p.agent) parts.push("客服 Agent: " + agentName(p.agent));
  return parts.join(" · ");
}

/** List the conversations behind `params.metric`; day, queue and agent narrow it (the page's
 * queue and agent filters unless given). */
export function openDrill(params) {
  current = {
    metric: params.metric,
    day: params.day || "",
    queue: params.queue !== undefined ? params.queue : state.filters.queue,
    agent: params.agent !== undefined ? params.agent : state.filters.agent,
    offset: 0
  };
  var dialog = $("drill");
  if (!dialog.open) {
    opener = document.activeElement;
    dialog.showModal();
  }
  showList();
  load();
}

function showList() {
  $("drill-list-view").hidden = false;
  $("drill-transcript-view").hidden = true;
  $("drill-title").textContent = metricName(current.metric);
  $("drill-scope").textContent = scopeText(current);
  var pair = METRICS[current.metric] && METRICS[current.metric].pair;
  var button = $("drill-pair");
  button.hidden = !pair;
  if (pair) {
    button.textContent = "改看 Switch to: " + metricName(pair);
    button.setAttribute("data-metric", pair);
  }
}

function load() {
  var mine = ++asked;
  var p = current;
  $("drill-rows").setAttribute("aria-busy", "true");
  $("drill-error").hidden = true;
  var path = "/api/reports/conversations?" + query(true, {
    metric: p.metric, day: p.day, queue: p.queue, agent: p.agent, limit: PAGE, offset: p.offset
  });
  api("GET", path).then(function (r) {
    if (mine !== asked) return;
    $("drill-rows").removeAttribute("aria-busy");
    if (!r.ok || !r.body) { failed(errorText(r)); return; }
    render(r.body);
  }, function () {
    if (mine === asked) failed(NETWORK_ERROR);
  });
}

function failed(message) {
  $("drill-rows").removeAttribute("aria-busy");
  clear($("drill-rows"));
  $("drill-error").textContent = message;
  $("drill-error").hidden = false;
  $("drill-total").textContent = "";
  $("drill-pager").hidden = true;
}

function render(body) {
  var rows = $("drill-rows");
  clear(rows);
  var list = body.conversations || [];
  list.forEach(function (c) { rows.appendChild(rowOf(c)); });
  var total = body.total || 0;
  $("drill-total").textContent = "共 " + total + " 个会话 · " + total + " conversations";
  $("drill-empty").hidden = list.length > 0;
  var pages = Math.max(1, Math.ceil(total / PAGE));
  var page = Math.floor(current.offset / PAGE) + 1;
  $("drill-pager").hidden = pages <= 1;
  $("drill-page").textContent = page + " / " + pages;
  $("drill-prev").disabled = current.offset <= 0;
  $("drill-next").disabled = current.offset + PAGE >= total;
}

function rowOf(c) {
  var tr = el("tr", "conversation");
  tr.setAttribute("data-id", c.conversation_id);
  if (c.ticket_id) tr.setAttribute("data-ticket", String(c.ticket_id));
  tr.appendChild(el("td", "nowrap", deskTime(c.started_at)));
  tr.appendChild(el("td", "", topicName(c.topic)));
  tr.appendChild(el("td", "", c.queue ? queueName(c.queue) : "—"));
  tr.appendChild(el("td", "", c.agent || "—"));
  tr.appendChild(el("td", "", stateName(c.state)));
  var actions = el("td", "actions");
  var view = el("button", "btn small view", "记录 Transcript");
  view.type = "button";
  view.addEventListener("click", function () { viewed = view; openTranscript(c); });
  actions.appendChild(view);
  if (c.ticket_id) {
    var link = el("a", "btn small console-link", "工单 #" + c.ticket_id);
    link.href = "/console#ticket=" + c.ticket_id;
    link.title = "在客服工作台打开 / Open in the agent console";
    // The console reopens the ticket it last showed; until it reads #ticket=, tell it that way.
    link.addEventListener("click", function () { remember(CONSOLE_OPEN_KEY, c.ticket_id); });
    actions.appendChild(link);
  }
  tr.appendChild(actions);
  return tr;
}

function openTranscript(c) {
  $("drill-list-view").hidden = true;
  $("drill-transcript-view").hidden = false;
  $("transcript-title").textContent = deskTime(c.started_at) + " · " + topicName(c.topic) + (c.ticket_id ? " · #" + c.ticket_id : "");
  var box = $("transcript");
  clear(box);
  box.setAttribute("aria-busy", "true");
  $("transcript-error").hidden = true;
  $("drill-back").focus();
  var mine = ++asked;
  api("GET", "/conversations/" + encodeURIComponent(c.sender_id)).then(function (r) {
    if (mine !== asked) return;
    box.removeAttribute("aria-busy");
    if (!r.ok || !r.body) { $("transcript-error").textContent = errorText(r); $("transcript-error").hidden = false; return; }
    (r.body.messages || []).forEach(function (m) {
      var li = el("li", "line " + (m.author || "system"));
      var head = el("span", "who", (AUTHORS[m.author] || m.author || "") + " · " + deskTime(m.created_at));
      li.appendChild(head);
      var files = m.custom && m.custom.attachments ? m.custom.attachments.length : 0;
      li.appendChild(el("span", "said", (m.text || "") + (files ? " [附件 " + files + " attachment(s)]" : "")));
      box.appendChild(li);
    });
    if (!box.firstChild) box.appendChild(el("li", "empty", "没有消息 No messages"));
  }, function () {
    if (mine !== asked) return;
    box.removeAttribute("aria-busy");
    $("transcript-error").textContent = NETWORK_ERROR;
    $("transcript-error").hidden = false;
  });
}

export function closeDrill() {
  if ($("drill").open) $("drill").close();
}

export function bindDrill() {
  $("drill-close").addEventListener("click", closeDrill);
  $("drill").addEventListener("close", function () {
    asked++;
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
  $("drill-pair").addEventListener("click", function () {
    current.metric = $("drill-pair").getAttribute("data-metric");
    current.offset = 0;
    showList();
    load();
  });
  $("drill-prev").addEventListener("click", function () { current.offset = Math.max(0, current.offset - PAGE); load(); });
  $("drill-next").addEventListener("click", function () { current.offset += PAGE; load(); });
  $("drill-back").addEventListener("click", function () {
    asked++;  // the transcript still on its way is not wanted
    showList();  // the page of conversations is still there
    if (viewed && document.contains(viewed)) viewed.focus();
  });
}
