/* 优选生活 YouXuan Life — the knowledge-base staff page (/kb). Its entry point: log in, then load
 * the topics and entries. Plain ES modules, no build step, no external assets. Nothing polls:
 * the page fetches when staff act.
 *
 * Server contract:
 *   POST /api/agent/login -> {token, agent}  (token in sessionStorage, shared with /console)
 *   GET  /api/kb/topics, /api/kb/entries?q&topic&tag&lang&status, /api/kb/entries/{id}
 *   POST /api/kb/entries | PUT .../{id}/draft | DELETE .../{id}/draft | POST .../{id}/publish
 *   DELETE .../{id} (archive) | GET .../{id}/history | GET .../{id}/diff?from&to | POST .../{id}/rollback
 *   POST /api/kb/try {text}, POST /api/kb/check {id, ...fields}
 *   GET  /api/kb/inbox?days, POST /api/kb/inbox/add | new | dismiss
 *   POST /api/kb/import?format&dry_run&filename (raw body, NDJSON progress), GET /api/kb/export?format
 *
 * The modules, by view: list.js (search and the entry list), editor.js (the form) and save.js
 * (writing it), history.js (versions, diff, rollback), try.js, inbox.js, transfer.js (import,
 * export); tabs.js, dialogs.js, notify.js around them, state.js holds what they share.
 *
 * Element ids and classes tests may rely on:
 *   login     #login-view #username #password #login #login-error  (every role may log in;
 *             an agent reads only)
 *   header    #app #me-name #me-role[data-role] #status-line #logout #readonly-note #toasts .toast.error|.ok
 *             tabs #tab-entries #tab-try #tab-inbox #tab-transfer
 *   list      #search #filter-topic #filter-tag #filter-lang #filter-status #entry-counts #new-entry
 *             #entries .entry[data-id] (.selected) .badge.status-draft|.status-archived|.pending
 *   editor    #editor[data-mode=edit|new|cluster][data-id] #f-id #f-topic #f-tags #f-action
 *             #f-question-zh #f-question-en #f-answer-zh #f-answer-en #f-para-zh #f-para-en
 *             #count-para-zh #count-para-en #save-draft #publish #discard-draft #archive #draft-note
 *   history   #versions .version[data-version] input.pick  .changed  .rollback  #diff .add .del
 *   dialogs   #dialog (button[value=ok|cancel]) #dialog-content .warning  #picker #picker-search #picker-list
 *   try it    #try-input #try-send #try-result #try-kind #try-replies #try-why #try-candidates tr.candidate[data-label]
 *   inbox     #clusters .cluster[data-key] .add-suggested .add-other .new-from .dismiss  #inbox-summary
 *   import    #import-file #dry-run #do-import #import-progress #import-percent #import-report #import-errors
 *             .error-row[data-line]  export buttons .export[data-format]
 */

import { $ } from "../common/dom.js";
import { EDITOR_ROLES, showMe, startLogin } from "../common/login.js";
import { bindDialogs, closeDialogs } from "./dialogs.js";
import { bindInbox } from "./inbox.js";
import { bindList, loadAll, loadList, loadTopics } from "./list.js";
import { status } from "./notify.js";
import { bindEditor } from "./save.js";
import { state } from "./state.js";
import { bindTabs } from "./tabs.js";
import { bindTransfer } from "./transfer.js";
import { bindTry } from "./try.js";

function enter(agent) {
  var canEdit = EDITOR_ROLES.indexOf(agent.role) >= 0;
  state.canEdit = canEdit;
  $("login-view").hidden = true;
  $("app").hidden = false;
  showMe(agent);
  $("readonly-note").hidden = canEdit;
  document.body.classList.toggle("read-only", !canEdit);
  $("new-entry").disabled = !canEdit;
  $("dry-run").disabled = !canEdit;
  $("import-file").disabled = !canEdit;
  status("已登录 Logged in");
  Promise.all([loadTopics(), loadAll()]).then(function () { loadList(); });
}

function leave() {
  closeDialogs();
}

bindTabs();
bindList();
bindEditor();
bindTransfer();
bindTry();
bindInbox();
bindDialogs();
startLogin({ enter: enter, leave: leave });
