/* The scoring view: the sampled chat's transcript on one side, the checklist it is scored against
 * on the other (0 / 1 / 2 / N/A per item, a live total, a comment), saved as a draft or finished. */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { formatTime, parseDate } from "../common/time.js";
import {
  deskDate, flash, formatTotal, previewTotal, queueName, reviewStatus, SCORES, state, STATUS
} from "./shared.js";

var AUTHORS = { customer: "客户 Customer", bot: "机器人 Bot", agent: "客服 Agent", system: "系统 System" };
var saved = function () {};
var latest = 0;  // the newest open request: an older answer arriving late is dropped

export function openReview(id) {
  var mine = ++latest;
  return api("GET", "/api/quality/reviews/" + id).then(function (r) {
    if (mine !== latest) return;
    if (!r.ok) { flash(errorText(r), "error"); return; }
    state.openReview = r.body;
    render();
  }, function () { flash(NETWORK_ERROR, "error"); });
}

export function closeReview() {
  latest++;
  state.openReview = null;
  $("review-view").hidden = true;
  $("review-empty").hidden = false;
  $("panel-samples").classList.remove("reviewing");
  markSelected();
}

function markSelected() {
  var id = state.openReview ? String(state.openReview.id) : null;
  var rows = document.querySelectorAll("#samples .review-row");
  for (var i = 0; i < rows.length; i++) rows[i].classList.toggle("selected", rows[i].getAttribute("data-id") === id);
}

function render() {
  var r = state.openReview;
  $("review-empty").hidden = true;
  $("review-view").hidden = false;
  $("review-view").setAttribute("data-id", String(r.id));
  $("panel-samples").classList.add("reviewing");  // phones show the review instead of the list
  $("review-title").textContent = "#" + r.ticket_id + " · " + r.agent_name;
  $("review-sub").textContent = [queueName(r.queue), deskDate(r.closed_at), r.summary].filter(Boolean).join(" · ");
  renderStatus(r);
  renderTranscript(r.messages || []);
  renderItems(r);
  $("review-comment").value = r.comment || "";
  $("review-error").hidden = true;
  markSelected();
}

function renderStatus(r) {
  var status = reviewStatus(r);
  var pill = $("review-status");
  pill.className = "status-pill " + status;
  pill.textContent = STATUS[status] + (r.reviewer_name ? " · " + r.reviewer_name : "");
  $("review-view").setAttribute("data-status", status);
  $("review-version").textContent = "v" + r.checklist.version;
}

function safeUrl(value) {
  return typeof value === "string" && /^(https?:\/\/|\/(?!\/))/i.test(value) ? value : null;
}

function renderTranscript(messages) {
  var box = $("review-transcript");
  clear(box);
  messages.forEach(function (m) {
    var author = AUTHORS[m.author] ? m.author : "bot";
    var msg = el("div", "msg " + author);
    msg.setAttribute("data-id", String(m.id));
    var meta = el("div", "meta");
    var who = AUTHORS[author] + (author === "agent" && m.custom && m.custom.agent_name ? " " + m.custom.agent_name : "");
    meta.appendChild(el("span", "who", who));
    meta.appendChild(el("time", "time", formatTime(parseDate(m.created_at))));
    msg.appendChild(meta);
    if (m.text) msg.appendChild(el("div", "bubble", m.text));
    var files = (m.custom && m.custom.attachments) || [];
    files.forEach(function (a) {
      var url = a && safeUrl(a.url);
      if (!url) return;
      var link = el("a", "file", "📎 " + (a.name || (a.thumbnail_url ? "图片 Photo" : "PDF")));
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      msg.appendChild(link);
    });
    box.appendChild(msg);
  });
  if (!messages.length) box.appendChild(el("p", "empty", "没有消息 · No messages"));
}

function renderItems(r) {
  var list = $("review-items");
  clear(list);
  r.checklist.items.forEach(function (item) {
    var row = el("li", "score-item");
    row.setAttribute("data-key", item.key);
    var name = el("div", "item-name");
    name.appendChild(el("span", null, item.zh + " "));
    name.appendChild(el("span", "en", item.en));
    name.appendChild(el("span", "weight", "×" + item.weight));
    row.appendChild(name);
    var group = el("div", "segmented");
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", item.zh + " / " + item.en);
    SCORES.forEach(function (s) {
      var label = el("label", "seg");
      label.title = s.title;
      var input = el("input");
      input.type = "radio";
      input.name = "score-" + item.key;
      input.value = String(s.value);
      input.checked = r.scores[item.key] === s.value;
      input.addEventListener("change", showPreview);
      label.appendChild(input);
      label.appendChild(el("span", null, s.label));
      group.appendChild(label);
    });
    row.appendChild(group);
    list.appendChild(row);
  });
  showPreview();
}

function chosenScores() {
  var scores = {};
  state.openReview.checklist.items.forEach(function (item) {
    var picked = document.querySelector('input[name="score-' + item.key + '"]:checked');
    if (picked) scores[item.key] = picked.value === "na" ? "na" : Number(picked.value);
  });
  return scores;
}

function showPreview() {
  var items = state.openReview.checklist.items;
  var scores = chosenScores();
  $("review-total").textContent = formatTotal(previewTotal(items, scores));
  var scored = Object.keys(scores).length;
  $("review-scored").textContent = scored < items.length
    ? "已评 " + scored + "/" + items.length + " scored" : "";
}

function save(done) {
  var r = state.openReview;
  if (!r) return;
  var body = {
    scores: chosenScores(), comment: $("review-comment").value, done: done, checklist_version: r.checklist.version
  };
  var error = $("review-error");
  if (done) {
    var missing = r.checklist.items.filter(function (i) { return body.scores[i.key] === undefined; });
    if (missing.length) {
      error.textContent = "请为每一项评分后再完成 / Score every item first: " +
        missing.map(function (i) { return i.zh; }).join("、");
      error.hidden = false;
      return;
    }
  }
  error.hidden = true;
  $("save-draft").disabled = $("finish").disabled = true;
  api("PUT", "/api/quality/reviews/" + r.id, body).then(function (res) {
    $("save-draft").disabled = $("finish").disabled = false;
    if (!res.ok) {
      error.textContent = res.status === 409
        ? "检查表已修改，请重新打开此会话 / The checklist changed: open the review again" : errorText(res);
      error.hidden = false;
      return;
    }
    if (!state.openReview || state.openReview.id !== r.id) return;
    Object.assign(state.openReview, res.body);
    renderStatus(state.openReview);
    showPreview();
    $("review-total").textContent = formatTotal(res.body.total);
    flash(done ? "已完成，客服可以看到 / Finished: the agent can see it" : "草稿已保存 / Draft saved");
    saved(res.body);
  }, function () {
    $("save-draft").disabled = $("finish").disabled = false;
    error.textContent = NETWORK_ERROR;
    error.hidden = false;
  });
}

/** Wire the buttons; `onSaved(review)` hears of each save (the list updates its row). */
export function bindReview(onSaved) {
  saved = onSaved;
  $("save-draft").addEventListener("click", function () { save(false); });
  $("review-form").addEventListener("submit", function (e) { e.preventDefault(); save(true); });
  $("review-back").addEventListener("click", closeReview);
}
