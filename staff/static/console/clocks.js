/* The clocks on the tickets, repainted every second on the desk's clock: the first-response
 * countdown (.countdown[data-due]) and how long a customer has waited (.waited[data-since]). */

import { formatSpan, formatTime, parseDate } from "../common/time.js";
import { paintSla } from "./context.js";
import { deskNow, state } from "./state.js";

/** Paint a countdown to first_response_due: green, amber in the last minute, red when late. */
export function paintCountdown(node) {
  var met = node.getAttribute("data-met");
  var due = parseDate(node.getAttribute("data-due"));
  var breached = node.getAttribute("data-breached") === "true";
  var status;
  var text;
  if (met) {
    status = breached ? "breached" : "met";
    text = breached ? "首响超时 SLA missed" : "已首响 ✓ responded";
  } else if (!due) {
    status = "none";
    text = "";
  } else {
    var left = (due.getTime() - deskNow()) / 1000;
    if (left < 0 || breached) {
      status = "overdue";
      text = "超时 " + formatSpan(-left) + " overdue";
    } else {
      status = left < 60 ? "soon" : "running";
      text = "剩 " + formatSpan(left) + " left";
    }
  }
  node.textContent = text;
  node.setAttribute("data-state", status);
  node.classList.toggle("overdue", status === "overdue" || status === "breached");
  node.classList.toggle("soon", status === "soon");
  node.title = due ? "首次响应截止 First response due " + formatTime(new Date(due.getTime() - state.clockOffset)) : "";
}

export function paintWaited(node) {
  var since = parseDate(node.getAttribute("data-since"));
  var label = node.getAttribute("data-label") || "等待";
  node.textContent = since ? label + " " + formatSpan((deskNow() - since.getTime()) / 1000) : "";
  node.title = label === "等待" ? "已等待 Waiting for" : "自转人工起 Since the handoff";
}

export function tick() {
  var i;
  var downs = document.querySelectorAll(".countdown[data-due]");
  for (i = 0; i < downs.length; i++) paintCountdown(downs[i]);
  var waits = document.querySelectorAll(".waited[data-since]");
  for (i = 0; i < waits.length; i++) paintWaited(waits[i]);
  paintSla();
}
