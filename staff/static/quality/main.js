/* 优选生活 YouXuan Life — quality review (/quality). Its entry point: log in, then supervisors and
 * admins draw samples, score chats and edit the checklist; everyone on the desk reads their own
 * finished reviews. Plain ES modules, no build step, no external assets.
 *
 * Server contract (staff/quality_api.py):
 *   GET/PUT /api/quality/checklist            {version, items: [{key, zh, en, weight}]}
 *   POST    /api/quality/samples {agent_id?, queue?, from, to, size} -> a sample with its reviews
 *   GET     /api/quality/samples              {samples: [...]}, newest first
 *   GET     /api/quality/reviews/{id}         a review + its checklist + the chat's messages
 *   PUT     /api/quality/reviews/{id} {scores: {key: 0|1|2|"na"}, comment, done}
 *   GET     /api/quality/mine                 {reviews: [...]}: the caller's finished reviews
 *   GET     /api/agent/desk, /api/agent/agents  the queues, the desk's date, its people
 *
 * The modules, by view: samples.js (drawing, the list), review.js (scoring), checklist.js
 * (editing), mine.js (my reviews); shared.js holds what they share.
 *
 * Element ids and classes tests may rely on:
 *   tabs       #tab-samples #tab-checklist (supervisors and admins) #tab-mine
 *   samples    #draw-form #draw-agent #draw-queue #draw-from #draw-to #draw-size #draw
 *              #samples .sample[data-id] .review-row[data-id][data-status=todo|draft|done] .row-total
 *   scoring    #review-view[data-id][data-status] #review-transcript .msg.customer|.bot|.agent|.system
 *              #review-items .score-item[data-key] input[type=radio][value=2|1|0|na]
 *              #review-total #review-comment #save-draft #finish #review-error #review-back
 *   checklist  #checklist-items .item-row (.item-key .item-zh .item-en .item-weight .up .down .remove)
 *              #add-item #save-checklist #checklist-version #checklist-error
 *   mine       #mine-list .my-review[data-id] .total .my-scores dd[data-key] .comment  #mine-empty
 *   #flash     short messages
 */

import { api, recall, remember } from "../common/api.js";
import { $ } from "../common/dom.js";
import { DESK_ROLES, showMe, startLogin } from "../common/login.js";
import { bindChecklist, loadChecklist } from "./checklist.js";
import { loadMine } from "./mine.js";
import { bindReview, closeReview } from "./review.js";
import { bindSamples, fillDrawForm, loadSamples, renderSamples, updateRow } from "./samples.js";
import { deskDate, flash, isSupervisor, state } from "./shared.js";

var TAB_KEY = "triage_quality_tab";
var TABS = ["samples", "checklist", "mine"];
var loaded = {};

function allowed(name) {
  return name === "mine" || isSupervisor();
}

function showTab(name) {
  if (!allowed(name)) name = "mine";
  TABS.forEach(function (n) {
    $("tab-" + n).setAttribute("aria-selected", n === name ? "true" : "false");
    $("panel-" + n).hidden = n !== name;
  });
  remember(TAB_KEY, name);
  if (name === "mine") loadMine();  // fresh each time: a review may have been finished since
  if (name === "checklist" && !loaded.checklist) { loaded.checklist = true; loadChecklist(); }
}

/** The desk's queues, date and people, for the sample's filters and the names in lists. */
function loadDesk() {
  var desk = api("GET", "/api/agent/desk").then(function (r) {
    if (!r.ok) return;
    state.queues = {};
    state.queueOrder = [];
    r.body.queues.forEach(function (q) { state.queues[q.id] = q; state.queueOrder.push(q.id); });
    state.today = deskDate(r.body.now);
  });
  var people = api("GET", "/api/agent/agents").then(function (r) {
    if (r.ok) state.people = r.body;
  });
  return Promise.all([desk, people]).then(fillDrawForm, function () { fillDrawForm(); });
}

function enter(agent) {
  state.me = agent;
  $("login-view").hidden = true;
  $("app").hidden = false;
  showMe(agent);
  var boss = isSupervisor();
  $("tab-samples").hidden = !boss;
  $("tab-checklist").hidden = !boss;
  if (boss) {
    loadDesk().then(function () { renderSamples(); loadSamples(); });
  } else {
    api("GET", "/api/agent/desk").then(function (r) {  // queue names for the reviews' cards
      if (!r.ok) return;
      r.body.queues.forEach(function (q) { state.queues[q.id] = q; });
      if (!$("panel-mine").hidden) loadMine();
    });
  }
  showTab(recall(TAB_KEY) || (boss ? "samples" : "mine"));
}

function leave() {
  state.me = null;
  state.samples = [];
  state.people = [];
  loaded = {};
  closeReview();
  renderSamples();
  flash("");
}

TABS.forEach(function (name) {
  $("tab-" + name).addEventListener("click", function () { showTab(name); });
});
bindSamples();
bindReview(updateRow);
bindChecklist();
startLogin({ enter: enter, leave: leave, roles: DESK_ROLES, elsewhere: "/kb" });
