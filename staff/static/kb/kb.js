/* 优选生活 YouXuan Life — the knowledge-base staff page (/kb).
 *
 * Plain browser JavaScript, no build step, no external assets. Server and user text is
 * inserted with textContent, never innerHTML. Nothing polls: the page fetches when staff act.
 *
 * Server contract (/tmp/kb_contract.md):
 *   POST /api/agent/login -> {token, agent}  (token in sessionStorage, shared with /console)
 *   GET  /api/kb/topics, /api/kb/entries?q&topic&tag&lang&status, /api/kb/entries/{id}
 *   POST /api/kb/entries | PUT .../{id}/draft | DELETE .../{id}/draft | POST .../{id}/publish
 *   DELETE .../{id} (archive) | GET .../{id}/history | GET .../{id}/diff?from&to | POST .../{id}/rollback
 *   POST /api/kb/try {text}, POST /api/kb/check {id, ...fields}
 *   GET  /api/kb/inbox?days, POST /api/kb/inbox/add | new | dismiss
 *   POST /api/kb/import?format&dry_run&filename (raw body, NDJSON progress), GET /api/kb/export?format
 *
 * Element ids and classes tests may rely on:
 *   login     #login-view #username #password #login #login-error
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
(function () {
  "use strict";

  var TOKEN_KEY = "triage_agent_token";
  var TOAST_MS = 6000;
  var SEARCH_DELAY_MS = 250;
  var EDITOR_ROLES = ["kb_editor", "supervisor", "admin"];
  var ROLES = { agent: "客服 Agent", kb_editor: "知识库编辑 KB editor", supervisor: "主管 Supervisor", admin: "管理员 Admin" };
  var STATUS = { published: "已发布 Published", draft: "草稿 Draft", archived: "已归档 Archived" };
  var DECISIONS = {
    answer: "直接回答 Answers",
    clarify: "追问澄清 Asks which one",
    fallback: "没听懂 Falls back",
    handoff: "转人工 Hands over",
    action: "查询数据 Looks data up"
  };
  var OUTCOMES = { fallback: "没听懂 fallback", clarify: "追问 clarify", handoff: "转人工 handoff", out_of_scope: "超范围 out of scope" };
  var WARNINGS = { better_match: "被其他条目抢答 Better match elsewhere", overlap: "问法重叠 Overlap", duplicate: "重复 Duplicate" };
  var PHASES = { parse: "解析 Parsing", validate: "校验 Checking", write: "写入 Writing" };
  var FORMATS = { yaml: "yaml", yml: "yaml", csv: "csv", xlsx: "xlsx" };
  var TEXT = {
    wrongLogin: "用户名或密码错误 / Wrong username or password",
    expired: "登录已过期，请重新登录 / Session expired, please log in again",
    network: "网络异常，请重试 / Network error, please retry",
    readonly: "只读账号不能修改 / Your account is read-only"
  };

  // ---------------------------------------------------------------- state
  var token = null;
  var me = null;
  var canEdit = false;
  var topics = [];
  var allEntries = [];      // every live entry's summary (tags for the filter, the entry picker)
  var listed = [];          // what the list shows now
  var listSeq = 0;
  var mode = null;          // "edit" | "new" | "cluster"
  var current = null;       // the open entry, as GET /entries/{id} returned it
  var showingLive = false;  // the open entry has a draft, but the live content is shown
  var cluster = null;       // the inbox cluster a new entry is made from
  var baseline = "";        // the form as last loaded or saved, to tell unsaved edits
  var versions = [];
  var picked = [];          // the two versions ticked for the diff
  var busy = false;
  var importFile = null;
  var importFormat = null;
  var dryRunOk = false;
  var inboxLoaded = false;

  var $ = function (id) { return document.getElementById(id); };

  // ---------------------------------------------------------------- helpers
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function when(value) {
    if (!value) return "";
    var d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    return (d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " + pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }

  function clock() {
    var d = new Date();
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }

  function isChinese(text) { return /[\u3400-\u9fff]/.test(String(text || "")); }

  function lines(text) {
    var seen = {};
    return String(text || "").split("\n").map(function (s) { return s.trim(); }).filter(function (s) {
      if (!s || seen[s]) return false;
      seen[s] = true;
      return true;
    });
  }

  function tagsOf(text) {
    var seen = {};
    return String(text || "").split(/[,，、;；\n]/).map(function (s) { return s.trim(); }).filter(function (s) {
      if (!s || seen[s]) return false;
      seen[s] = true;
      return true;
    });
  }

  function pct(x) { return Math.round(Number(x || 0) * 100) + "%"; }

  function num(x) { return x === null || x === undefined ? "—" : Number(x).toFixed(2); }

  function errorText(r) {
    var detail = r && r.body && typeof r.body === "object" ? r.body.detail : null;
    if (typeof detail === "string" && detail.trim()) return detail.trim();
    if (Array.isArray(detail) && detail.length) {
      return detail.map(function (d) {
        if (!d || !d.msg) return String(d);
        var where = Array.isArray(d.loc) ? d.loc.filter(function (x) { return x !== "body"; }).join(".") : "";
        return (where ? where + ": " : "") + d.msg;
      }).join("；");
    }
    if (r && r.status === 404) return "服务器上没有这个接口或条目 / Not found on the server (HTTP 404)";
    return "请求失败 / Request failed" + (r && r.status ? " (HTTP " + r.status + ")" : "");
  }

  function toast(text, kind) {
    var node = el("div", "toast " + (kind || "ok"), text);
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    var close = el("button", "toast-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "关闭 / Close");
    close.addEventListener("click", function () { node.remove(); });
    node.appendChild(close);
    $("toasts").appendChild(node);
    setTimeout(function () { node.remove(); }, kind === "error" ? TOAST_MS * 2 : TOAST_MS);
  }

  function status(text) {
    $("status-line").textContent = text ? clock() + " " + text : "";
    $("status-line").title = $("status-line").textContent;  // the line is cut short on narrow screens
  }

  /** A failed request: its detail as a toast and in the status line. */
  function failed(what, r) {
    var text = what + "：" + (r ? errorText(r) : TEXT.network);
    toast(text, "error");
    status(what + " ✗");
  }

  // ---------------------------------------------------------------- HTTP
  /** Resolves to {ok, status, body}; rejects only on a network failure. A 401 ends the session. */
  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (raw) {
        var parsed = null;
        try { parsed = raw ? JSON.parse(raw) : null; } catch (e) { parsed = null; }
        if (res.status === 401 && token && path !== "/api/agent/login") sessionExpired();
        return { ok: res.ok, status: res.status, body: parsed };
      });
    });
  }

  function entryPath(id, rest) { return "/api/kb/entries/" + encodeURIComponent(id) + (rest || ""); }

  // ---------------------------------------------------------------- session
  function remember(value) {
    try {
      if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage blocked: the session ends with the page */ }
  }

  function recall() {
    try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function showLogin(message) {
    $("app").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
    $("login-error").hidden = !message;
    $("password").value = "";
    $("login").disabled = false;
    ($("username").value ? $("password") : $("username")).focus();
  }

  function sessionExpired() {
    if (!token) return;
    token = null;
    remember(null);
    closeDialogs();
    showLogin(TEXT.expired);
  }

  function bindLogin() {
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var username = $("username").value.trim();
      var password = $("password").value;
      if (!username || !password) { showLogin("请输入用户名和密码 / Enter your username and password"); return; }
      $("login").disabled = true;
      api("POST", "/api/agent/login", { username: username, password: password }).then(function (r) {
        $("login").disabled = false;
        if (r.status === 401) { showLogin(TEXT.wrongLogin); $("username").value = username; return; }
        if (!r.ok || !r.body || !r.body.token) { showLogin(errorText(r)); return; }
        token = r.body.token;
        remember(token);
        enter(r.body.agent);
      }, function () { $("login").disabled = false; showLogin(TEXT.network); });
    });
    $("logout").addEventListener("click", function () {
      var done = function () { token = null; remember(null); me = null; showLogin(""); };
      api("POST", "/api/agent/logout").then(done, done);
    });
  }

  function enter(agent) {
    me = agent;
    canEdit = EDITOR_ROLES.indexOf(agent.role) >= 0;
    $("login-view").hidden = true;
    $("app").hidden = false;
    $("me-name").textContent = agent.display_name + " (" + agent.username + ")";
    $("me-role").textContent = ROLES[agent.role] || agent.role;
    $("me-role").setAttribute("data-role", agent.role);
    $("readonly-note").hidden = canEdit;
    document.body.classList.toggle("read-only", !canEdit);
    $("new-entry").disabled = !canEdit;
    $("dry-run").disabled = !canEdit;
    $("import-file").disabled = !canEdit;
    status("已登录 Logged in");
    Promise.all([loadTopics(), loadAll()]).then(function () { loadList(); });
  }

  // ---------------------------------------------------------------- tabs
  function bindTabs() {
    ["entries", "try", "inbox", "transfer"].forEach(function (name) {
      $("tab-" + name).addEventListener("click", function () { showTab(name); });
    });
  }

  function showTab(name) {
    ["entries", "try", "inbox", "transfer"].forEach(function (n) {
      $("tab-" + n).setAttribute("aria-selected", n === name ? "true" : "false");
      $("panel-" + n).hidden = n !== name;
    });
    if (name === "inbox" && !inboxLoaded) loadInbox();
    if (name === "try") $("try-input").focus();
  }

  // ---------------------------------------------------------------- list
  function loadTopics() {
    return api("GET", "/api/kb/topics").then(function (r) {
      if (!r.ok || !r.body) { failed("读取主题 Topics", r); return; }
      topics = r.body.topics || [];
      var filter = $("filter-topic");
      var select = $("f-topic");
      topics.forEach(function (t) {
        var label = t.name + (t.description ? " · " + t.description : "");
        filter.appendChild(new Option(label, t.name));
        select.appendChild(new Option(label, t.name));
      });
    }, function () { failed("读取主题 Topics", null); });
  }

  /** Every live entry once, for the tag filter and the entry picker; refreshed after writes. */
  function loadAll() {
    return api("GET", "/api/kb/entries").then(function (r) {
      if (!r.ok || !r.body) return;
      allEntries = r.body.entries || [];
      var tags = {};
      allEntries.forEach(function (e) { (e.tags || []).forEach(function (t) { tags[t] = true; }); });
      var select = $("filter-tag");
      var chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      Object.keys(tags).sort().forEach(function (t) { select.appendChild(new Option(t, t)); });
      select.value = tags[chosen] ? chosen : "";
    }, function () { /* the list itself reports the failure */ });
  }

  function query() {
    var params = new URLSearchParams();
    var q = $("search").value.trim();
    if (q) params.set("q", q);
    [["topic", "filter-topic"], ["tag", "filter-tag"], ["lang", "filter-lang"], ["status", "filter-status"]].forEach(function (p) {
      if ($(p[1]).value) params.set(p[0], $(p[1]).value);
    });
    var s = params.toString();
    return "/api/kb/entries" + (s ? "?" + s : "");
  }

  function loadList() {
    var seq = ++listSeq;
    var q = $("search").value.trim();
    return api("GET", query()).then(function (r) {
      if (seq !== listSeq) return;  // a newer search is on its way
      if (!r.ok || !r.body) { failed("读取条目 Entries", r); return; }
      listed = r.body.entries || [];
      renderList(r.body.total);
      $("entries").setAttribute("data-q", q);  // the search this list answers (tests wait on it)
    }, function () { failed("读取条目 Entries", null); });
  }

  function badges(summary) {
    var out = [];
    if (summary.status === "draft") out.push(el("span", "badge status-draft", "草稿 draft"));
    if (summary.status === "archived") out.push(el("span", "badge status-archived", "已归档 archived"));
    if (summary.has_draft) out.push(el("span", "badge pending", "待发布修改 pending draft"));
    if (summary.kind === "intent") out.push(el("span", "badge kind-intent", "意图 intent"));
    return out;
  }

  function renderList(total) {
    var list = $("entries");
    clear(list);
    var drafts = 0, pending = 0, archived = 0;
    listed.forEach(function (e) {
      if (e.status === "draft") drafts++;
      if (e.status === "archived") archived++;
      if (e.has_draft) pending++;
      var li = el("li", "entry");
      li.setAttribute("data-id", e.id);
      if (current && current.id === e.id) li.classList.add("selected");
      var open = el("button", "entry-open");
      open.type = "button";
      open.appendChild(el("span", "q-zh", e.question.zh));
      open.appendChild(el("span", "q-en en", e.question.en));
      var meta = el("span", "entry-meta");
      meta.appendChild(el("span", "entry-id", e.id));
      meta.appendChild(el("span", "entry-topic", e.topic));
      meta.appendChild(el("span", "entry-version", "v" + e.version));
      badges(e).forEach(function (b) { meta.appendChild(b); });
      open.appendChild(meta);
      open.addEventListener("click", function () { guardLeave().then(function (go) { if (go) openEntry(e.id); }); });
      li.appendChild(open);
      list.appendChild(li);
    });
    var parts = ["共 " + (total === undefined ? listed.length : total) + " 条 entries"];
    if (drafts) parts.push("草稿 " + drafts + " draft");
    if (pending) parts.push("待发布 " + pending + " pending");
    if (archived) parts.push("归档 " + archived + " archived");
    $("entry-counts").textContent = parts.join(" · ");
    $("entries-empty").hidden = listed.length > 0;
  }

  function bindList() {
    var timer = null;
    $("search").addEventListener("input", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(loadList, SEARCH_DELAY_MS);
    });
    $("search-form").addEventListener("submit", function (e) { e.preventDefault(); loadList(); });
    ["filter-topic", "filter-tag", "filter-lang", "filter-status"].forEach(function (id) {
      $(id).addEventListener("change", loadList);
    });
    $("new-entry").addEventListener("click", function () {
      guardLeave().then(function (go) { if (go) startNew(null); });
    });
  }

  // ---------------------------------------------------------------- editor
  var FIELDS = ["f-id", "f-topic", "f-tags", "f-question-zh", "f-question-en", "f-answer-zh", "f-answer-en", "f-para-zh", "f-para-en"];

  function readForm() {
    return {
      topic: $("f-topic").value,
      tags: tagsOf($("f-tags").value),
      question: { zh: $("f-question-zh").value.trim(), en: $("f-question-en").value.trim() },
      answer: { zh: $("f-answer-zh").value.trim(), en: $("f-answer-en").value.trim() },
      paraphrases: { zh: lines($("f-para-zh").value), en: lines($("f-para-en").value) },
      action: mode === "edit" && current ? (showingLive || !current.draft ? current.action : current.draft.action) || null : null
    };
  }

  function fillForm(content, id) {
    $("f-id").value = id || "";
    if (content.topic && !Array.prototype.some.call($("f-topic").options, function (o) { return o.value === content.topic; })) {
      $("f-topic").appendChild(new Option(content.topic, content.topic));  // a topic the list does not know
    }
    $("f-topic").value = content.topic || "";
    $("f-tags").value = (content.tags || []).join(", ");
    $("f-action").value = content.action || "";
    var q = content.question || {}, a = content.answer || {}, p = content.paraphrases || {};
    $("f-question-zh").value = q.zh || "";
    $("f-question-en").value = q.en || "";
    $("f-answer-zh").value = a.zh || "";
    $("f-answer-en").value = a.en || "";
    $("f-para-zh").value = (p.zh || []).join("\n");
    $("f-para-en").value = (p.en || []).join("\n");
    countParaphrases();
    baseline = JSON.stringify(readForm());
    markDirty();
  }

  function countParaphrases() {
    $("count-para-zh").textContent = lines($("f-para-zh").value).length + " 条";
    $("count-para-en").textContent = lines($("f-para-en").value).length + " 条";
  }

  function isDirty() { return mode !== null && JSON.stringify(readForm()) !== baseline; }

  function markDirty() { $("dirty").hidden = !isDirty(); }

  /** Unsaved edits are not lost by a click elsewhere: ask first. */
  function guardLeave() {
    if (!isDirty() || !canEdit) return Promise.resolve(true);
    return ask("放弃未保存的修改？ Discard unsaved changes?", "当前条目有尚未保存的修改。 The open entry has edits that are not saved.",
      [{ label: "放弃修改 Discard", value: "ok", cls: "danger" }, { label: "继续编辑 Keep editing", value: "cancel" }])
      .then(function (v) { return v === "ok"; });
  }

  function setEditable() {
    var lockId = mode === "edit";
    FIELDS.forEach(function (id) { $(id).disabled = !canEdit || (id === "f-id" && lockId); });
    $("id-field").classList.toggle("locked", lockId);
    var hasDraft = mode === "edit" && current && !!current.draft;
    $("save-draft").disabled = !canEdit || busy;
    $("publish").disabled = !canEdit || busy;
    $("discard-draft").disabled = !canEdit || busy || !hasDraft;
    $("archive").disabled = !canEdit || busy || mode !== "edit" || current.status === "archived";
  }

  function setBusy(value) {
    busy = value;
    $("editor").setAttribute("aria-busy", value ? "true" : "false");
    setEditable();
  }

  function showEditor() {
    $("editor-empty").hidden = true;
    $("editor").hidden = false;
    $("editor").setAttribute("data-mode", mode);
    $("editor").setAttribute("data-id", mode === "edit" ? current.id : "");
    Array.prototype.forEach.call(document.querySelectorAll("#entries .entry"), function (li) {
      li.classList.toggle("selected", mode === "edit" && li.getAttribute("data-id") === current.id);
    });
    setEditable();
  }

  function openEntry(id, options) {
    var opts = options || {};
    return api("GET", entryPath(id)).then(function (r) {
      if (!r.ok || !r.body) { failed("打开条目 Open " + id, r); return; }
      mode = "edit";
      current = r.body;
      cluster = null;
      showingLive = !!opts.live;
      renderEntry();
      loadHistory(id);
      showTab("entries");
    }, function () { failed("打开条目 Open " + id, null); });
  }

  function renderEntry() {
    var e = current;
    $("editor-title").textContent = e.question.zh;
    $("editor-sub").textContent = e.id + " · " + e.question.en + " · v" + e.version + " · " + (STATUS[e.status] || e.status) +
      " · 更新 updated " + when(e.updated_at);
    var box = $("editor-badges");
    clear(box);
    badges(e).forEach(function (b) { box.appendChild(b); });
    var note = $("draft-note");
    clear(note);
    note.hidden = !e.draft;
    if (e.draft) {
      note.appendChild(document.createTextNode(showingLive
        ? "显示的是线上版本 v" + e.version + "；另有一份未发布的草稿（" + (e.draft.by || "?") + " " + when(e.draft.at) + "）。 Showing the live version; a draft is pending. "
        : "正在编辑未发布的草稿（" + (e.draft.by || "?") + " " + when(e.draft.at) + "），机器人仍在回答已发布的 v" + e.version + "。 Editing the pending draft; the bot still answers the published version. "));
      var flip = el("button", "btn small", showingLive ? "显示草稿 Show draft" : "查看线上版本 Show live");
      flip.type = "button";
      flip.id = "flip-draft";
      flip.addEventListener("click", function () {
        guardLeave().then(function (go) { if (go) { showingLive = !showingLive; renderEntry(); } });
      });
      note.appendChild(flip);
    }
    $("cluster-note").hidden = true;
    fillForm(e.draft && !showingLive ? e.draft : e, e.id);
    showEditor();
  }

  function startNew(fromCluster) {
    mode = fromCluster ? "cluster" : "new";
    current = null;
    cluster = fromCluster;
    showingLive = false;
    $("editor-title").textContent = fromCluster ? "从未解决问题新建 New entry from the inbox" : "新建条目 New entry";
    $("editor-sub").textContent = "保存后为草稿，发布后机器人才会回答 · Saved as a draft; the bot answers once published";
    clear($("editor-badges"));
    $("draft-note").hidden = true;
    var note = $("cluster-note");
    clear(note);
    note.hidden = !fromCluster;
    var content = { topic: "", tags: [], question: {}, answer: {}, paraphrases: { zh: [], en: [] } };
    if (fromCluster) {
      var texts = (fromCluster.examples || []).map(function (x) { return x.text; });
      note.appendChild(document.createTextNode("这组的 " + fromCluster.message_ids.length +
        " 条客户消息会作为问法加入（下面可再补充）。 The cluster's " + fromCluster.message_ids.length +
        " messages become this entry's phrasings; add more below. 例如 e.g.: "));
      note.appendChild(el("q", "", texts.slice(0, 3).join(" / ")));
      var topicCount = {};
      (fromCluster.examples || []).forEach(function (x) { if (x.topic) topicCount[x.topic] = (topicCount[x.topic] || 0) + 1; });
      var best = Object.keys(topicCount).sort(function (a, b) { return topicCount[b] - topicCount[a]; })[0];
      if (best && topics.some(function (t) { return t.name === best; })) content.topic = best;
      var label = fromCluster.label || texts[0] || "";
      if (isChinese(label)) content.question.zh = label; else content.question.en = label;
    }
    fillForm(content, "");
    loadHistory(null);
    showEditor();
    showTab("entries");
    $("f-id").focus();
  }

  /** What is missing before the server is asked; the server's own checks still apply. */
  function problems(fields) {
    var out = [];
    if (mode !== "edit" && !/^[a-z0-9_]{3,80}$/.test($("f-id").value.trim())) out.push("条目 ID 需 3–80 个小写字母、数字或下划线 / The id needs 3–80 of a-z, 0-9, _");
    if (!fields.topic) out.push("请选择主题 / Choose a topic");
    if (!fields.question.zh || !fields.question.en) out.push("请填写中英文标准问题 / Fill in both questions");
    if (!fields.answer.zh || !fields.answer.en) out.push("请填写中英文答案 / Fill in both answers");
    return out;
  }

  function refuseIfIncomplete(fields) {
    var found = problems(fields);
    if (found.length) { toast(found.join("；"), "error"); return true; }
    return false;
  }

  /** Save the form where it belongs for the mode; resolves to the entry as saved, or null. */
  function saveForm(fields, publishing) {
    var id = mode === "edit" ? current.id : $("f-id").value.trim();
    if (mode === "edit") {
      return api("PUT", entryPath(id, "/draft"), fields).then(function (r) {
        if (!r.ok) { failed("保存草稿 Save draft", r); return null; }
        return r.body;
      });
    }
    if (mode === "new") {
      var body = Object.assign({ id: id, status: publishing ? "published" : "draft" }, fields);
      return api("POST", "/api/kb/entries", body).then(function (r) {
        if (!r.ok) { failed("新建条目 Create", r); return null; }
        return r.body;
      });
    }
    var made = { message_ids: cluster.message_ids, id: id, topic: fields.topic, question: fields.question, answer: fields.answer };
    return api("POST", "/api/kb/inbox/new", made).then(function (r) {
      if (!r.ok) { failed("新建条目 Create from the inbox", r); return null; }
      var entry = r.body && r.body.entry ? r.body.entry : r.body;
      var extra = fields.paraphrases;
      if (!fields.tags.length && !extra.zh.length && !extra.en.length) return entry;
      // The cluster's messages came in as phrasings; the extras and tags go on top of them.
      var have = entry.paraphrases || { zh: [], en: [] };
      var merged = Object.assign({}, fields, {
        status: "draft",
        action: entry.action || null,
        paraphrases: { zh: lines((have.zh || []).concat(extra.zh).join("\n")), en: lines((have.en || []).concat(extra.en).join("\n")) }
      });
      return api("PUT", entryPath(id), merged).then(function (r2) {
        if (!r2.ok) { failed("补充问法 Add phrasings", r2); return entry; }
        return r2.body;
      });
    });
  }

  function afterSave(entry, message) {
    mode = "edit";
    current = entry;
    cluster = null;
    showingLive = false;
    renderEntry();
    loadHistory(entry.id);
    loadAll();
    loadList();
    if (inboxLoaded) loadInbox();
    toast(message, "ok");
    status(message);
  }

  function saveDraft() {
    if (!canEdit) { toast(TEXT.readonly, "error"); return; }
    var fields = readForm();
    if (refuseIfIncomplete(fields)) return;
    setBusy(true);
    status("保存中… Saving");
    saveForm(fields, false).then(function (entry) {
      setBusy(false);
      if (!entry) return;
      afterSave(entry, entry.draft ? "草稿已保存，线上答案未变 / Draft saved; the live answer is unchanged"
        : entry.status === "draft" ? "已保存为草稿条目 / Saved as a draft entry" : "与线上版本相同，无待发布修改 / Same as live: nothing pending");
    }, function () { setBusy(false); failed("保存草稿 Save draft", null); });
  }

  function warningList(warnings) {
    var list = el("ul", "warnings");
    warnings.forEach(function (w) {
      var li = el("li", "warning kind-" + w.kind);
      li.appendChild(el("span", "badge warn", WARNINGS[w.kind] || w.kind));
      li.appendChild(el("span", "warning-text", w.message || (w.text + " → " + w.other_id)));
      if (w.other_id) {
        var q = w.other_question || {};
        li.appendChild(el("span", "warning-other en", w.other_id + (q.zh ? " · " + q.zh : "") + " · " + num(w.score) + " vs " + num(w.own_score)));
      }
      list.appendChild(li);
    });
    return list;
  }

  function publish() {
    if (!canEdit) { toast(TEXT.readonly, "error"); return; }
    var fields = readForm();
    if (refuseIfIncomplete(fields)) return;
    var id = mode === "edit" ? current.id : $("f-id").value.trim();
    setBusy(true);
    status("检查冲突… Checking");
    api("POST", "/api/kb/check", Object.assign({ id: id }, fields)).then(function (r) {
      if (!r.ok) { setBusy(false); failed("发布前检查 Check", r); return; }
      var warnings = (r.body && r.body.warnings) || [];
      if (!warnings.length) return go();
      var content = el("div");
      content.appendChild(el("p", "", "发布后这些问法可能答错，请确认。 These phrasings may be answered wrongly once published:"));
      content.appendChild(warningList(warnings));
      return ask("发布前的冲突提醒 Before you publish", content, [
        { label: "仍然发布 Publish anyway", value: "ok", cls: "primary" },
        { label: "返回修改 Go back", value: "cancel" }
      ]).then(function (v) {
        if (v === "ok") return go();
        setBusy(false);
        status("已取消发布 Publish cancelled");
      });
    }, function () { setBusy(false); failed("发布前检查 Check", null); });

    function go() {
      status("发布中… Publishing");
      return saveForm(fields, true).then(function (saved) {
        if (!saved) { setBusy(false); return; }
        if (mode === "new") { setBusy(false); return afterSave(saved, "已发布 v" + saved.version + " / Published version " + saved.version); }
        return api("POST", entryPath(saved.id, "/publish")).then(function (r) {
          setBusy(false);
          if (!r.ok) { failed("发布 Publish", r); afterSave(saved, "草稿已保存 / Draft saved"); return; }
          afterSave(r.body, "已发布 v" + r.body.version + "，机器人几秒内生效 / Published version " + r.body.version + "; the bot answers it within seconds");
        });
      }, function () { setBusy(false); failed("发布 Publish", null); });
    }
  }

  function discardDraft() {
    if (!current || !current.draft) return;
    ask("放弃草稿？ Discard the draft?", "未发布的修改会被删除，线上版本 v" + current.version + " 不变。 The pending edits are deleted; the live version stays.",
      [{ label: "放弃草稿 Discard", value: "ok", cls: "danger" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
      if (v !== "ok") return;
      setBusy(true);
      api("DELETE", entryPath(current.id, "/draft")).then(function (r) {
        setBusy(false);
        if (!r.ok) { failed("放弃草稿 Discard draft", r); return; }
        afterSave(r.body, "草稿已放弃 / Draft discarded");
      }, function () { setBusy(false); failed("放弃草稿 Discard draft", null); });
    });
  }

  function archive() {
    if (!current) return;
    ask("归档这个条目？ Archive this entry?", "机器人将不再使用「" + current.question.zh + "」回答，历史记录保留，可重新发布。 The bot stops using it; the history stays and it can be published again.",
      [{ label: "归档 Archive", value: "ok", cls: "danger" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
      if (v !== "ok") return;
      setBusy(true);
      api("DELETE", entryPath(current.id)).then(function (r) {
        setBusy(false);
        if (!r.ok) { failed("归档 Archive", r); return; }
        afterSave(r.body, "已归档 / Archived");
      }, function () { setBusy(false); failed("归档 Archive", null); });
    });
  }

  function bindEditor() {
    $("editor").addEventListener("input", function () { countParaphrases(); markDirty(); });
    $("editor").addEventListener("change", markDirty);
    $("editor").addEventListener("submit", function (e) { e.preventDefault(); });
    $("save-draft").addEventListener("click", saveDraft);
    $("publish").addEventListener("click", publish);
    $("discard-draft").addEventListener("click", discardDraft);
    $("archive").addEventListener("click", archive);
    $("editor").addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key === "s") {  // the editor's own save, not the browser's
        e.preventDefault();
        if (!busy && canEdit) saveDraft();
      }
    });
    window.addEventListener("beforeunload", function (e) {
      if (isDirty() && canEdit) { e.preventDefault(); e.returnValue = ""; }
    });
  }

  // ---------------------------------------------------------------- history
  function loadHistory(id) {
    versions = [];
    picked = [];
    $("diff-box").hidden = true;
    clear($("versions"));
    $("history-empty").hidden = false;
    $("history-empty").textContent = id ? "读取中… Loading" : "新条目暂无历史 · No history yet";
    if (!id) return Promise.resolve();
    return api("GET", entryPath(id, "/history")).then(function (r) {
      if (!current || current.id !== id) return;
      if (!r.ok || !r.body) { failed("读取历史 History", r); return; }
      versions = r.body.versions || [];
      renderHistory();
    }, function () { failed("读取历史 History", null); });
  }

  function renderHistory() {
    var list = $("versions");
    clear(list);
    $("history-empty").hidden = versions.length > 0;
    $("history-empty").textContent = "暂无历史 · No history";
    var latest = versions.length ? versions[versions.length - 1].version : 0;
    versions.slice().reverse().forEach(function (v) {
      var li = el("li", "version");
      li.setAttribute("data-version", v.version);
      if (v.version === latest) li.classList.add("latest");
      var head = el("div", "version-head");
      var box = el("input", "pick");
      box.type = "checkbox";
      box.id = "pick-" + v.version;
      box.checked = picked.indexOf(v.version) >= 0;
      box.addEventListener("change", function () { pick(v.version, box.checked); });
      var label = el("label", "version-label");
      label.htmlFor = box.id;
      label.appendChild(el("strong", "", "v" + v.version));
      label.appendChild(el("span", "who", v.who || "系统 system"));
      head.appendChild(box);
      head.appendChild(label);
      if (v.version !== latest && canEdit) {
        var back = el("button", "btn small rollback", "回滚 Roll back");
        back.type = "button";
        back.setAttribute("aria-label", "回滚到 v" + v.version + " / Roll back to version " + v.version);
        back.addEventListener("click", function () { rollback(v.version); });
        head.appendChild(back);
      }
      li.appendChild(head);
      li.appendChild(el("p", "note", [when(v.when), v.note].filter(Boolean).join(" · ")));
      if (v.changed && v.changed.length) {
        var changed = el("p", "changed");
        v.changed.forEach(function (f) { changed.appendChild(el("span", "field-chip", f)); });
        li.appendChild(changed);
      }
      list.appendChild(li);
    });
  }

  function pick(version, on) {
    picked = picked.filter(function (v) { return v !== version; });
    if (on) picked.push(version);
    if (picked.length > 2) picked.shift();  // the oldest pick makes way
    Array.prototype.forEach.call(document.querySelectorAll("#versions input.pick"), function (box) {
      box.checked = picked.indexOf(Number(box.id.slice(5))) >= 0;
    });
    if (picked.length === 2) showDiff(Math.min(picked[0], picked[1]), Math.max(picked[0], picked[1]));
    else $("diff-box").hidden = true;
  }

  function showDiff(from, to) {
    var id = current.id;
    api("GET", entryPath(id, "/diff?from=" + from + "&to=" + to)).then(function (r) {
      if (!current || current.id !== id) return;
      if (!r.ok || !r.body) { failed("差异 Diff", r); return; }
      $("diff-title").textContent = "v" + from + " → v" + to;
      renderDiff($("diff"), r.body.diff || "");
      $("diff-box").hidden = false;
    }, function () { failed("差异 Diff", null); });
  }

  function renderDiff(box, text) {
    clear(box);
    if (!text.trim()) { box.appendChild(el("span", "ctx", "两个版本内容相同 · The versions are the same")); return; }
    text.replace(/\n$/, "").split("\n").forEach(function (line) {
      var cls = "ctx";
      if (/^(\+\+\+|---)/.test(line)) cls = "meta";
      else if (line.charAt(0) === "@") cls = "hunk";
      else if (line.charAt(0) === "+") cls = "add";
      else if (line.charAt(0) === "-") cls = "del";
      box.appendChild(el("span", "line " + cls, line));
    });
  }

  function rollback(version) {
    ask("回滚到 v" + version + "？ Roll back to version " + version + "?",
      "将以 v" + version + " 的内容生成新版本，并立即对机器人生效。 Its content comes back as a new version, live at once.",
      [{ label: "回滚 Roll back", value: "ok", cls: "danger" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
      if (v !== "ok") return;
      setBusy(true);
      api("POST", entryPath(current.id, "/rollback"), { version: version }).then(function (r) {
        setBusy(false);
        if (!r.ok) { failed("回滚 Roll back", r); return; }
        afterSave(r.body, "已回滚到 v" + version + "（现为 v" + r.body.version + "）/ Rolled back to version " + version);
        if (r.body.draft) { showingLive = true; renderEntry(); }  // show what was restored, not the pending draft
      }, function () { setBusy(false); failed("回滚 Roll back", null); });
    });
  }

  // ---------------------------------------------------------------- dialogs
  /** A modal question; resolves to the chosen button's value ("cancel" on Escape). */
  function ask(title, content, buttons) {
    var dialog = $("dialog");
    $("dialog-title").textContent = title;
    var body = $("dialog-content");
    clear(body);
    body.appendChild(typeof content === "string" ? el("p", "", content) : content);
    var row = $("dialog-buttons");
    clear(row);
    buttons.forEach(function (b) {
      var button = el("button", "btn " + (b.cls || ""), b.label);
      button.value = b.value;
      button.type = "submit";
      row.appendChild(button);
    });
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function done() {
        dialog.removeEventListener("close", done);
        resolve(dialog.returnValue || "cancel");
      });
      dialog.returnValue = "";
      dialog.showModal();
      var last = row.lastChild;
      if (last) last.focus();  // the safe choice has the focus
    });
  }

  function closeDialogs() {
    ["dialog", "picker"].forEach(function (id) { if ($(id).open) $(id).close("cancel"); });
  }

  /** Choose an entry by searching; resolves to its summary, or null. */
  function pickEntry() {
    var dialog = $("picker");
    var input = $("picker-search");
    input.value = "";
    return new Promise(function (resolve) {
      var chosen = null;
      var timer = null;
      function render() {
        var needle = input.value.trim().toLowerCase();
        var list = $("picker-list");
        clear(list);
        allEntries.filter(function (e) {
          if (!needle) return true;
          return (e.id + " " + e.question.zh + " " + e.question.en + " " + (e.tags || []).join(" ")).toLowerCase().indexOf(needle) >= 0;
        }).slice(0, 60).forEach(function (e) {
          var li = el("li");
          var b = el("button", "picker-item");
          b.type = "button";
          b.setAttribute("data-id", e.id);
          b.appendChild(el("span", "q-zh", e.question.zh));
          b.appendChild(el("span", "q-en en", e.id + " · " + e.question.en));
          b.addEventListener("click", function () { chosen = e; dialog.close("ok"); });
          li.appendChild(b);
          list.appendChild(li);
        });
      }
      function onInput() { if (timer) clearTimeout(timer); timer = setTimeout(render, 120); }
      input.addEventListener("input", onInput);
      dialog.addEventListener("close", function done() {
        dialog.removeEventListener("close", done);
        input.removeEventListener("input", onInput);
        resolve(chosen);
      });
      render();
      dialog.showModal();
      input.focus();
    });
  }

  // ---------------------------------------------------------------- try it
  function tryIt(e) {
    e.preventDefault();
    var text = $("try-input").value.trim();
    if (!text) { $("try-input").focus(); return; }
    $("try-send").disabled = true;
    api("POST", "/api/kb/try", { text: text }).then(function (r) {
      $("try-send").disabled = false;
      if (!r.ok || !r.body) { failed("试一试 Try it", r); return; }
      renderTry(r.body);
    }, function () { $("try-send").disabled = false; failed("试一试 Try it", null); });
  }

  function renderTry(t) {
    var decision = t.decision || {};
    $("try-kind").textContent = DECISIONS[decision.kind] || decision.kind || "";
    $("try-kind").setAttribute("data-kind", decision.kind || "");
    var replies = $("try-replies");
    clear(replies);
    (decision.replies || []).forEach(function (reply) {
      var bubble = el("div", "bubble reply", reply.text);
      if (reply.buttons && reply.buttons.length) {
        var chips = el("div", "chips");
        reply.buttons.forEach(function (b) { chips.appendChild(el("span", "chip", b.title || b.payload)); });
        bubble.appendChild(chips);
      }
      replies.appendChild(bubble);
    });
    if (!replies.firstChild) replies.appendChild(el("p", "muted", "（无文字回复 · no text reply）"));
    var facts = $("try-facts");
    clear(facts);
    [
      ["语言 Language", t.language],
      ["归一化 Normalised", t.normalized],
      ["主题 Topic", t.topic],
      ["条目 Entry", t.faq_id || t.intent || "—"],
      ["置信度 Confidence", num(t.confidence)],
      ["愤怒 Anger", t.sentiment ? num(t.sentiment.anger) + (t.sentiment.angry ? " 生气 angry" : "") : "—"],
      ["动作 Action", decision.action || "—"]
    ].forEach(function (pair) {
      facts.appendChild(el("dt", "", pair[0]));
      facts.appendChild(el("dd", "", pair[1] === null || pair[1] === undefined || pair[1] === "" ? "—" : pair[1]));
    });
    $("try-why").textContent = t.why || "";
    var body = $("try-candidates");
    clear(body);
    (t.candidates || []).forEach(function (c, i) {
      var tr = el("tr", "candidate" + (i === 0 ? " top" : ""));
      tr.setAttribute("data-label", c.label);
      tr.appendChild(el("td", "rank", i + 1));
      var who = el("td", "who");
      var open = el("button", "link", (c.question && c.question.zh) || c.label);
      open.type = "button";
      open.title = "打开条目 Open the entry";
      open.addEventListener("click", function () { guardLeave().then(function (go) { if (go) openEntry(c.label); }); });
      who.appendChild(open);
      who.appendChild(el("span", "en block", c.label + (c.topic ? " · " + c.topic : "")));
      tr.appendChild(who);
      var conf = el("td", "confidence");
      var bar = el("span", "bar");
      var fill = el("span", "fill");
      fill.style.width = Math.max(0, Math.min(100, Number(c.confidence || 0) * 100)) + "%";
      bar.appendChild(fill);
      conf.appendChild(bar);
      conf.appendChild(el("span", "value", pct(c.confidence)));
      tr.appendChild(conf);
      var s = c.scores || {};
      tr.appendChild(el("td", "score", num(s.svm)));
      tr.appendChild(el("td", "score", num(s.nearest)));
      tr.appendChild(el("td", "score", num(s.fuzz)));
      tr.appendChild(el("td", "closest", c.example || "—"));
      body.appendChild(tr);
    });
    $("try-result").hidden = false;
  }

  // ---------------------------------------------------------------- inbox
  function loadInbox() {
    inboxLoaded = true;
    $("inbox-summary").textContent = "读取中… Loading";
    return api("GET", "/api/kb/inbox?days=" + encodeURIComponent($("inbox-days").value)).then(function (r) {
      if (r.status === 404) {
        $("inbox-summary").textContent = "";
        $("inbox-missing").hidden = false;
        $("inbox-missing").textContent = "这台服务器还没有未解决问题收件箱 · This server has no unanswered-question inbox yet";
        return;
      }
      $("inbox-missing").hidden = true;
      if (!r.ok || !r.body) { failed("未解决问题 Inbox", r); return; }
      renderInbox(r.body);
    }, function () { failed("未解决问题 Inbox", null); });
  }

  function breakdown(map, names) {
    var box = el("span", "breakdown");
    Object.keys(map || {}).forEach(function (k) {
      if (!map[k]) return;
      box.appendChild(el("span", "chip-count kind-" + k, (names[k] || k) + " " + map[k]));
    });
    return box;
  }

  function renderInbox(data) {
    var clusters = (data.clusters || []).slice().sort(function (a, b) { return b.count - a.count; });
    $("inbox-summary").textContent = "共 " + (data.total_messages || 0) + " 条未解决消息，" + (data.open_clusters || clusters.length) +
      " 组 · " + (data.total_messages || 0) + " unanswered messages in " + (data.open_clusters || clusters.length) + " groups";
    $("inbox-count").textContent = String(data.open_clusters || clusters.length);
    $("inbox-count").hidden = !clusters.length;
    var list = $("clusters");
    clear(list);
    $("inbox-empty").hidden = clusters.length > 0;
    clusters.forEach(function (c) { list.appendChild(clusterCard(c)); });
  }

  function clusterCard(c) {
    var li = el("li", "cluster card");
    li.setAttribute("data-key", c.key);
    var head = el("div", "cluster-head");
    head.appendChild(el("span", "cluster-count", c.count));
    var title = el("div", "cluster-title");
    title.appendChild(el("h3", "", c.label || (c.examples && c.examples[0] ? c.examples[0].text : c.key)));
    var facts = el("p", "cluster-facts");
    facts.appendChild(breakdown(c.outcomes, OUTCOMES));
    facts.appendChild(breakdown(c.languages, { zh: "中文 zh", en: "英文 en" }));
    title.appendChild(facts);
    head.appendChild(title);
    li.appendChild(head);

    var examples = el("ul", "examples");
    (c.examples || []).forEach(function (x) {
      var row = el("li", "example");
      row.setAttribute("data-message-id", x.message_id);
      row.appendChild(el("span", "example-text", x.text));
      row.appendChild(el("span", "example-meta en",
        [when(x.at), OUTCOMES[x.outcome] || x.outcome, x.topic ? x.topic + " " + num(x.confidence) : null,
          "会话 conv #" + x.conversation_id, "客户 " + x.sender_id].filter(Boolean).join(" · ")));
      examples.appendChild(row);
    });
    li.appendChild(examples);

    var actions = el("div", "cluster-actions");
    var s = c.suggestion;
    if (s) {
      var sug = el("p", "suggestion");
      sug.appendChild(el("span", "muted", "建议加入 Suggested: "));
      sug.appendChild(el("strong", "", (s.question && s.question.zh) || s.entry_id));
      sug.appendChild(el("span", "en", " " + s.entry_id + " · " + pct(s.confidence)));
      actions.appendChild(sug);
      actions.appendChild(button("btn small primary add-suggested", "加入建议条目 Add to suggested", function () { addTo(c, s.entry_id); }));
    }
    actions.appendChild(button("btn small add-other", "加入其他条目… Add to an entry…", function () {
      pickEntry().then(function (e) { if (e) addTo(c, e.id); });
    }));
    actions.appendChild(button("btn small new-from", "新建条目 New entry", function () {
      guardLeave().then(function (go) { if (go) startNew(c); });
    }));
    actions.appendChild(button("btn small dismiss", "忽略 Dismiss", function () { dismiss(c); }));
    li.appendChild(actions);
    return li;
  }

  function button(cls, label, onClick) {
    var b = el("button", cls, label);
    b.type = "button";
    b.disabled = !canEdit;  // every inbox action writes
    b.addEventListener("click", onClick);
    return b;
  }

  function addTo(c, entryId) {
    api("POST", "/api/kb/inbox/add", { message_ids: c.message_ids, entry_id: entryId }).then(function (r) {
      if (!r.ok || !r.body) { failed("加入条目 Add to " + entryId, r); return; }
      var text = "已把 " + (r.body.added || 0) + " 条问法加入 " + entryId + "，已生效 / Added " + (r.body.added || 0) + " phrasings to " + entryId + " (live)";
      toast(text, "ok");
      status(text);
      var warnings = r.body.warnings || [];
      if (warnings.length) {
        var content = el("div");
        content.appendChild(el("p", "", "已加入，但这些问法可能被其他条目抢答： Added, but these phrasings may go elsewhere:"));
        content.appendChild(warningList(warnings));
        ask("冲突提醒 Conflict warnings", content, [{ label: "知道了 OK", value: "ok", cls: "primary" }]);
      }
      if (current && current.id === entryId && mode === "edit") openEntry(entryId);
      loadInbox();
      loadAll();
    }, function () { failed("加入条目 Add", null); });
  }

  function dismiss(c) {
    ask("忽略这组问题？ Dismiss this group?", "这 " + c.count + " 条消息不会再出现在收件箱。 These messages will not come back to the inbox.",
      [{ label: "忽略 Dismiss", value: "ok", cls: "danger" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
      if (v !== "ok") return;
      api("POST", "/api/kb/inbox/dismiss", { message_ids: c.message_ids }).then(function (r) {
        if (!r.ok) { failed("忽略 Dismiss", r); return; }
        toast("已忽略 " + ((r.body && r.body.dismissed) || 0) + " 条 / Dismissed", "ok");
        loadInbox();
      }, function () { failed("忽略 Dismiss", null); });
    });
  }

  // ---------------------------------------------------------------- import / export
  function chooseFile() {
    var file = $("import-file").files[0] || null;
    importFile = file;
    dryRunOk = false;
    $("do-import").disabled = true;
    $("import-report").hidden = true;
    $("import-errors").hidden = true;
    $("import-progress-box").hidden = true;
    if (!file) { importFormat = null; $("import-format").textContent = ""; return; }
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    importFormat = FORMATS[ext] || null;
    $("import-format").textContent = importFormat ? importFormat.toUpperCase() : "不支持的格式 Unsupported";
    $("import-format").classList.toggle("bad", !importFormat);
    if (!importFormat) toast("只支持 .yaml .yml .csv .xlsx / Only YAML, CSV or Excel files", "error");
  }

  function setProgress(fraction, label) {
    var value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    $("import-progress").value = value;
    $("import-percent").textContent = value + "%";
    if (label) $("import-phase").textContent = label;
  }

  /** Where a progress line puts the bar: parse, check, then (a real import) write. */
  function fraction(event, dryRun) {
    var share = dryRun ? { parse: [0, 0.2], validate: [0.2, 1], write: [1, 1] } : { parse: [0, 0.1], validate: [0.1, 0.4], write: [0.4, 1] };
    var span = share[event.phase] || [0, 1];
    var part = event.total ? event.done / event.total : 1;
    return span[0] + (span[1] - span[0]) * part;
  }

  function runImport(dryRun) {
    if (!importFile || !importFormat) { toast("请先选择 YAML、CSV 或 Excel 文件 / Choose a YAML, CSV or Excel file first", "error"); return; }
    var file = importFile;
    $("dry-run").disabled = true;
    $("do-import").disabled = true;
    $("import-report").hidden = true;
    $("import-errors").hidden = true;
    $("import-progress-box").hidden = false;
    $("import-progress").removeAttribute("data-done");
    setProgress(0, "上传中 Uploading");
    status((dryRun ? "试运行 Dry run " : "导入 Import ") + file.name);
    var url = "/api/kb/import?format=" + importFormat + "&dry_run=" + (dryRun ? "true" : "false") + "&filename=" + encodeURIComponent(file.name);
    var last = null;
    fetch(url, {
      method: "POST",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/x-ndjson", "Content-Type": "application/octet-stream" },
      body: file
    }).then(function (res) {
      if (res.status === 401) { sessionExpired(); return null; }
      if (!res.ok || !res.body) {
        return res.text().then(function (raw) {
          var parsed = null;
          try { parsed = JSON.parse(raw); } catch (e) { parsed = null; }
          if (parsed && parsed.errors) return { ok: false, errors: parsed.errors };
          failed(dryRun ? "试运行 Dry run" : "导入 Import", { status: res.status, body: parsed });
          return null;
        });
      }
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function handle(line) {
        if (!line.trim()) return;
        var event;
        try { event = JSON.parse(line); } catch (e) { return; }
        if (event.phase) {
          setProgress(fraction(event, dryRun), (PHASES[event.phase] || event.phase) + " " + event.done + " / " + event.total);
        } else if ("ok" in event) {
          last = event;
        }
      }
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { buffer += decoder.decode(); handle(buffer); return last; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var parts = buffer.split("\n");
          buffer = parts.pop();
          parts.forEach(handle);
          return pump();
        });
      }
      return pump();
    }).then(function (end) {
      $("dry-run").disabled = !canEdit;
      if (!end) { $("import-phase").textContent = "未完成 Did not finish"; return; }
      if (end.ok) {
        setProgress(1, dryRun ? "试运行完成 Dry run done" : "导入完成 Imported");
        $("import-progress").setAttribute("data-done", "ok");
        renderReport(end.report || {});
        dryRunOk = dryRun;
        $("do-import").disabled = !dryRun;
        var text = dryRun ? "试运行完成，尚未写入 / Dry run done: nothing written yet" : "导入完成 / Import done";
        toast(text, "ok");
        status(text);
        if (!dryRun) { loadAll(); loadList(); if (current && mode === "edit") openEntry(current.id); }
      } else {
        $("import-progress").setAttribute("data-done", "failed");
        $("import-phase").textContent = "文件有错误，什么都没有写入 · Nothing was written";
        renderErrors(end.errors || []);
        status("导入失败 Import refused");
      }
    }, function () {
      $("dry-run").disabled = !canEdit;
      failed(dryRun ? "试运行 Dry run" : "导入 Import", null);
    });
  }

  function renderReport(report) {
    var box = $("import-report");
    clear(box);
    var created = report.created || [], updated = report.updated || [];
    box.appendChild(el("h4", "", (report.dry_run ? "试运行报告（未写入） Dry-run report, nothing written" : "导入报告 Import report") +
      " · 共 " + (report.total !== undefined ? report.total : created.length + updated.length + (report.unchanged || 0)) + " 条"));
    var summary = el("p", "report-summary");
    summary.appendChild(el("span", "chip-count created", "新建 created " + created.length));
    summary.appendChild(el("span", "chip-count updated", "更新 updated " + updated.length));
    summary.appendChild(el("span", "chip-count unchanged", "不变 unchanged " + (report.unchanged || 0)));
    box.appendChild(summary);
    if (created.length) {
      var c = el("ul", "report-created");
      created.forEach(function (id) { c.appendChild(el("li", "", id)); });
      box.appendChild(el("h5", "", "新建 Created"));
      box.appendChild(c);
    }
    if (updated.length) {
      var u = el("ul", "report-updated");
      updated.forEach(function (item) {
        var li = el("li", "");
        li.appendChild(el("strong", "", item.id));
        (item.changed || []).forEach(function (f) { li.appendChild(el("span", "field-chip", f)); });
        u.appendChild(li);
      });
      box.appendChild(el("h5", "", "更新 Updated"));
      box.appendChild(u);
    }
    box.hidden = false;
  }

  function renderErrors(errors) {
    var box = $("import-errors");
    clear(box);
    box.appendChild(el("h4", "", "文件中有 " + errors.length + " 处错误 · " + errors.length + " problem(s) in the file"));
    var table = el("table", "error-table");
    var head = el("tr");
    ["行 Line", "字段 Field", "条目 Entry", "问题 Problem"].forEach(function (h) { head.appendChild(el("th", "", h)); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    errors.forEach(function (e) {
      var tr = el("tr", "error-row");
      tr.setAttribute("data-line", e.line === null || e.line === undefined ? "" : e.line);
      tr.appendChild(el("td", "line", e.line === null || e.line === undefined ? "—" : e.line));
      tr.appendChild(el("td", "field", e.field || "—"));
      tr.appendChild(el("td", "id", e.id || "—"));
      tr.appendChild(el("td", "message", e.message || ""));
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
    box.hidden = false;
  }

  function download(format) {
    status("导出中… Exporting");
    fetch("/api/kb/export?format=" + format, { headers: { "Authorization": "Bearer " + token } }).then(function (res) {
      if (res.status === 401) { sessionExpired(); return; }
      if (!res.ok) {
        return res.json().catch(function () { return null; }).then(function (body) { failed("导出 Export", { status: res.status, body: body }); });
      }
      var disposition = res.headers.get("Content-Disposition") || "";
      var match = /filename="?([^";]+)"?/.exec(disposition);
      var name = match ? match[1] : "knowledge-base." + (format === "nlu" ? "nlu.yml" : format);
      return res.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = document.createElement("a");
        a.href = url;
        a.download = name;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        status("已导出 Exported " + name);
      });
    }, function () { failed("导出 Export", null); });
  }

  function bindTransfer() {
    $("import-file").addEventListener("change", chooseFile);
    $("dry-run").addEventListener("click", function () { runImport(true); });
    $("do-import").addEventListener("click", function () {
      if (!dryRunOk) return;
      ask("确认导入？ Import now?", "按试运行报告写入，每个改动的条目都会生成新版本并立即生效。 Writes what the dry run reported; each changed entry gets a new version, live at once.",
        [{ label: "导入 Import", value: "ok", cls: "primary" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
        if (v === "ok") runImport(false);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".export"), function (b) {
      b.addEventListener("click", function () { download(b.getAttribute("data-format")); });
    });
  }

  // ---------------------------------------------------------------- start
  function start() {
    bindLogin();
    bindTabs();
    bindList();
    bindEditor();
    bindTransfer();
    $("try-form").addEventListener("submit", tryIt);
    $("inbox-reload").addEventListener("click", loadInbox);
    $("inbox-days").addEventListener("change", loadInbox);
    $("picker-cancel").addEventListener("click", function () { $("picker").close("cancel"); });
    token = recall();
    if (!token) { showLogin(""); return; }
    api("GET", "/api/agent/me").then(function (r) {
      if (r.ok && r.body) enter(r.body);
      else if (r.status !== 401) showLogin(errorText(r));
    }, function () { showLogin(TEXT.network); });
  }

  start();
})();
