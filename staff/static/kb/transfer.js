/* Import and export: a YAML, CSV or Excel file is dry-run first (all or nothing, with a progress
 * bar over the server's NDJSON lines), then imported; every entry exports in four formats. */

import { bearer, sessionExpired } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { ask } from "./dialogs.js";
import { openEntry } from "./editor.js";
import { loadAll, loadList } from "./list.js";
import { failed, status, toast } from "./notify.js";
import { state } from "./state.js";

var PHASES = { parse: "解析 Parsing", validate: "校验 Checking", write: "写入 Writing" };
var FORMATS = { yaml: "yaml", yml: "yaml", csv: "csv", xlsx: "xlsx" };

var importFile = null;
var importFormat = null;
var dryRunOk = false;

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
    headers: Object.assign({ "Accept": "application/x-ndjson", "Content-Type": "application/octet-stream" }, bearer()),
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
    $("dry-run").disabled = !state.canEdit;
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
      // The entries change under the page; the report stays where the editor is reading it.
      if (!dryRun) { loadAll(); loadList(); if (state.current && state.mode === "edit") openEntry(state.current.id, { stay: true }); }
    } else {
      $("import-progress").setAttribute("data-done", "failed");
      $("import-phase").textContent = "文件有错误，什么都没有写入 · Nothing was written";
      renderErrors(end.errors || []);
      status("导入失败 Import refused");
    }
  }, function () {
    $("dry-run").disabled = !state.canEdit;
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
  fetch("/api/kb/export?format=" + format, { headers: bearer() }).then(function (res) {
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

export function bindTransfer() {
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
