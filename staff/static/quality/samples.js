/* Drawing samples and the list of them: each sample's filters and its chats, with how far each
 * review is; choosing a chat opens it for scoring. */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { openReview } from "./review.js";
import {
  daysBefore, deskDate, flash, formatTotal, personName, queueName, reviewStatus, state, STATUS
} from "./shared.js";

/** The filters' choices: the desk's members who take chats and its queues; the last 30 days. */
export function fillDrawForm() {
  var agents = $("draw-agent");
  while (agents.options.length > 1) agents.remove(1);
  state.people.forEach(function (p) {
    if (p.role === "kb_editor") return;
    agents.appendChild(new Option(p.display_name + " (" + p.username + ")", String(p.id)));
  });
  var queues = $("draw-queue");
  while (queues.options.length > 1) queues.remove(1);
  state.queueOrder.forEach(function (id) { queues.appendChild(new Option(queueName(id), id)); });
  if (state.today && !$("draw-to").value) {
    $("draw-to").value = state.today;
    $("draw-from").value = daysBefore(state.today, 30);
  }
}

export function loadSamples() {
  return api("GET", "/api/quality/samples").then(function (r) {
    if (!r.ok) { flash(errorText(r), "error"); return; }
    state.samples = r.body.samples || [];
    renderSamples();
  }, function () { flash(NETWORK_ERROR, "error"); });
}

function draw(e) {
  e.preventDefault();
  var body = {
    from: $("draw-from").value,
    to: $("draw-to").value,
    size: Number($("draw-size").value)
  };
  if (!body.from || !body.to) { flash("请选择日期 / Choose the dates", "error"); return; }
  if ($("draw-agent").value) body.agent_id = Number($("draw-agent").value);
  if ($("draw-queue").value) body.queue = $("draw-queue").value;
  $("draw").disabled = true;
  api("POST", "/api/quality/samples", body).then(function (r) {
    $("draw").disabled = false;
    if (!r.ok) {
      flash(r.status === 422 && /no resolved chat/.test(errorText(r))
        ? "没有符合条件、尚未抽过的已解决会话 / No resolved chat matches that is not drawn already"
        : errorText(r), "error");
      return;
    }
    state.samples = [r.body].concat(state.samples.filter(function (s) { return s.id !== r.body.id; }));
    renderSamples();
    flash("抽中 " + r.body.reviews.length + " 个会话 / Drew " + r.body.reviews.length + " chats");
  }, function () { $("draw").disabled = false; flash(NETWORK_ERROR, "error"); });
}

function filtersText(s) {
  var who = s.agent_id ? s.agent_name || personName(s.agent_id) : "全部客服 All agents";
  return [who, queueName(s.queue), s.from + " – " + s.to].join(" · ");
}

export function renderSamples() {
  var box = $("samples");
  clear(box);
  $("samples-empty").hidden = state.samples.length > 0;
  var open = state.openReview ? state.openReview.id : null;
  state.samples.forEach(function (s) {
    var card = el("section", "sample");
    card.setAttribute("data-id", String(s.id));
    var head = el("div", "sample-head");
    var done = s.reviews.filter(function (r) { return r.status === "done"; }).length;
    head.appendChild(el("strong", null, "#" + s.id + " · " + filtersText(s)));
    head.appendChild(el("span", "hint", s.drawn_by_name + " · " + deskDate(s.created_at) +
      " · " + done + "/" + s.reviews.length + " 完成 done"));
    card.appendChild(head);
    var list = el("ul", "review-rows");
    s.reviews.forEach(function (r) {
      var item = el("li");
      var row = el("button", "review-row" + (r.id === open ? " selected" : ""));
      row.type = "button";
      var status = reviewStatus(r);
      row.setAttribute("data-id", String(r.id));
      row.setAttribute("data-status", status);
      row.appendChild(el("span", "ticket-no", "#" + r.ticket_id));
      row.appendChild(el("span", "row-main", r.agent_name + " · " + queueName(r.queue) + " · " + deskDate(r.closed_at)));
      row.appendChild(el("span", "status-pill " + status, STATUS[status]));
      row.appendChild(el("span", "row-total", r.status === "done" ? formatTotal(r.total) : ""));
      row.addEventListener("click", function () { openReview(r.id); });
      item.appendChild(row);
      list.appendChild(item);
    });
    card.appendChild(list);
    box.appendChild(card);
  });
}

/** A review saved: its row in the list shows its new state. */
export function updateRow(review) {
  state.samples.forEach(function (s) {
    s.reviews = s.reviews.map(function (r) { return r.id === review.id ? Object.assign({}, r, review) : r; });
  });
  renderSamples();
}

export function bindSamples() {
  $("draw-form").addEventListener("submit", draw);
}
