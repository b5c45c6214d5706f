/* Try it: what the live bot would answer a customer's message, and why (the ranked candidates). */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { guardLeave, openEntry } from "./editor.js";
import { num, pct } from "./format.js";
import { failed } from "./notify.js";

var DECISIONS = {
  answer: "直接回答 Answers",
  clarify: "追问澄清 Asks which one",
  fallback: "没听懂 Falls back",
  decline: "婉拒（不是本店的事）Declines",
  handoff: "转人工 Hands over",
  action: "查询数据 Looks data up"
};

function tryIt(e) {
  e.preventDefault();
  var text = $("try-input").value.trim();
  if (!text) { $("try-input").focus(); return; }
  $("try-send").disabled = true;
  api("POST", "/api/kb/try", { text: text }).then(function (r) {
    $("try-send").disabled = false;
    if (!r.ok || !r.body) { failed("试一试 Try it", r); return; }
    renderTry(r.body);
  }, function () { $("try-send").disabled = false; failed("试一试 Try it", null); });
}

function renderTry(t) {
  var decision = t.decision || {};
  $("try-kind").textContent = DECISIONS[decision.kind] || decision.kind || "";
  $("try-kind").setAttribute("data-kind", decision.kind || "");
  var replies = $("try-replies");
  clear(replies);
  (decision.replies || []).forEach(function (reply) {
    var bubble = el("div", "bubble reply", reply.text);
    if (reply.buttons && reply.buttons.length) {
      var chips = el("div", "chips");
      reply.buttons.forEach(function (b) { chips.appendChild(el("span", "chip", b.title || b.payload)); });
      bubble.appendChild(chips);
    }
    replies.appendChild(bubble);
  });
  if (!replies.firstChild) replies.appendChild(el("p", "muted", "（无文字回复 · no text reply）"));
  var facts = $("try-facts");
  clear(facts);
  [
    ["语言 Language", t.language],
    ["归一化 Normalised", t.normalized],
    ["主题 Topic", t.topic],
    ["条目 Entry", t.faq_id || t.intent || "—"],
    ["置信度 Confidence", num(t.confidence)],
    ["愤怒 Anger", t.sentiment ? num(t.sentiment.anger) + (t.sentiment.angry ? " 生气 angry" : "") : "—"],
    ["动作 Action", decision.action || "—"]
  ].forEach(function (pair) {
    facts.appendChild(el("dt", "", pair[0]));
    facts.appendChild(el("dd", "", pair[1] === null || pair[1] === undefined || pair[1] === "" ? "—" : pair[1]));
  });
  $("try-why").textContent = t.why || "";
  var body = $("try-candidates");
  clear(body);
  (t.candidates || []).forEach(function (c, i) {
    var tr = el("tr", "candidate" + (i === 0 ? " top" : ""));
    tr.setAttribute("data-label", c.label);
    tr.appendChild(el("td", "rank", i + 1));
    var who = el("td", "who");
    var open = el("button", "link", (c.question && c.question.zh) || c.label);
    open.type = "button";
    open.title = "打开条目 Open the entry";
    open.addEventListener("click", function () { guardLeave().then(function (go) { if (go) openEntry(c.label); }); });
    who.appendChild(open);
    who.appendChild(el("span", "en block", c.label + (c.topic ? " · " + c.topic : "")));
    tr.appendChild(who);
    var conf = el("td", "confidence");
    var bar = el("span", "bar");
    var fill = el("span", "fill");
    fill.style.width = Math.max(0, Math.min(100, Number(c.confidence || 0) * 100)) + "%";
    bar.appendChild(fill);
    conf.appendChild(bar);
    conf.appendChild(el("span", "value", pct(c.confidence)));
    tr.appendChild(conf);
    var s = c.scores || {};
    tr.appendChild(el("td", "score", num(s.svm)));
    tr.appendChild(el("td", "score", num(s.nearest)));
    tr.appendChild(el("td", "score", num(s.fuzz)));
    tr.appendChild(el("td", "closest", c.example || "—"));
    body.appendChild(tr);
  });
  $("try-result").hidden = false;
}

export function bindTry() {
  $("try-form").addEventListener("submit", tryIt);
}
