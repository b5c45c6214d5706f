/* The floor's live line: the console's socket (WS /ws/agent), which carries every ticket's
 * events and everyone's presence to a supervisor. Each event asks for a refetch of the snapshot
 * (and of the open chat, when it is about it); events arriving together share one round of
 * requests. #status says whether it is connected; it reconnects with backoff. */

import { api, getToken, sessionExpired } from "../common/api.js";
import { $ } from "../common/dom.js";
import { loadFloor } from "./board.js";
import { loadTicket } from "./panel.js";
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
var attempt = 0;
var timer = null;
var pinger = null;
var everOpened = false;
var want = {};
var pending = null;

/** Ask for a refetch: {floor, ticket}. */
export function refresh(parts) {
  for (var k in parts) if (parts[k]) want[k] = true;
  if (!pending) pending = setTimeout(runRefresh, 60);
}

function runRefresh() {
  pending = null;
  var parts = want;
  want = {};
  if (!getToken()) return;
  if (parts.floor) loadFloor();
  if (parts.ticket) loadTicket();
}

function handle(ev) {
  if (!ev || typeof ev !== "object") return;
  if (ev.type === "hello") {
    attempt = 0;
    everOpened = true;
    setStatus("online");
    refresh({ floor: true, ticket: true });  // catch up on what happened while away
    return;
  }
  var open = state.ticket;
  if (ev.type === "message") {  // a customer wrote: only the open chat changes
    if (open && ev.conversation_id === open.conversation_id) refresh({ ticket: true });
    return;
  }
  var aboutOpen = state.openId !== null && ev.ticket_id === state.openId;
  if (ev.type === "note") { if (aboutOpen) refresh({ ticket: true }); return; }
  // queued, claimed, transferred, taken over, resolved, handed back, overflow, SLA missed,
  // a reply (the first one settles the first response), a whisper, a presence change
  refresh({ floor: true, ticket: aboutOpen });
}

export function setStatus(status) {
  var box = $("status");
  box.setAttribute("data-state", status);
  box.querySelector(".status-text").textContent = STATUS_TEXT[status] || "";
  box.title = STATUS_TITLE[status] || "";
}

export function connect() {
  if (timer) { clearTimeout(timer); timer = null; }
  var token = getToken();
  if (!token || (ws && (ws.readyState === 0 || ws.readyState === 1))) return;
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
    try { handle(JSON.parse(ev.data)); } catch (e) { /* not an event */ }
  };
  sock.onopen = function () {
    if (ws !== sock) return;
    if (pinger) clearInterval(pinger);
    pinger = setInterval(function () { if (ws === sock && sock.readyState === 1) sock.send("ping"); }, PING_MS);
  };
  sock.onclose = function (ev) {
    if (ws !== sock) return;
    ws = null;
    if (pinger) { clearInterval(pinger); pinger = null; }
    if (ev.code === 4401) { sessionExpired(); return; }
    setStatus(everOpened ? "reconnecting" : "connecting");
    // A refused handshake looks like any other drop: a 401 here logs out before trying again.
    api("GET", "/api/agent/me").then(scheduleReconnect, scheduleReconnect);
  };
  sock.onerror = function () { /* onclose follows */ };
}

function scheduleReconnect() {
  if (timer || !getToken()) return;
  var delay = Math.min(1000 * Math.pow(2, attempt), BACKOFF_MAX_MS);
  attempt++;
  setStatus(navigator.onLine === false ? "offline" : everOpened ? "reconnecting" : "connecting");
  timer = setTimeout(function () { timer = null; connect(); }, delay);
}

export function disconnect() {
  if (timer) { clearTimeout(timer); timer = null; }
  if (pinger) { clearInterval(pinger); pinger = null; }
  var sock = ws;
  ws = null;
  attempt = 0;
  everOpened = false;
  if (sock) { try { sock.close(); } catch (e) { /* closed already */ } }
  setStatus("connecting");
}

/** Back online, or back to the tab: reconnect now rather than at the end of the backoff. */
export function bindConnectivity() {
  var again = function () { if (getToken() && !ws) { attempt = 0; connect(); } };
  window.addEventListener("online", again);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") again(); });
}
