/* 优选生活 YouXuan Life — the live floor (/floor, 现场管理): a supervisor's view of the desk. Its
 * entry point: log in (supervisors and admins; anyone else goes to the console), load the
 * snapshot, open the socket. Plain ES modules, no build step, no external assets.
 *
 * Server contract:
 *   GET  /api/floor                      the snapshot: totals, agents, queues, tickets (handoff/floor.py)
 *   GET  /api/agent/tickets/{id}         one chat read-only (a supervisor reads any, unclaimed)
 *   POST /api/floor/tickets/{id}/whisper {text}   a private word to the agent serving it
 *   POST /api/floor/tickets/{id}/take-over        the chat becomes the supervisor's
 *   WS   /ws/agent?token=…               the desk's events: each refetches what it changes
 *
 * The modules: board.js (the snapshot drawn, its clocks), panel.js (one chat, whisper, take
 * over), live.js (the socket), words.js (labels), state.js (what they share).
 *
 * Element ids and classes tests may rely on:
 *   header   #app #me-name #status[data-state=connecting|online|reconnecting|offline] #logout
 *            .desk-links a[href=/console|/reports|/quality]  #flash
 *   totals   #total-waiting #total-serving #total-agents_online #total-seats_free
 *            #total-due_soon #total-missed #total-after_hours
 *   queues   #queues .queue-card[data-queue] (.due-soon|.missed)  .q-waiting .stat-n
 *            .q-oldest .stat-n[data-since]  .q-serving .stat-n  .q-risk[data-count]
 *   agents   #agents .agent-card[data-id][data-presence] .dot .chats ("1/3") (.full)
 *   chats    #live-rows .live-row[data-id][data-status=queued|assigned][data-queue][data-risk]
 *            .live-agent .clock .countdown[data-due]  #live-count #live-empty
 *   panel    #panel #panel-title #panel-sub #panel-readonly #panel-transcript
 *            .msg.customer|.bot|.agent|.system  .msg.note  .msg.whisper  .msg.event[data-kind]
 *            #whisper-input #whisper-send #take-over (confirm first) #open-console #panel-close
 */

import { $ } from "../common/dom.js";
import { showMe, startLogin } from "../common/login.js";
import { forgetFloor, loadFloor, onTicketPicked, tickFloor } from "./board.js";
import { bindPanel, closePanel, openTicket } from "./panel.js";
import { bindConnectivity, connect, disconnect, setStatus } from "./live.js";
import { state } from "./state.js";

var FLOOR_ROLES = ["supervisor", "admin"];  // handoff/access.py SEES_ALL

function enter(me) {
  state.me = me;
  $("login-view").hidden = true;
  $("app").hidden = false;
  showMe(me);
  setStatus("connecting");
  loadFloor().catch(function () { /* the socket's hello loads it again */ }).then(connect);
}

function leave() {
  state.me = null;
  disconnect();
  closePanel();
  forgetFloor();
}

onTicketPicked(openTicket);
bindPanel();
bindConnectivity();
setInterval(tickFloor, 1000);
startLogin({ enter: enter, leave: leave, roles: FLOOR_ROLES, elsewhere: "/console" });
