/* The console's live line: WS /ws/agent carries desk and conversation events; on each one the
 * console refetches what it shows. #status tells whether it is connected; it reconnects with
 * backoff, and first asks whether the session is still good. */

import { api, getToken, sessionExpired } from "../common/api.js";
import { $ } from "../common/dom.js";
import { refresh } from "./desk.js";
import { flash } from "./flash.js";
import { colleagueName } from "./labels.js";
import { renderMe } from "./presence.js";
import { isMine, renderLists } from "./queue.js";
import { state } from "./state.js";

var BACKOFF_MAX_MS = 15000;
var PING_MS = 25000;
var STATUS_TEXT = { connecting: "连接中…", online: "实时", reconnecting: "重连中…", offline: "离线，重连中…" };
var STATUS_TITLE = {
  connecting: "Connecting…",
  online: "Live: updates arrive as they happen",
  reconnecting: "Reconnecting…",
  offline: "Offline, retrying…"
};

var ws = null;
var wsAttempt = 0;
var wsTimer = null;
var pingTimer = null;
var wsEverOpened = false;

function handleEvent(ev) {
  if (!ev || typeof ev !== "object") return;
  var ticket = state.ticket;
  if (ev.type === "hello") {
    wsAttempt = 0;
    wsEverOpened = true;
    setStatus("online");
    // Catch up on whatever happened while we were not listening.
    refresh({ queue: true, ticket: true, agents: true, desk: true });
    return;
  }
  if (ev.type === "message") {
    if (ticket && ev.conversation_id === ticket.conversation_id) refresh({ ticket: true });
    else if (isMine(ev.conversation_id)) { state.unread[ev.conversation_id] = true; renderLists(); }
    return;
  }
  if (ev.type === "presence") {
    refresh({ agents: true });
    if (state.me && ev.agent_id === state.me.id && ev.presence) { state.me.presence = ev.presence; renderMe(); }
    return;
  }
  var onOpen = state.openId !== null && ev.ticket_id === state.openId;
  if (ev.type === "ticket_queued" && ev.ticket && servesQueue(ev.ticket.queue)) {
    // Show the new ticket at once from the event itself; the refetch below puts it in its place.
    var known = state.waiting.some(function (t) { return t.id === ev.ticket.id; });
    if (!known) { state.waiting.push(ev.ticket); renderLists(); }
  }
  if (ev.type === "whisper") {
    if (state.me && ev.to_agent_id === state.me.id) showWhisper(ev.ticket_id);
    if (onOpen) refresh({ ticket: true });
    return;
  }
  if (ev.type === "ticket_taken_over" && state.me && ev.from_agent_id === state.me.id) {
    flash("主管 " + colleagueName(ev.agent_id) + " 接管了会话 #" + ev.ticket_id +
      " / A supervisor took over chat #" + ev.ticket_id, "warn");
  }
  if (ev.type === "agent_message" || ev.type === "note") {
    if (onOpen) refresh({ ticket: true }); // the lists do not change
    return;
  }
  refresh({ queue: true, ticket: onOpen });
}

/** A supervisor whispered to this agent: the event says so, the ticket holds the words (an event
 * reaches every console that may see the ticket, so the text is not in it). */
function showWhisper(ticketId) {
  api("GET", "/api/agent/tickets/" + ticketId).then(function (r) {
    if (!r.ok || !r.body) return;
    var me = state.me;
    var heard = (r.body.events || []).filter(function (e) {
      return e.kind === "whisper" && me && e.data && e.data.to_agent_id === me.id;
    });
    var last = heard[heard.length - 1];
    if (!last) return;
    flash("主管悄悄话 #" + ticketId + " · " + colleagueName(last.agent_id) + "：" + last.data.text +
      " （客户看不到 · whisper, the customer never sees it）", "whisper");
  });
}

function servesQueue(queue) {
  var me = state.me;
  return !!me && (queue === "general" || (me.skills || []).indexOf(queue) !== -1);
}

/** #status[data-state=connecting|online|reconnecting|offline]; online = connected and subscribed. */
export function setStatus(status) {
  var box = $("status");
  box.setAttribute("data-state", status);
  var t = box.querySelector(".status-text");
  if (t) t.textContent = STATUS_TEXT[status] || "";
  box.title = STATUS_TITLE[status] || "";
}

export function connect() {
  if (wsTimer) { clearTimeout(wsTimer); wsTimer = null; }
  var token = getToken();
  if (!token) return;
  if (ws && (ws.readyState === 0 || ws.readyState === 1)) return;
  var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  var sock;
  try {
    sock = new WebSocket(proto + "//" + window.location.host + "/ws/agent?token=" + encodeURIComponent(token));
  } catch (e) {
    scheduleReconnect();
    return;
  }
  ws = sock;
  sock.onmessage = function (ev) {
    if (ws !== sock || typeof ev.data !== "string") return;
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    handleEvent(data);
  };
  sock.onopen = function () {
    if (ws !== sock) return;
    if (pingTimer) clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      if (ws === sock && sock.readyState === 1) sock.send("ping");
    }, PING_MS);
  };
  sock.onclose = function (ev) {
    if (ws !== sock) return;
    ws = null;
    if (pingTimer) { clearInterval(pingTimer); pingTimer = null; }
    if (ev.code === 4401) { sessionExpired(); return; }
    setStatus(wsEverOpened ? "reconnecting" : "connecting");
    // A refused handshake looks like any other drop (1006): ask whether the session is
    // still good (a 401 logs out) before trying again.
    api("GET", "/api/agent/me").then(function () { scheduleReconnect(); }, scheduleReconnect);
  };
  sock.onerror = function () { /* onclose follows */ };
}

function scheduleReconnect() {
  if (wsTimer || !getToken()) return;
  var delay = Math.min(1000 * Math.pow(2, wsAttempt), BACKOFF_MAX_MS);
  wsAttempt++;
  setStatus(navigator.onLine === false ? "offline" : wsEverOpened ? "reconnecting" : "connecting");
  wsTimer = setTimeout(function () { wsTimer = null; connect(); }, delay);
}

export function disconnect() {
  if (wsTimer) { clearTimeout(wsTimer); wsTimer = null; }
  if (pingTimer) { clearInterval(pingTimer); pingTimer = null; }
  var sock = ws;
  ws = null;
  wsAttempt = 0;
  wsEverOpened = false;
  if (sock) { try { sock.close(); } catch (e) { /* already closed */ } }
  setStatus("connecting");
}

/** Back online, or back to the tab: reconnect at once rather than at the end of the backoff. */
export function bindConnectivity() {
  window.addEventListener("online", function () {
    if (getToken() && !ws) { wsAttempt = 0; connect(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && getToken() && !ws) { wsAttempt = 0; connect(); }
  });
}
