/* CSV and Excel downloads of the figures by day, queue or agent for the period (the days for the
 * queue and agent chosen). The API wants the bearer token, which a plain link cannot send: fetch
 * the file, then save it from a blob. */

import { bearer, errorText, NETWORK_ERROR, sessionExpired } from "../common/api.js";
import { $ } from "../common/dom.js";
import { query, state } from "./state.js";

function say(text, failed) {
  var line = $("export-status");
  line.textContent = text;
  line.classList.toggle("failed", !!failed);
}

function save(blob, name) {
  var url = URL.createObjectURL(blob);
  var a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
}

function download(button) {
  var view = button.getAttribute("data-view");
  var format = button.getAttribute("data-format");
  var f = state.filters;
  var fallback = "report-" + view + "-" + f.from + "-" + f.to + "." + format;
  button.disabled = true;
  say("导出中… Exporting " + view + "." + format);
  // The days follow the queue and agent chosen; the queue and agent views list them all.
  var path = "/api/reports/export?" + query(view !== "daily", { view: view, format: format });
  fetch(path, { headers: bearer() }).then(function (res) {
    button.disabled = false;
    if (res.status === 401) { sessionExpired(); return; }
    if (!res.ok) {
      return res.json().catch(function () { return null; }).then(function (body) {
        say("导出失败 Export failed: " + errorText({ status: res.status, body: body }), true);
      });
    }
    var disposition = res.headers.get("Content-Disposition") || "";
    var match = /filename="?([^";]+)"?/.exec(disposition);
    var name = match ? match[1] : fallback;
    return res.blob().then(function (blob) {
      save(blob, name);
      say("已导出 Exported " + name);
    });
  }, function () {
    button.disabled = false;
    say(NETWORK_ERROR, true);
  });
}

export function bindExport() {
  Array.prototype.forEach.call(document.querySelectorAll(".export"), function (button) {
    button.addEventListener("click", function () { download(button); });
  });
}
