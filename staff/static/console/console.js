/* 优选生活 YouXuan Life — the live agent console.
 *
 * Plain browser JavaScript, no build step, no external assets. Every piece of server or user
 * text is inserted with textContent / text nodes, never innerHTML.
 *
 * Server contract:
 *   POST /api/agent/login {username, password} -> {token, agent}   (token kept in sessionStorage)
 *   POST /api/agent/logout, GET /api/agent/me, POST /api/agent/presence {presence}
 *   GET  /api/agent/desk      the desk's clock (SLA countdowns run on it), hours and queues
 *   GET  /api/agent/queue     {waiting: [...], mine: [...]}
 *   GET  /api/agent/tickets/{id}   ticket + context + messages + events (notes)
 *   POST /api/agent/tickets/{id}/claim | reply {text} | notes {text} | transfer {queue}|{agent_id}
 *                                 | resolve | handback
 *   GET  /api/agent/canned, GET /api/agent/agents
 *   WS   /ws/agent?token=…    desk and conversation events; on each one the console refetches
 *                             what it shows (no polling). Reconnects with backoff.
 *
 * Element ids and classes tests may rely on:
 *   login       #login-view #login-form #username #password #login #login-error
 *   header      #app #me #me-name #me-role #me-skills #presence (select: online|away|offline)
 *               #logout #status[data-state=connecting|online|reconnecting|offline]
 *               (online = the socket is connected and subscribed)
 *               #flash (short messages, e.g. "already taken")
 *   queue       #queue .ticket[data-id][data-queue]  .badge.label-<label>  .waited
 *               .countdown[data-due] (.overdue when past due or sla_breached)  .claim (button)
 *               #queue-count
 *   my chats    #mine .ticket[data-id] (.selected = open, .unread = new customer message)
 *   chat view   #chat-view #ticket-title #ticket-sub
 *               #transcript .msg[data-id].customer|.bot|.agent|.system  .msg.note (private notes)
 *               .msg.event[data-kind] (claimed, transferred, resolved … on the ticket)
 *               #reply-input #send-reply #canned (select; choosing inserts the text in the
 *               customer's language)  #note-input #add-note
 *               #transfer-queue #transfer-agent (selects: choosing one asks to confirm, then transfers)
 *               #resolve #handback (confirm first)  #readonly #claim-open (viewing a ticket not yours)
 *   context     #context #summary #sla[data-state=running|soon|overdue|met|breached|closed]
 *               #facts #customer #lookup #slots #anger .bar #turns
 */
(function () {
  "use strict";

  var TOKEN_KEY = "triage_agent_token";
  var OPEN_KEY = "triage_agent_open";  // the open ticket, reopened after a reload
  var BACKOFF_MAX_MS = 15000;
  var PING_MS = 25000;
  var FLASH_MS = 6000;

  var TEXT = {
    connecting: "连接中…",
    online: "实时",
    reconnecting: "重连中…",
    offline: "离线，重连中…",
    wrongLogin: "用户名或密码错误 / Wrong username or password",
    expired: "登录已过期，请重新登录 / Session expired, please log in again",
    network: "网络异常，请重试 / Network error, please retry",
    taken: "已被同事接入 / A colleague already took this chat",
    confirmResolve: "确认已解决？客户会收到评分邀请。\nResolve this chat? The customer is asked for a rating.",
    confirmHandback: "交回机器人继续服务？（不邀请评分）\nHand the customer back to the bot? (no rating)",
    noteAdded: "备注已添加（客户看不到） / Note added (not sent to the customer)"
  };

  var ROLES = { agent: "客服 Agent", supervisor: "主管 Supervisor" };
  var PRESENCE = { online: "在线", away: "离开", offline: "离线" };
  var STATUS = {
    queued: "排队中 Waiting",
    assigned: "处理中 In progress",
    resolved: "已解决 Resolved",
    handed_back: "已交回机器人 Handed back",
    offline: "非工作时间留言 After hours"
  };
  var REASONS = {
    human_request: "客户要求转人工",
    complaint: "客户投诉",
    anger: "客户情绪激动",
    fallback: "机器人连续两次没听懂",
    slot_failed: "两次没提供有效订单号",
    order_not_found: "两次都没查到订单",
    verification_failed: "身份验证两次失败",
    tracking_stuck: "物流超过 72 小时未更新",
    remittance_overdue: "货款超期未打款",
    remittance_review: "货款风控审核中",
    claim: "理赔登记",
    lookup_unavailable: "订单系统查询失败",
    keyword: "命中人工关键词",
    offline: "非工作时间留言"
  };
  var LABELS = {
    anger: "愤怒 anger",
    vip: "VIP",
    claim: "理赔 claim",
    major_complaint: "重大投诉 major",
    complaint: "投诉 complaint",
    high_value: "高额 high value",
    keyword: "关键词 keyword",
    offered: "推荐给你 for you"
  };
  var AUTHORS = { customer: "客户 Customer", bot: "机器人 Bot", agent: "客服", system: "系统 System" };
  var LOOKUP_KINDS = {
    order: "订单 Order", shipment: "物流 Shipment", remittance: "货款 Remittance",
    refund: "退款 Refund", claim: "理赔 Claim", payment: "支付 Payment", stock: "库存 Stock"
  };

  // ---------------------------------------------------------------- state
  var token = null;
  var me = null;                 // the logged-in agent
  var queues = {};               // id -> {id, name_zh, name_en}
  var queueOrder = [];
  var clockOffset = 0;           // desk clock minus this browser's clock, ms
  var waiting = [];
  var waitingTotal = 0;          // everyone waiting in my queues; the list shows the front
  var mine = [];
  var colleagues = [];
  var canned = [];
  var openId = null;             // the ticket shown in the chat view
  var ticket = null;             // its last fetched detail
  var rendered = [];             // keys of the transcript items on screen, in order
  var unread = {};               // conversation_id -> true
  var busy = false;              // an action on the open ticket is in flight
  var knownMine = null;          // ids in "my chats" at the last fetch (null: not fetched yet)
  var claimed = {};              // ids this console claimed itself (not news when they appear)
  var drafts = {};               // ticket id -> {reply, note} typed but not sent, kept while away
  var shownQueue = null;         // the queue the canned and transfer lists were built for

  var ws = null;
  var wsAttempt = 0;
  var wsTimer = null;
  var pingTimer = null;
  var wsEverOpened = false;

  var want = {};
  var refreshTimer = null;
  var refreshing = false;
  var flashTimer = null;

  var $ = function (id) { return document.getElementById(id); };

  // ---------------------------------------------------------------- helpers
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function parseDate(value) {
    if (!value) return null;
    var s = String(value);
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += "Z"; // no zone: UTC
    var d = new Date(s);
    return isNaN(d.getTime()) ? null : d;
  }

  function deskNow() { return Date.now() + clockOffset; }

  function formatTime(d) {
    if (!d) return "";
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }

  /** 75 -> "1:15", 3725 -> "1:02:05". */
  function formatSpan(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = s % 60;
    return (h ? h + ":" + pad2(m) : String(m)) + ":" + pad2(rest);
  }

  function queueName(id) {
    var q = queues[id];
    return q ? q.name_zh + " " + q.name_en : String(id || "");
  }

  function reasonText(code) {
    return REASONS[code] ? REASONS[code] + " (" + code + ")" : String(code || "");
  }

  function colleagueName(id) {
    if (me && id === me.id) return me.display_name;
    for (var i = 0; i < colleagues.length; i++) if (colleagues[i].id === id) return colleagues[i].display_name;
    return id ? "#" + id : "";
  }

  function firstLine(text) {
    return String(text || "").split("\n")[0];
  }

  function flash(text, kind) {
    var $flash = $("flash");
    $flash.textContent = text;
    $flash.className = "flash " + (kind || "error");
    $flash.hidden = false;
    if (flashTimer) clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { $flash.hidden = true; }, FLASH_MS);
  }

  function errorText(r) {
    var detail = r && r.body && typeof r.body === "object" ? r.body.detail : null;
    if (typeof detail === "string" && detail.trim()) return detail.trim();
    if (Array.isArray(detail) && detail.length) {
      return detail.map(function (d) { return d && d.msg ? String(d.msg) : String(d); }).join("；");
    }
    return "请求失败 / Request failed" + (r && r.status ? " (HTTP " + r.status + ")" : "");
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
        var r = { ok: res.ok, status: res.status, body: parsed };
        if (res.status === 401 && token && path !== "/api/agent/login") sessionExpired();
        return r;
      });
    });
  }

  // ---------------------------------------------------------------- session
  function remember(key, value) {
    try {
      if (value) window.sessionStorage.setItem(key, String(value));
      else window.sessionStorage.removeItem(key);
    } catch (e) { /* storage blocked: nothing to restore after a reload */ }
  }

  function recall(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function saveToken(value) {
    token = value;
    remember(TOKEN_KEY, value);
  }

  function showLogin(message) {
    $("app").hidden = true;
    $("login-view").hidden = false;
    var err = $("login-error");
    err.textContent = message || "";
    err.hidden = !message;
    $("password").value = "";
    $("login").disabled = false;
    ($("username").value ? $("password") : $("username")).focus();
  }

  function sessionExpired() {
    if (!token) return;
    leave();
    showLogin(TEXT.expired);
  }

  /** Forget everything about the session (after logout or expiry). */
  function leave() {
    saveToken(null);
    me = null;
    disconnect();
    closeTicket();
    waiting = []; mine = []; unread = {}; knownMine = null; claimed = {}; drafts = {};
    renderLists();
  }

  function bindLogin() {
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var username = $("username").value.trim();
      var password = $("password").value;
      if (!username || !password) {
        showLogin("请输入用户名和密码 / Enter your username and password");
        return;
      }
      $("login").disabled = true;
      api("POST", "/api/agent/login", { username: username, password: password }).then(function (r) {
        $("login").disabled = false;
        if (r.status === 401) { showLogin(TEXT.wrongLogin); $("username").value = username; return; }
        if (!r.ok || !r.body || !r.body.token) { showLogin(errorText(r)); return; }
        saveToken(r.body.token);
        enter(r.body.agent);
      }, function () {
        $("login").disabled = false;
        showLogin(TEXT.network);
      });
    });
    $("logout").addEventListener("click", function () {
      var done = function () { leave(); showLogin(""); };
      api("POST", "/api/agent/logout").then(done, done);
    });
  }

  /** Logged in: show the console, load what it needs, open the socket. */
  function enter(agent) {
    me = agent;
    $("login-view").hidden = true;
    $("app").hidden = false;
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

  function renderMe() {
    if (!me) return;
    $("me-name").textContent = me.display_name + " (" + me.username + ")";
    $("me-role").textContent = ROLES[me.role] || me.role;
    $("me-skills").textContent = (me.skills || []).map(function (s) {
      return queues[s] ? queues[s].name_zh : s;
    }).join(" · ");
    $("me-skills").title = "技能 Skills: " + (me.skills || []).join(", ");
    $("presence").value = me.presence || "online";
    $("presence").setAttribute("data-presence", me.presence || "online");
  }

  function bindPresence() {
    $("presence").addEventListener("change", function () {
      var value = $("presence").value;
      var before = me ? me.presence : "online";
      api("POST", "/api/agent/presence", { presence: value }).then(function (r) {
        if (!r.ok) { $("presence").value = before; flash(errorText(r)); return; }
        me.presence = r.body.presence;
        renderMe();
      }, function () { $("presence").value = before; flash(TEXT.network); });
    });
  }

  // ---------------------------------------------------------------- loading
  function loadDesk() {
    var asked = Date.now();
    return api("GET", "/api/agent/desk").then(function (r) {
      if (!r.ok || !r.body) return;
      var now = parseDate(r.body.now);
      // The desk's clock may be frozen (demos, tests) or skewed: count on it, not on ours.
      if (now) clockOffset = now.getTime() - (asked + Date.now()) / 2;
      queues = {};
      queueOrder = [];
      (r.body.queues || []).forEach(function (q) { queues[q.id] = q; queueOrder.push(q.id); });
      renderMe();
      renderTransferQueues();
    }, function () { /* the lists still work without names */ });
  }

  function loadColleagues() {
    return api("GET", "/api/agent/agents").then(function (r) {
      if (!r.ok || !Array.isArray(r.body)) return;
      colleagues = r.body;
      renderTransferAgents();
    });
  }

  function loadCanned() {
    return api("GET", "/api/agent/canned").then(function (r) {
      if (!r.ok || !Array.isArray(r.body)) return;
      canned = r.body;
      renderCanned();
    });
  }

  // Responses may overtake each other: only ever apply one newer than what is shown.
  var asked = { queue: 0, ticket: 0 };
  var shown = { queue: 0, ticket: 0 };

  function fresh(kind, seq) {
    if (seq < shown[kind]) return false;
    shown[kind] = seq;
    return true;
  }

  function loadQueue() {
    var seq = ++asked.queue;
    return api("GET", "/api/agent/queue").then(function (r) {
      if (!r.ok || !r.body || !fresh("queue", seq)) return;
      var before = knownMine;
      waiting = r.body.waiting || [];
      waitingTotal = r.body.waiting_total || waiting.length;
      mine = r.body.mine || [];
      knownMine = {};
      mine.forEach(function (t) {
        knownMine[t.id] = true;
        if (before && !before[t.id] && !claimed[t.id]) {
          flash("#" + t.id + " 已转给你 / A colleague passed you chat #" + t.id, "info");
        }
        delete claimed[t.id];
      });
      renderLists();
    });
  }

  function loadTicket(id) {
    var seq = ++asked.ticket;
    return api("GET", "/api/agent/tickets/" + id).then(function (r) {
      if (openId !== id) return; // the agent moved on meanwhile
      if (r.status === 404) { closeTicket(); flash("工单不存在 / No such ticket"); return; }
      if (!r.ok || !r.body || !fresh("ticket", seq)) return;
      ticket = r.body;
      renderTicket();
    });
  }

  /** Ask for a refetch of some parts; events arriving together are served by one round. */
  function refresh(parts) {
    for (var k in parts) if (parts[k]) want[k] = true;
    if (!refreshTimer && !refreshing) refreshTimer = setTimeout(runRefresh, 40);
  }

  function runRefresh() {
    refreshTimer = null;
    if (!token) { want = {}; return; }
    var parts = want;
    want = {};
    refreshing = true;
    var jobs = [];
    if (parts.queue) jobs.push(loadQueue());
    if (parts.ticket && openId !== null) jobs.push(loadTicket(openId));
    if (parts.agents) jobs.push(loadColleagues());
    if (parts.desk) jobs.push(loadDesk());
    var settle = function () {
      refreshing = false;
      for (var k in want) if (want[k]) { refreshTimer = setTimeout(runRefresh, 40); return; }
    };
    Promise.all(jobs.map(function (j) { return j.catch(function () {}); })).then(settle, settle);
  }

  // ---------------------------------------------------------------- lists
  function badges(labels) {
    var wrap = el("span", "badges");
    (labels || []).forEach(function (l) {
      var b = el("span", "badge label-" + String(l).replace(/[^a-z0-9_-]/gi, ""), LABELS[l] || l);
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

  function ticketItem(t, kind) {
    var li = el("li", "ticket");
    li.setAttribute("data-id", String(t.id));
    li.setAttribute("data-queue", t.queue);
    if (t.id === openId) li.classList.add("selected");
    if (kind === "mine" && unread[t.conversation_id]) li.classList.add("unread");
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
    if (kind === "queue") {
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

  function renderLists() {
    renderList($("mine"), mine, "mine");
    renderList($("queue"), waiting, "queue");
    $("mine-count").textContent = String(mine.length);
    $("queue-count").textContent = String(Math.max(waiting.length, waitingTotal));
    $("mine-empty").hidden = mine.length > 0;
    $("queue-empty").hidden = waiting.length > 0;
    document.title = (waiting.length ? "(" + waiting.length + ") " : "") + "优选生活 · 客服工作台 | Agent console";
  }

  function isMine(conversationId) {
    for (var i = 0; i < mine.length; i++) if (mine[i].conversation_id === conversationId) return true;
    return false;
  }

  // ---------------------------------------------------------------- clocks
  /** Paint a countdown to first_response_due: green, amber in the last minute, red when late. */
  function paintCountdown(node) {
    var met = node.getAttribute("data-met");
    var due = parseDate(node.getAttribute("data-due"));
    var breached = node.getAttribute("data-breached") === "true";
    var state;
    var text;
    if (met) {
      state = breached ? "breached" : "met";
      text = breached ? "首响超时 SLA missed" : "已首响 ✓ responded";
    } else if (!due) {
      state = "none";
      text = "";
    } else {
      var left = (due.getTime() - deskNow()) / 1000;
      if (left < 0 || breached) {
        state = "overdue";
        text = "超时 " + formatSpan(-left) + " overdue";
      } else {
        state = left < 60 ? "soon" : "running";
        text = "剩 " + formatSpan(left) + " left";
      }
    }
    node.textContent = text;
    node.setAttribute("data-state", state);
    node.classList.toggle("overdue", state === "overdue" || state === "breached");
    node.classList.toggle("soon", state === "soon");
    node.title = due ? "首次响应截止 First response due " + formatTime(new Date(due.getTime() - clockOffset)) : "";
  }

  function paintWaited(node) {
    var since = parseDate(node.getAttribute("data-since"));
    var label = node.getAttribute("data-label") || "等待";
    node.textContent = since ? label + " " + formatSpan((deskNow() - since.getTime()) / 1000) : "";
    node.title = label === "等待" ? "已等待 Waiting for" : "自转人工起 Since the handoff";
  }

  function tick() {
    var i;
    var downs = document.querySelectorAll(".countdown[data-due]");
    for (i = 0; i < downs.length; i++) paintCountdown(downs[i]);
    var waits = document.querySelectorAll(".waited[data-since]");
    for (i = 0; i < waits.length; i++) paintWaited(waits[i]);
    paintSla();
  }

  // ---------------------------------------------------------------- claiming
  function claimTicket(id, button) {
    if (button) button.disabled = true;
    claimed[id] = true; // before the request: the socket may announce the claim before it answers
    api("POST", "/api/agent/tickets/" + id + "/claim").then(function (r) {
      if (button) button.disabled = false;
      if (!r.ok) delete claimed[id];
      if (r.ok) {
        refresh({ queue: true });
        openTicket(id, true);
        return;
      }
      if (r.status === 409) {
        // Refetch, then say why: gone from the queue = a colleague was quicker; else e.g. no free seat.
        loadQueue().then(function () {
          var still = waiting.some(function (t) { return t.id === id; });
          flash(still ? "无法接入 #" + id + "：" + errorText(r) : "#" + id + " " + TEXT.taken, "warn");
          if (openId === id) refresh({ ticket: true });
        });
        return;
      }
      if (r.status !== 401) flash(errorText(r));
    }, function () {
      if (button) button.disabled = false;
      delete claimed[id];
      flash(TEXT.network);
    });
  }

  // ---------------------------------------------------------------- chat view
  function openTicket(id, force) {
    if (openId === id && !force) return;
    if (openId !== id) {
      if (openId !== null) drafts[openId] = { reply: $("reply-input").value, note: $("note-input").value };
      var draft = drafts[id] || { reply: "", note: "" };
      delete drafts[id];
      openId = id;
      ticket = null;
      rendered = [];
      shownQueue = null;
      remember(OPEN_KEY, id);
      clear($("transcript"));
      $("reply-input").value = draft.reply;
      $("note-input").value = draft.note;
    }
    $("chat-empty").hidden = true;
    $("chat-view").hidden = false;
    markSelected();
    loadTicket(id);
  }

  function closeTicket() {
    openId = null;
    ticket = null;
    rendered = [];
    shownQueue = null;
    remember(OPEN_KEY, null);
    clear($("transcript"));
    $("chat-view").hidden = true;
    $("chat-empty").hidden = false;
    $("context-body").hidden = true;
    $("context-empty").hidden = false;
    markSelected();
  }

  function markSelected() {
    var items = document.querySelectorAll(".tickets .ticket");
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("selected", items[i].getAttribute("data-id") === String(openId));
    }
  }

  function ownedByMe() {
    return !!(ticket && me && ticket.status === "assigned" && ticket.agent_id === me.id);
  }

  function renderTicket() {
    if (!ticket) return;
    if (unread[ticket.conversation_id]) {
      delete unread[ticket.conversation_id];
      renderLists();
    }
    var customer = (ticket.context && ticket.context.customer) || null;
    var who = customer && customer.name ? customer.name : ticket.sender_id;
    $("ticket-title").textContent = "#" + ticket.id + " · " + who;
    $("ticket-sub").textContent = [
      queueName(ticket.queue),
      STATUS[ticket.status] || ticket.status,
      REASONS[ticket.reason] || ticket.reason,
      ticket.language === "en" ? "English" : "中文"
    ].join(" · ");

    var mineNow = ownedByMe();
    ["reply-input", "canned"].forEach(function (id) { $(id).disabled = !mineNow; });
    ["send-reply", "resolve", "handback", "transfer-queue", "transfer-agent"].forEach(function (id) {
      $(id).disabled = !mineNow || busy;
    });
    renderReadonly(mineNow);
    $("reply-lang").textContent = "快捷回复将插入" + (ticket.language === "en" ? "英文 · English" : "中文 · Chinese");
    if (shownQueue !== ticket.queue) {
      // Rebuilt only when the queue changes, so an open dropdown survives live refetches.
      shownQueue = ticket.queue;
      renderCanned();
      renderTransferQueues();
    }
    renderTranscript();
    renderContext();
  }

  function renderReadonly(mineNow) {
    var box = $("readonly");
    var claim = $("claim-open");
    if (mineNow) { box.hidden = true; return; }
    var text;
    var s = ticket.status;
    if (s === "queued" || s === "offline") text = "排队中，尚未接入 · Waiting: claim it to reply";
    else if (s === "assigned") text = "由 " + colleagueName(ticket.agent_id) + " 处理中 · Handled by a colleague (read-only)";
    else if (s === "resolved") text = "已解决 · Resolved" + (ticket.csat ? " · 客户评分 " + ticket.csat + "/5" : "");
    else if (s === "handed_back") text = "已交回机器人 · Handed back to the bot";
    else text = STATUS[s] || s;
    $("readonly-text").textContent = text;
    box.setAttribute("data-status", s);
    claim.hidden = !(s === "queued" || s === "offline");
    box.hidden = false;
  }

  /** Messages, private notes and what happened to the ticket, in time order, each with a stable key. */
  function transcriptItems() {
    var items = (ticket.messages || []).map(function (m) {
      return { key: "m" + m.id, at: parseDate(m.created_at), message: m };
    });
    (ticket.events || []).forEach(function (e, i) {
      if (e.kind === "queued") return; // the bot's own line already says so
      var at = parseDate(e.at);
      var item = e.kind === "note" ? { key: "e" + i, at: at, note: e } : { key: "e" + i, at: at, event: e };
      var pos = items.length;
      for (var j = 0; j < items.length; j++) {
        if (at && items[j].at && items[j].at > at) { pos = j; break; }
      }
      items.splice(pos, 0, item);
    });
    return items;
  }

  /** One line for a desk event on the ticket (claimed, transferred …). */
  function eventText(e) {
    var who = e.agent_id ? colleagueName(e.agent_id) : "";
    var d = e.data || {};
    switch (e.kind) {
      case "claimed": return who + " 接入 · claimed";
      case "transferred":
        if (d.to_agent) return who + " 转给 " + colleagueName(d.to_agent) + " · transferred";
        return who + " 转到队列 " + queueName(d.to_queue) + " · transferred";
      case "overflow": return "等待过久，从 " + queueName(d.from) + " 溢出到综合 · overflowed";
      case "sla_breached": return "首次响应超时 · first response SLA missed";
      case "resolved": return who + " 已解决 · resolved";
      case "handed_back": return who + " 交回机器人 · handed back";
      case "offline": return "非工作时间留言 · left after hours";
      default: return (who ? who + " · " : "") + e.kind;
    }
  }

  function renderTranscript() {
    var $t = $("transcript");
    var $scroller = $("transcript-scroller");
    var stick = $scroller.scrollHeight - $scroller.scrollTop - $scroller.clientHeight < 120 || !rendered.length;
    var items = transcriptItems();
    var keys = items.map(function (i) { return i.key; });
    var prefix = rendered.length <= keys.length;
    for (var i = 0; prefix && i < rendered.length; i++) if (rendered[i] !== keys[i]) prefix = false;
    if (!prefix) { clear($t); rendered = []; }
    for (var k = rendered.length; k < items.length; k++) $t.appendChild(renderItem(items[k]));
    rendered = keys;
    if (stick) $scroller.scrollTop = $scroller.scrollHeight;
  }

  function renderItem(item) {
    if (item.event) {
      var line = el("div", "msg event");
      line.setAttribute("data-kind", item.event.kind);
      line.appendChild(el("span", "event-text", eventText(item.event)));
      line.appendChild(el("time", "time", formatTime(item.at)));
      return line;
    }
    if (item.note) {
      var n = item.note;
      var row = el("div", "msg note");
      var head = el("div", "meta");
      head.appendChild(el("span", "who", "内部备注 · " + colleagueName(n.agent_id)));
      head.appendChild(el("span", "private", "客户看不到 · not sent to the customer"));
      head.appendChild(el("time", "time", formatTime(item.at)));
      row.appendChild(head);
      row.appendChild(el("div", "bubble", (n.data && n.data.text) || ""));
      return row;
    }
    var m = item.message;
    var author = ["customer", "bot", "agent", "system"].indexOf(m.author) >= 0 ? m.author : "bot";
    var msg = el("div", "msg " + author);
    msg.setAttribute("data-id", String(m.id));
    var meta = el("div", "meta");
    var name = AUTHORS[author];
    if (author === "agent") name += " " + ((m.custom && m.custom.agent_name) || "");
    meta.appendChild(el("span", "who", name));
    meta.appendChild(el("time", "time", formatTime(item.at)));
    msg.appendChild(meta);
    msg.appendChild(el("div", "bubble", m.text || ""));
    if (Array.isArray(m.buttons) && m.buttons.length) {
      var chips = el("div", "chips");
      m.buttons.forEach(function (b) { chips.appendChild(el("span", "chip", b && (b.title || b.payload))); });
      msg.appendChild(chips);
    }
    if (author === "customer") {
      var nlu = el("div", "nlu");
      if (m.topic) nlu.appendChild(el("span", "topic", m.topic));
      if (m.confidence !== null && m.confidence !== undefined) {
        nlu.appendChild(el("span", "confidence", "置信度 " + Math.round(m.confidence * 100) + "%"));
      }
      var anger = m.parse && m.parse.sentiment ? m.parse.sentiment.anger : null;
      if (typeof anger === "number" && anger > 0) {
        nlu.appendChild(el("span", "anger-val" + (anger >= 0.5 ? " high" : ""), "怒气 " + anger.toFixed(2)));
      }
      if (nlu.childNodes.length) msg.appendChild(nlu);
    }
    return msg;
  }

  // ---------------------------------------------------------------- context
  function kv(dl, label, value) {
    if (value === undefined || value === null || value === "") return;
    dl.appendChild(el("dt", null, label));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
    dl.appendChild(dd);
  }

  function renderContext() {
    var ctx = ticket.context || {};
    $("context-empty").hidden = true;
    $("context-body").hidden = false;
    $("summary").textContent = ticket.summary || "（无摘要 No summary）";

    var facts = $("facts");
    clear(facts);
    kv(facts, "原因 Reason", reasonText(ticket.reason));
    kv(facts, "队列 Queue", queueName(ticket.queue) + (ctx.overflowed_from ? "（由 " + queueName(ctx.overflowed_from) + " 溢出）" : ""));
    kv(facts, "优先级 Priority", String(ticket.priority));
    if (ticket.labels && ticket.labels.length) kv(facts, "标签 Labels", badges(ticket.labels));
    kv(facts, "状态 Status", STATUS[ticket.status] || ticket.status);
    kv(facts, "渠道 Channel", ctx.channel);
    kv(facts, "语言 Language", ticket.language === "en" ? "English" : "中文 (" + (ticket.language || "zh") + ")");
    kv(facts, "会话 Sender", ticket.sender_id);
    kv(facts, "接待 Agent", ticket.agent_id ? colleagueName(ticket.agent_id) : null);
    kv(facts, "评分 CSAT", ticket.csat ? ticket.csat + "/5" : null);

    var cust = $("customer");
    clear(cust);
    var c = ctx.customer;
    if (c) {
      kv(cust, "姓名 Name", c.name);
      kv(cust, "等级 Tier", c.tier);
      kv(cust, "类型 Kind", c.kind === "shipper" ? "商家 Shipper" : c.kind === "buyer" ? "买家 Buyer" : c.kind);
      kv(cust, "电话 Phone", c.phone);
      kv(cust, "编号 ID", c.external_id);
    } else {
      cust.appendChild(el("dd", "muted", "未验证身份 · Not verified"));
    }

    var lookup = $("lookup");
    clear(lookup);
    var found = ctx.lookup && typeof ctx.lookup === "object" ? ctx.lookup : {};
    var kinds = Object.keys(found);
    kinds.forEach(function (kind) {
      var card = el("div", "lookup-card");
      card.setAttribute("data-kind", kind);
      card.appendChild(el("h4", null, LOOKUP_KINDS[kind] || kind));
      var dl = el("dl", "kv");
      var data = found[kind];
      if (data && typeof data === "object" && !Array.isArray(data)) {
        Object.keys(data).forEach(function (k) { kv(dl, k, data[k]); });
      } else {
        kv(dl, kind, data);
      }
      card.appendChild(dl);
      lookup.appendChild(card);
    });
    if (!kinds.length) lookup.appendChild(el("p", "muted", "无 · Nothing looked up"));

    var slots = $("slots");
    clear(slots);
    var s = ctx.slots || {};
    var names = Object.keys(s).filter(function (k) { return k !== "lookup"; });
    names.forEach(function (k) { kv(slots, k, s[k]); });
    if (!names.length) slots.appendChild(el("dd", "muted", "无 · None"));

    // Every customer turn so far, including those after the handoff (the context is a snapshot).
    var turns = customerTurns();
    renderAnger(turns.length ? turns.map(function (t) { return t.anger || 0; }) : ctx.anger_history || []);
    renderTurns(turns.length ? turns : ctx.turns || []);
    paintSla();
  }

  /** The customer's turns from the live transcript, with what the bot understood of each. */
  function customerTurns() {
    return (ticket.messages || []).filter(function (m) {
      return m.author === "customer" && m.parse;
    }).map(function (m) {
      var sentiment = m.parse.sentiment || {};
      return { text: m.text, topic: m.topic, confidence: m.confidence, anger: sentiment.anger };
    });
  }

  function renderAnger(history) {
    var box = $("anger");
    clear(box);
    if (!history.length) { box.appendChild(el("span", "muted", "无 · None")); return; }
    history.forEach(function (score, i) {
      var v = Math.max(0, Math.min(1, Number(score) || 0));
      var bar = el("span", "bar " + (v >= 0.6 ? "high" : v >= 0.3 ? "mid" : "low"));
      bar.style.height = Math.max(6, Math.round(v * 100)) + "%";
      bar.title = "第 " + (i + 1) + " 句 turn " + (i + 1) + ": " + v.toFixed(2);
      box.appendChild(bar);
    });
    var last = Number(history[history.length - 1]) || 0;
    box.appendChild(el("span", "spark-last", "最新 " + last.toFixed(2)));
    box.setAttribute("aria-label", "怒气 Anger: " + history.map(function (v) { return Number(v).toFixed(2); }).join(", "));
  }

  function renderTurns(turns) {
    var list = $("turns");
    clear(list);
    turns.forEach(function (t) {
      var li = el("li");
      li.appendChild(el("span", "turn-text", t.text));
      var info = el("span", "turn-info");
      info.appendChild(el("span", "topic", t.topic || "—"));
      if (t.confidence !== null && t.confidence !== undefined) {
        var c = Number(t.confidence);
        info.appendChild(el("span", "confidence" + (c < 0.5 ? " low" : ""), Math.round(c * 100) + "%"));
      }
      li.appendChild(info);
      list.appendChild(li);
    });
    if (!turns.length) list.appendChild(el("li", "muted", "无 · None"));
  }

  /** The open ticket's first-response SLA, on the desk's clock. */
  function paintSla() {
    var box = $("sla");
    if (!ticket) { box.textContent = ""; box.setAttribute("data-state", "none"); return; }
    var closed = ticket.status === "resolved" || ticket.status === "handed_back";
    var first = box.firstChild;
    if (!first || first.nodeType !== 1 || !first.classList.contains("countdown")) {
      clear(box);
      box.appendChild(el("span", "countdown"));
      box.appendChild(el("span", "sla-due"));
    }
    var cd = box.firstChild;
    cd.setAttribute("data-due", ticket.first_response_due || "");
    if (ticket.sla_breached) cd.setAttribute("data-breached", "true"); else cd.removeAttribute("data-breached");
    if (ticket.first_response_at) cd.setAttribute("data-met", ticket.first_response_at); else cd.removeAttribute("data-met");
    paintCountdown(cd);
    var state = cd.getAttribute("data-state");
    var due = parseDate(ticket.first_response_due);
    box.lastChild.textContent = due ? "截止 due " + formatTime(new Date(due.getTime() - clockOffset)) : "";
    if (closed) {
      state = ticket.sla_breached ? "breached" : "closed";
      if (!ticket.first_response_at) cd.textContent = "已结束 closed";
    }
    box.setAttribute("data-state", state);
  }

  // ---------------------------------------------------------------- canned replies & transfer
  function renderCanned() {
    var select = $("canned");
    var queue = ticket ? ticket.queue : null;
    while (select.options.length > 1) select.remove(1);
    var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));
    groups.forEach(function (g) { select.removeChild(g); });
    var fits = canned.filter(function (c) { return !c.queue || c.queue === queue; });
    var others = canned.filter(function (c) { return c.queue && c.queue !== queue; });
    var add = function (parent, c) {
      var o = el("option", null, c.title + (c.queue ? " · " + (queues[c.queue] ? queues[c.queue].name_zh : c.queue) : ""));
      o.value = String(c.id);
      parent.appendChild(o);
    };
    fits.forEach(function (c) { add(select, c); });
    if (others.length) {
      var g = el("optgroup");
      g.label = "其他队列 Other queues";
      others.forEach(function (c) { add(g, c); });
      select.appendChild(g);
    }
    select.value = "";
  }

  function insertCanned() {
    var select = $("canned");
    var id = select.value;
    select.value = "";
    var c = null;
    for (var i = 0; i < canned.length; i++) if (String(canned[i].id) === id) c = canned[i];
    if (!c) return;
    var text = ticket && ticket.language === "en" ? c.en : c.zh;
    var box = $("reply-input");
    var v = box.value;
    var start = typeof box.selectionStart === "number" ? box.selectionStart : v.length;
    var end = typeof box.selectionEnd === "number" ? box.selectionEnd : v.length;
    if (document.activeElement !== box) { start = end = v.length; }
    var before = v.slice(0, start);
    var sep = before && !/\s$/.test(before) ? " " : "";
    box.value = before + sep + text + v.slice(end);
    var caret = (before + sep + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
  }

  function renderTransferQueues() {
    var select = $("transfer-queue");
    while (select.options.length > 1) select.remove(1);
    queueOrder.forEach(function (id) {
      var current = ticket && ticket.queue === id;
      var o = el("option", null, queueName(id) + (current ? "（当前 current）" : ""));
      o.value = id;
      select.appendChild(o);
    });
    select.value = "";
  }

  function renderTransferAgents() {
    var select = $("transfer-agent");
    while (select.options.length > 1) select.remove(1);
    colleagues.forEach(function (a) {
      if (me && a.id === me.id) return;
      var skills = (a.skills || []).map(function (s) { return queues[s] ? queues[s].name_zh : s; }).join("/");
      var o = el("option", null, a.display_name + "（" + (PRESENCE[a.presence] || a.presence) + "）" + (skills ? " · " + skills : ""));
      o.value = String(a.id);
      o.disabled = a.presence === "offline";
      select.appendChild(o);
    });
    select.value = "";
  }

  // ---------------------------------------------------------------- actions on the open ticket
  /** POST an action on the open ticket; refetches afterwards either way. */
  function act(path, body, ok) {
    if (!ticket || busy) return Promise.resolve(false);
    var id = ticket.id;
    busy = true;
    renderTicket();
    return api("POST", "/api/agent/tickets/" + id + "/" + path, body).then(function (r) {
      busy = false;
      if (!r.ok && r.status !== 401) flash(errorText(r));
      if (r.ok && ok) ok(r);
      refresh({ queue: true, ticket: true });
      if (ticket) renderTicket();
      return r.ok;
    }, function () {
      busy = false;
      if (ticket) renderTicket();
      flash(TEXT.network);
      return false;
    });
  }

  function sendReply() {
    var box = $("reply-input");
    var text = box.value.trim();
    if (!text || !ownedByMe() || busy) return;
    var id = ticket.id;
    box.value = ""; // cleared now, so the agent can type the next line while this one goes out
    act("reply", { text: text }).then(function (done) {
      if (done) { if (openId === id) box.focus(); return; }
      if (openId === id) box.value = box.value.trim() ? text + "\n" + box.value : text; // nothing lost
      else drafts[id] = { reply: text, note: (drafts[id] || {}).note || "" };
    });
  }

  function addNote() {
    var box = $("note-input");
    var text = box.value.trim();
    if (!text || !ticket) return;
    var id = ticket.id;
    var restore = function () { if (openId === id && !box.value.trim()) box.value = text; };
    box.value = "";
    $("add-note").disabled = true;
    api("POST", "/api/agent/tickets/" + id + "/notes", { text: text }).then(function (r) {
      $("add-note").disabled = false;
      if (!r.ok) { restore(); if (r.status !== 401) flash(errorText(r)); return; }
      flash(TEXT.noteAdded, "info");
      if (openId === id) refresh({ ticket: true });
    }, function () { $("add-note").disabled = false; restore(); flash(TEXT.network); });
  }

  function bindChat() {
    var composing = false;
    var box = $("reply-input");
    box.addEventListener("compositionstart", function () { composing = true; });
    box.addEventListener("compositionend", function () { setTimeout(function () { composing = false; }, 0); });
    box.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.isComposing || e.keyCode === 229 || composing) return;
      if (e.shiftKey || e.altKey) return; // newline
      e.preventDefault();
      sendReply();
    });
    $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
    $("note-form").addEventListener("submit", function (e) { e.preventDefault(); addNote(); });
    $("canned").addEventListener("change", insertCanned);

    $("resolve").addEventListener("click", function () {
      if (ownedByMe() && window.confirm(TEXT.confirmResolve)) act("resolve");
    });
    $("handback").addEventListener("click", function () {
      if (ownedByMe() && window.confirm(TEXT.confirmHandback)) act("handback");
    });
    $("transfer-queue").addEventListener("change", function () {
      var q = $("transfer-queue").value;
      $("transfer-queue").value = "";
      if (!q || !ownedByMe()) return;
      if (window.confirm("转接到「" + queueName(q) + "」队列？客户无需重复描述。\nTransfer to the " + queueName(q) + " queue?")) {
        act("transfer", { queue: q }, function () { flash("已转接 / Transferred: " + queueName(q), "info"); });
      }
    });
    $("transfer-agent").addEventListener("change", function () {
      var v = $("transfer-agent").value;
      $("transfer-agent").value = "";
      if (!v || !ownedByMe()) return;
      var id = Number(v);
      var name = colleagueName(id);
      if (window.confirm("转给同事 " + name + "？\nTransfer this chat to " + name + "?")) {
        act("transfer", { agent_id: id }, function () { flash("已转给 / Transferred to " + name, "info"); });
      }
    });
    $("claim-open").addEventListener("click", function () {
      if (ticket) claimTicket(ticket.id, $("claim-open"));
    });
  }

  // ---------------------------------------------------------------- live updates
  function handleEvent(ev) {
    if (!ev || typeof ev !== "object") return;
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
      else if (isMine(ev.conversation_id)) { unread[ev.conversation_id] = true; renderLists(); }
      return;
    }
    if (ev.type === "presence") {
      refresh({ agents: true });
      if (me && ev.agent_id === me.id && ev.presence) { me.presence = ev.presence; renderMe(); }
      return;
    }
    var onOpen = openId !== null && ev.ticket_id === openId;
    if (ev.type === "ticket_queued" && ev.ticket && servesQueue(ev.ticket.queue)) {
      // Show the new ticket at once from the event itself; the refetch below puts it in its place.
      var known = waiting.some(function (t) { return t.id === ev.ticket.id; });
      if (!known) { waiting.push(ev.ticket); renderLists(); }
    }
    if (ev.type === "agent_message" || ev.type === "note") {
      if (onOpen) refresh({ ticket: true }); // the lists do not change
      return;
    }
    refresh({ queue: true, ticket: onOpen });
  }

  function servesQueue(queue) {
    return !!me && (queue === "general" || (me.skills || []).indexOf(queue) !== -1);
  }

  function setStatus(state) {
    var $status = $("status");
    $status.setAttribute("data-state", state);
    var t = $status.querySelector(".status-text");
    if (t) t.textContent = TEXT[state] || "";
    $status.title = {
      connecting: "Connecting…",
      online: "Live: updates arrive as they happen",
      reconnecting: "Reconnecting…",
      offline: "Offline, retrying…"
    }[state] || "";
  }

  function connect() {
    if (wsTimer) { clearTimeout(wsTimer); wsTimer = null; }
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
    if (wsTimer || !token) return;
    var delay = Math.min(1000 * Math.pow(2, wsAttempt), BACKOFF_MAX_MS);
    wsAttempt++;
    setStatus(navigator.onLine === false ? "offline" : wsEverOpened ? "reconnecting" : "connecting");
    wsTimer = setTimeout(function () { wsTimer = null; connect(); }, delay);
  }

  function disconnect() {
    if (wsTimer) { clearTimeout(wsTimer); wsTimer = null; }
    if (pingTimer) { clearInterval(pingTimer); pingTimer = null; }
    var sock = ws;
    ws = null;
    wsAttempt = 0;
    wsEverOpened = false;
    if (sock) { try { sock.close(); } catch (e) { /* already closed */ } }
    setStatus("connecting");
  }

  function bindConnectivity() {
    window.addEventListener("online", function () {
      if (token && !ws) { wsAttempt = 0; connect(); }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && token && !ws) { wsAttempt = 0; connect(); }
    });
  }

  // ---------------------------------------------------------------- init
  function init() {
    bindLogin();
    bindPresence();
    bindChat();
    bindConnectivity();
    setInterval(tick, 1000);
    var saved = recall(TOKEN_KEY);
    if (!saved) { showLogin(""); return; }
    token = saved;
    api("GET", "/api/agent/me").then(function (r) {
      if (r.ok && r.body) enter(r.body);
      else { saveToken(null); showLogin(r.status === 401 ? TEXT.expired : ""); }
    }, function () { saveToken(null); showLogin(TEXT.network); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
