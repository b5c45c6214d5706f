/* The unanswered-questions inbox: customer messages the bot could not answer, in clusters, each
 * to add to an entry, make a new entry from, or dismiss. */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { when } from "../common/time.js";
import { ask, pickEntry, warningList } from "./dialogs.js";
import { guardLeave, openEntry, startNew } from "./editor.js";
import { num, pct } from "./format.js";
import { loadAll } from "./list.js";
import { failed, status, toast } from "./notify.js";
import { state } from "./state.js";

var OUTCOMES = { fallback: "没听懂 fallback", clarify: "追问 clarify", handoff: "转人工 handoff", out_of_scope: "超范围 out of scope", declined: "已婉拒 declined" };

export function loadInbox() {
  state.inboxLoaded = true;
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
  b.disabled = !state.canEdit;  // every inbox action writes
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
    if (state.current && state.current.id === entryId && state.mode === "edit") openEntry(entryId);
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

export function bindInbox() {
  $("inbox-reload").addEventListener("click", loadInbox);
  $("inbox-days").addEventListener("change", loadInbox);
}
