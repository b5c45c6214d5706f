/* The history pane on the right: the open entry's versions, the diff between two ticked ones, and
 * rolling back to one. */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { when } from "../common/time.js";
import { ask } from "./dialogs.js";
import { entryPath, renderEntry, setBusy } from "./editor.js";
import { failed } from "./notify.js";
import { afterSave } from "./save.js";
import { state } from "./state.js";

var versions = [];
var picked = [];   // the two versions ticked for the diff

/** The versions of entry id (null: a new entry, no history yet). */
export function loadHistory(id) {
  versions = [];
  picked = [];
  $("diff-box").hidden = true;
  clear($("versions"));
  $("history-empty").hidden = false;
  $("history-empty").textContent = id ? "读取中… Loading" : "新条目暂无历史 · No history yet";
  if (!id) return Promise.resolve();
  return api("GET", entryPath(id, "/history")).then(function (r) {
    if (!state.current || state.current.id !== id) return;
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
    if (v.version !== latest && state.canEdit) {
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
  var id = state.current.id;
  api("GET", entryPath(id, "/diff?from=" + from + "&to=" + to)).then(function (r) {
    if (!state.current || state.current.id !== id) return;
    if (!r.ok || !r.body) { failed("差异 Diff", r); return; }
    $("diff-title").textContent = "v" + from + " → v" + to;
    renderDiff($("diff"), r.body.diff || "");
    $("diff-box").hidden = false;
  }, function () { failed("差异 Diff", null); });
}

/** A unified diff, one line a span: .add .del .hunk .meta .ctx. */
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
    api("POST", entryPath(state.current.id, "/rollback"), { version: version }).then(function (r) {
      setBusy(false);
      if (!r.ok) { failed("回滚 Roll back", r); return; }
      afterSave(r.body, "已回滚到 v" + version + "（现为 v" + r.body.version + "）/ Rolled back to version " + version);
      if (r.body.draft) { state.showingLive = true; renderEntry(); }  // show what was restored, not the pending draft
    }, function () { setBusy(false); failed("回滚 Roll back", null); });
  });
}
