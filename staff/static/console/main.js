/* 优选生活 YouXuan Life — the live agent console (/console). Its entry point: log in, load the
 * desk, open the socket. Plain ES modules, no build step, no external assets.
 *
 * Server contract:
 *   POST /api/agent/login {username, password} -> {token, agent}   (token kept in sessionStorage)
 *   POST /api/agent/logout, GET /api/agent/me, POST /api/agent/presence {presence}
 *   GET  /api/agent/desk      the desk's clock (SLA countdowns run on it), hours and queues
 *   GET  /api/agent/queue     {waiting: [...], mine: [...]}
 *   GET  /api/agent/tickets/{id}   ticket + context + messages + events (notes; a supervisor's
 *                             whispers to this agent)
 *   POST /api/agent/media     a photo or PDF (the raw file) -> {media_id, url, thumbnail_url}
 *   POST /api/agent/tickets/{id}/claim | reply {text, attachments: [{media_id}]} | notes {text}
 *                                 | transfer {queue}|{agent_id}
 *                                 | resolve | handback
 *   GET  /api/agent/canned, GET /api/agent/agents
 *   WS   /ws/agent?token=…    desk and conversation events; on each one the console refetches
 *                             what it shows (no polling). Reconnects with backoff. A supervisor's
 *                             whisper to this agent (type whisper) shows in #flash and the chat;
 *                             a take-over of their chat (ticket_taken_over) is told in #flash.
 *
 * The modules, by view: queue.js (the lists, claiming), chat.js (the open ticket's transcript),
 * composer.js (replying, notes, transfer, resolve), context.js (the right-hand panel),
 * presence.js, socket.js; desk.js loads, clocks.js ticks, state.js holds what they share.
 *
 * Element ids and classes tests may rely on:
 *   login       #login-view #login-form #username #password #login #login-error
 *               (a kb_editor has no chats: logging in here takes them to /kb)
 *   header      #app #me #me-name #me-role #me-skills #presence (select: online|away|offline)
 *               #desk-links (supervisors and admins: a[href=/floor|/reports|/quality])
 *               #logout #status[data-state=connecting|online|reconnecting|offline]
 *               (online = the socket is connected and subscribed)
 *               #flash (short messages, e.g. "already taken"; .flash.whisper: a supervisor's whisper)
 *   queue       #queue .ticket[data-id][data-queue]  .badge.label-<label>  .waited
 *               .countdown[data-due] (.overdue when past due or sla_breached)  .claim (button)
 *               #queue-count
 *   my chats    #mine .ticket[data-id] (.selected = open, .unread = new customer message)
 *   chat view   #chat-view #ticket-title #ticket-sub
 *               #transcript .msg[data-id].customer|.bot|.agent|.system  .msg.note (private notes)
 *               .msg.whisper (a supervisor's whisper to this agent: never the customer's)
 *               .attachments a.photo[href] img.photo-thumb (a message's photos: the thumbnail
 *               opens the whole photo)  a.file (a PDF)
 *               .msg.event[data-kind] (claimed, transferred, resolved … on the ticket)
 *               #attach-reply #reply-file (input: a photo or PDF, uploaded at once and sent with the
 *               next reply, text or none)  #reply-files .staged (what goes with it; .remove)
 *               #reply-input #send-reply #canned (select; choosing inserts the text in the
 *               customer's language)  #note-input #add-note
 *               #transfer-queue #transfer-agent (selects: choosing one asks to confirm, then transfers)
 *               #resolve #handback (confirm first)  #readonly #claim-open (viewing a ticket not yours)
 *   context     #context #summary #sla[data-state=running|soon|overdue|met|breached|closed]
 *               #facts #customer #lookup #slots #anger .bar #turns
 */

import { recall } from "../common/api.js";
import { $ } from "../common/dom.js";
import { DESK_ROLES, startLogin } from "../common/login.js";
import { closeTicket, openTicket } from "./chat.js";
import { tick } from "./clocks.js";
import { bindChat } from "./composer.js";
import { loadCanned, loadColleagues, loadDesk, refresh } from "./desk.js";
import { bindPresence, renderMe } from "./presence.js";
import { renderLists } from "./queue.js";
import { bindConnectivity, connect, disconnect, setStatus } from "./socket.js";
import { OPEN_KEY, state } from "./state.js";

var SUPERVISORS = ["supervisor", "admin"];  // they get the floor, reports and quality links

/** Logged in: show the console, load what it needs, open the socket. */
function enter(agent) {
  state.me = agent;
  $("login-view").hidden = true;
  $("app").hidden = false;
  $("desk-links").hidden = SUPERVISORS.indexOf(agent.role) < 0;
  renderMe();
  setStatus("connecting");
  var loads = [loadDesk(), loadColleagues(), loadCanned()].map(function (p) {
    return p.catch(function () { /* shown as missing names; the socket's hello retries */ });
  });
  Promise.all(loads).then(function () {
    refresh({ queue: true });
    var reopen = Number(recall(OPEN_KEY));
    if (reopen) openTicket(reopen);
    connect();
  });
}

/** Forget everything about the session (after logout or expiry). */
function leave() {
  state.me = null;
  disconnect();
  closeTicket();
  state.waiting = [];
  state.mine = [];
  state.unread = {};
  state.knownMine = null;
  state.claimed = {};
  state.drafts = {};
  renderLists();
}

bindPresence();
bindChat();
bindConnectivity();
setInterval(tick, 1000);
startLogin({ enter: enter, leave: leave, roles: DESK_ROLES, elsewhere: "/kb" });
