/* Telling staff what happened: toasts (#toasts .toast.ok|.error) and the top bar's status line. */

import { errorText, NETWORK_ERROR } from "../common/api.js";
import { $, el } from "../common/dom.js";
import { clock } from "../common/time.js";

var TOAST_MS = 6000;

export function toast(text, kind) {
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

/** #status-line: the last thing done, with the time. */
export function status(text) {
  $("status-line").textContent = text ? clock() + " " + text : "";
  $("status-line").title = $("status-line").textContent;  // the line is cut short on narrow screens
}

/** A failed request (r null: the network): its detail as a toast and in the status line. */
export function failed(what, r) {
  var text = what + "：" + (r ? errorText(r) : NETWORK_ERROR);
  toast(text, "error");
  status(what + " ✗");
}
