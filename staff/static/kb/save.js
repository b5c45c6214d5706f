/* Writing the open entry: save a draft, publish (past the conflict check), discard the draft,
 * archive; and the editor's keys (Ctrl+S) and guard against leaving with unsaved edits. */

import { api } from "../common/api.js";
import { $, el } from "../common/dom.js";
import { ask, warningList } from "./dialogs.js";
import { countParaphrases, entryPath, isDirty, markDirty, readForm, renderEntry, setBusy } from "./editor.js";
import { lines } from "./format.js";
import { loadHistory } from "./history.js";
import { loadInbox } from "./inbox.js";
import { loadAll, loadList } from "./list.js";
import { failed, status, toast } from "./notify.js";
import { state } from "./state.js";

var READONLY = "只读账号不能修改 / Your account is read-only";

/** What is missing before the server is asked; the server's own checks still apply. */
function problems(fields) {
  var out = [];
  if (state.mode !== "edit" && !/^[a-z0-9_]{3,80}$/.test($("f-id").value.trim())) out.push("条目 ID 需 3–80 个小写字母、数字或下划线 / The id needs 3–80 of a-z, 0-9, _");
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
  var mode = state.mode;
  var id = mode === "edit" ? state.current.id : $("f-id").value.trim();
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
  var made = { message_ids: state.cluster.message_ids, id: id, topic: fields.topic, question: fields.question, answer: fields.answer };
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

/** The entry as the server now has it: shown, and the lists that count it refreshed. */
export function afterSave(entry, message) {
  state.mode = "edit";
  state.current = entry;
  state.cluster = null;
  state.showingLive = false;
  renderEntry();
  loadHistory(entry.id);
  loadAll();
  loadList();
  if (state.inboxLoaded) loadInbox();
  toast(message, "ok");
  status(message);
}

function saveDraft() {
  if (!state.canEdit) { toast(READONLY, "error"); return; }
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

function publish() {
  if (!state.canEdit) { toast(READONLY, "error"); return; }
  var fields = readForm();
  if (refuseIfIncomplete(fields)) return;
  var id = state.mode === "edit" ? state.current.id : $("f-id").value.trim();
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
      if (state.mode === "new") { setBusy(false); return afterSave(saved, "已发布 v" + saved.version + " / Published version " + saved.version); }
      return api("POST", entryPath(saved.id, "/publish")).then(function (r) {
        setBusy(false);
        if (!r.ok) { failed("发布 Publish", r); afterSave(saved, "草稿已保存 / Draft saved"); return; }
        afterSave(r.body, "已发布 v" + r.body.version + "，机器人几秒内生效 / Published version " + r.body.version + "; the bot answers it within seconds");
      });
    }, function () { setBusy(false); failed("发布 Publish", null); });
  }
}

function discardDraft() {
  var current = state.current;
  if (!current || !current.draft) return;
  ask("放弃草稿？ Discard the draft?", "未发布的修改会被删除，线上版本 v" + current.version + " 不变。 The pending edits are deleted; the live version stays.",
    [{ label: "放弃草稿 Discard", value: "ok", cls: "danger" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
    if (v !== "ok") return;
    setBusy(true);
    api("DELETE", entryPath(state.current.id, "/draft")).then(function (r) {
      setBusy(false);
      if (!r.ok) { failed("放弃草稿 Discard draft", r); return; }
      afterSave(r.body, "草稿已放弃 / Draft discarded");
    }, function () { setBusy(false); failed("放弃草稿 Discard draft", null); });
  });
}

function archive() {
  var current = state.current;
  if (!current) return;
  ask("归档这个条目？ Archive this entry?", "机器人将不再使用「" + current.question.zh + "」回答，历史记录保留，可重新发布。 The bot stops using it; the history stays and it can be published again.",
    [{ label: "归档 Archive", value: "ok", cls: "danger" }, { label: "取消 Cancel", value: "cancel" }]).then(function (v) {
    if (v !== "ok") return;
    setBusy(true);
    api("DELETE", entryPath(state.current.id)).then(function (r) {
      setBusy(false);
      if (!r.ok) { failed("归档 Archive", r); return; }
      afterSave(r.body, "已归档 / Archived");
    }, function () { setBusy(false); failed("归档 Archive", null); });
  });
}

export function bindEditor() {
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
      if (!state.busy && state.canEdit) saveDraft();
    }
  });
  window.addEventListener("beforeunload", function (e) {
    if (isDirty() && state.canEdit) { e.preventDefault(); e.returnValue = ""; }
  });
}
