/* "我的质检 / My reviews": the logged-in agent's finished reviews, each with its scores item by
 * item, the total and the reviewer's comment (drafts and colleagues' reviews never come here). */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { deskDate, flash, formatTotal, queueName, SCORES } from "./shared.js";

function scoreLabel(value) {
  for (var i = 0; i < SCORES.length; i++) if (SCORES[i].value === value) return SCORES[i].label + " " + SCORES[i].title;
  return "—";
}

function card(r) {
  var li = el("li", "card my-review");
  li.setAttribute("data-id", String(r.id));
  var head = el("div", "my-head");
  var title = el("div", "my-title");
  title.appendChild(el("strong", null, "#" + r.ticket_id + " · " + queueName(r.queue)));
  title.appendChild(el("span", "hint", deskDate(r.closed_at) + (r.summary ? " · " + r.summary : "")));
  head.appendChild(title);
  var total = el("div", "my-total");
  total.appendChild(el("span", "total", formatTotal(r.total)));
  total.appendChild(el("span", "muted", "/ 100"));
  head.appendChild(total);
  li.appendChild(head);

  var items = el("dl", "my-scores");
  ((r.checklist && r.checklist.items) || []).forEach(function (item) {
    var value = r.scores[item.key];
    items.appendChild(el("dt", null, item.zh + " " + item.en));
    var dd = el("dd", "score score-" + String(value), scoreLabel(value));
    dd.setAttribute("data-key", item.key);
    items.appendChild(dd);
  });
  li.appendChild(items);
  var comment = el("blockquote", "comment", r.comment || "（无评语 No comment）");
  li.appendChild(comment);
  li.appendChild(el("p", "hint", "质检人 Reviewer: " + (r.reviewer_name || "") + " · " + deskDate(r.done_at)));
  return li;
}

export function loadMine() {
  return api("GET", "/api/quality/mine").then(function (r) {
    if (!r.ok) { flash(errorText(r), "error"); return; }
    var reviews = r.body.reviews || [];
    var list = $("mine-list");
    clear(list);
    reviews.forEach(function (review) { list.appendChild(card(review)); });
    $("mine-empty").hidden = reviews.length > 0;
    var totals = reviews.map(function (x) { return x.total; }).filter(function (t) { return t !== null; });
    var average = totals.length ? totals.reduce(function (a, b) { return a + b; }, 0) / totals.length : null;
    $("mine-summary").textContent = reviews.length
      ? reviews.length + " 次质检，平均 " + formatTotal(average) + " 分 · " + reviews.length + " reviews, average " + formatTotal(average)
      : "";
  }, function () { flash(NETWORK_ERROR, "error"); });
}
