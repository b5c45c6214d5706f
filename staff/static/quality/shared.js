/* What the quality page's views share: who is logged in, the desk's queues and people, names for
 * codes, the short message line, and the score arithmetic for the live preview. */

import { $ } from "../common/dom.js";

export var SUPERVISOR_ROLES = ["supervisor", "admin"];

export var state = {
  me: null,
  queues: {},       // id -> {id, name_zh, name_en}
  queueOrder: [],
  people: [],       // the desk's members: {id, display_name, role}
  today: null,      // the desk's date, "YYYY-MM-DD" (its clock may be frozen in demos and tests)
  samples: [],
  openReview: null  // the review in the scoring view, as GET /api/quality/reviews/{id} gave it
};

export var SCORES = [
  { value: 2, label: "2", title: "达标 Met" },
  { value: 1, label: "1", title: "部分达标 Partly met" },
  { value: 0, label: "0", title: "未达标 Missed" },
  { value: "na", label: "N/A", title: "不适用 Does not apply" }
];

export var STATUS = { draft: "草稿 Draft", done: "已完成 Done", todo: "待评 To score" };

export function isSupervisor() {
  return !!state.me && SUPERVISOR_ROLES.indexOf(state.me.role) >= 0;
}

export function queueName(id) {
  if (!id) return "全部队列 All queues";
  var q = state.queues[id];
  return q ? q.name_zh + " " + q.name_en : String(id);
}

export function personName(id) {
  for (var i = 0; i < state.people.length; i++) if (state.people[i].id === id) return state.people[i].display_name;
  return id ? "#" + id : "";
}

/** A review's state for the lists: never saved yet reads "to score". */
export function reviewStatus(r) {
  if (r.status === "done") return "done";
  return r.updated_at ? "draft" : "todo";
}

/** Mirrors handoff/quality.py's weighted_total for the preview while scoring; the saved total is the server's. */
export function previewTotal(items, scores) {
  var points = 0;
  var weight = 0;
  items.forEach(function (item) {
    var s = scores[item.key];
    if (s === undefined || s === "na") return;
    points += item.weight * s;
    weight += item.weight;
  });
  return weight ? Math.round(1000 * points / (2 * weight)) / 10 : null;
}

export function formatTotal(total) {
  return total === null || total === undefined ? "—" : Number(total).toFixed(1);
}

/** "2026-11-23" of an ISO timestamp, in the desk's time zone. */
export function deskDate(iso) {
  if (!iso) return "";
  var d = new Date(iso);
  if (isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(d);
}

/** The date `days` before "YYYY-MM-DD". */
export function daysBefore(day, days) {
  var d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

var flashTimer = null;

/** A short message under the top bar; errors stay until the next one. */
export function flash(text, kind) {
  var box = $("flash");
  box.textContent = text;
  box.setAttribute("data-kind", kind || "info");
  box.hidden = !text;
  clearTimeout(flashTimer);
  if (text && kind !== "error") flashTimer = setTimeout(function () { box.hidden = true; }, 4000);
}
