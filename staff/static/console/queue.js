/* The two lists on the left, "my chats" (#mine) and the queue (#queue), and claiming a ticket. */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { openTicket } from "./chat.js";
import { paintCountdown, paintWaited } from "./clocks.js";
import { loadQueue, refresh } from "./desk.js";
import { flash } from "./flash.js";
import { labelText, queueName, REASONS, reasonText } from "./labels.js";
import { state } from "./state.js";

var TAKEN = "已被同事接入 / A colleague already took this chat";

/** A ticket's labels as .badge.label-<label> chips. */
export function badges(labels) {
  var wrap = el("span", "badges");
  (labels || []).forEach(function (l) {
    var b = el("span", "badge label-" + String(l).replace(/[^a-z0-9_-]/gi, ""), labelText(l));
    wrap.appendChild(b);
  });
  return wrap;
}

function countdown(t) {
  var span = el("span", "countdown");
  span.setAttribute("data-due", t.first_response_due || "");
  if (t.sla_breached) span.setAttribute("data-breached", "true");
  if (t.first_response_at) span.setAttribute("data-met", t.first_response_at);
  paintCountdown(span);
  return span;
}

function firstLine(text) {
  return String(text || "").split("\n")[0];
}

function ticketItem(t, kind) {
  var me = state.me;
  var li = el("li", "ticket");
  li.setAttribute("data-id", String(t.id));
  li.setAttribute("data-queue", t.queue);
  if (t.id === state.openId) li.classList.add("selected");
  if (kind === "mine" && state.unread[t.conversation_id]) li.classList.add("unread");
  if (t.priority > 0) li.classList.add("priority");

  // The whole card opens the ticket (a preview when it is still waiting); the button inside
  // gives keyboard users the same.
  var open = el("button", "ticket-open");
  open.type = "button";
  open.setAttribute("aria-label", "打开工单 Open ticket #" + t.id + " " + queueName(t.queue));
  var top = el("span", "ticket-top");
  top.appendChild(el("span", "ticket-id", "#" + t.id));
  top.appendChild(el("span", "queue-name", queueName(t.queue)));
  if (t.priority > 0) top.appendChild(el("span", "prio", "P" + t.priority));
  if (kind === "queue" && t.position) top.appendChild(el("span", "position", "第 " + t.position + " 位"));
  if (kind === "mine") top.appendChild(el("span", "unread-dot", "新消息 new"));
  open.appendChild(top);
  var labels = (t.labels || []).slice();
  if (kind === "queue" && me && t.offered_to === me.id) labels.unshift("offered");
  if (labels.length) open.appendChild(badges(labels));
  var said = firstLine(t.summary).replace(/^客户说：/, "");
  open.appendChild(el("span", "ticket-said", said || reasonText(t.reason)));
  open.appendChild(el("span", "ticket-reason", REASONS[t.reason] || t.reason));
  li.appendChild(open);

  var foot = el("div", "ticket-foot");
  var waited = el("span", "waited");
  waited.setAttribute("data-since", t.created_at || "");
  waited.setAttribute("data-label", kind === "queue" ? "等待" : "时长");
  paintWaited(waited);
  foot.appendChild(waited);
  foot.appendChild(countdown(t));
  if (kind === "queue" && me && me.presence !== "online") {
    foot.appendChild(el("span", "claim-off", "上线后可接入 Go online to claim"));
  } else if (kind === "queue") {
    var claim = el("button", "btn primary small claim", "接入 Claim");
    claim.type = "button";
    claim.setAttribute("data-id", String(t.id));
    claim.addEventListener("click", function (e) {
      e.stopPropagation();
      claimTicket(t.id, claim);
    });
    foot.appendChild(claim);
  }
  li.appendChild(foot);
  li.addEventListener("click", function () { openTicket(t.id); });
  return li;
}

/** Redraw a list, keeping keyboard focus on the same ticket's same control. */
function renderList(node, items, kind) {
  var focused = document.activeElement;
  var card = focused && node.contains(focused) && focused.closest ? focused.closest(".ticket") : null;
  var focusId = card ? card.getAttribute("data-id") : null;
  var focusClass = focused && focused.classList && focused.classList.contains("claim") ? ".claim" : ".ticket-open";
  var frag = document.createDocumentFragment();
  items.forEach(function (t) { frag.appendChild(ticketItem(t, kind)); });
  clear(node);
  node.appendChild(frag);
  if (focusId) {
    var again = node.querySelector('.ticket[data-id="' + focusId + '"] ' + focusClass);
    if (again) again.focus();
  }
}

export function renderLists() {
  var mine = state.mine;
  var waiting = state.waiting;
  renderList($("mine"), mine, "mine");
  renderList($("queue"), waiting, "queue");
  $("mine-count").textContent = String(mine.length);
  $("queue-count").textContent = String(Math.max(waiting.length, state.waitingTotal));
  $("mine-empty").hidden = mine.length > 0;
  $("queue-empty").hidden = waiting.length > 0;
  document.title = (waiting.length ? "(" + waiting.length + ") " : "") + "优选生活 · 客服工作台 | Agent console";
}

export function isMine(conversationId) {
  var mine = state.mine;
  for (var i = 0; i < mine.length; i++) if (mine[i].conversation_id === conversationId) return true;
  return false;
}

export function claimTicket(id, button) {
  if (button) button.disabled = true;
  state.claimed[id] = true; // before the request: the socket may announce the claim before it answers
  api("POST", "/api/agent/tickets/" + id + "/claim").then(function (r) {
    if (button) button.disabled = false;
    if (!r.ok) delete state.claimed[id];
    if (r.ok) {
      refresh({ queue: true });
      openTicket(id, true);
      return;
    }
    if (r.status === 409) {
      // Refetch, then say why: gone from the queue = a colleague was quicker; else e.g. no free seat.
      loadQueue().then(function () {
        var still = state.waiting.some(function (t) { return t.id === id; });
        flash(still ? "无法接入 #" + id + "：" + errorText(r) : "#" + id + " " + TAKEN, "warn");
        if (state.openId === id) refresh({ ticket: true });
      });
      return;
    }
    if (r.status !== 401) flash(errorText(r));
  }, function () {
    if (button) button.disabled = false;
    delete state.claimed[id];
    flash(NETWORK_ERROR);
  });
}
