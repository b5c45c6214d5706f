/* The page's two modal dialogs: a question with buttons (#dialog) and an entry picker (#picker);
 * and the conflict warnings some questions show. */

import { $, clear, el } from "../common/dom.js";
import { num } from "./format.js";
import { state } from "./state.js";

var WARNINGS = {
  better_match: "被其他条目抢答 Better match elsewhere",
  overlap: "问法重叠 Overlap",
  duplicate: "重复 Duplicate",
  answers_differ: "中英答案不一致 Answers disagree"
};

/** A modal question; resolves to the chosen button's value ("cancel" on Escape). */
export function ask(title, content, buttons) {
  var dialog = $("dialog");
  $("dialog-title").textContent = title;
  var body = $("dialog-content");
  clear(body);
  body.appendChild(typeof content === "string" ? el("p", "", content) : content);
  var row = $("dialog-buttons");
  clear(row);
  buttons.forEach(function (b) {
    var button = el("button", "btn " + (b.cls || ""), b.label);
    button.value = b.value;
    button.type = "submit";
    row.appendChild(button);
  });
  return new Promise(function (resolve) {
    dialog.addEventListener("close", function done() {
      dialog.removeEventListener("close", done);
      resolve(dialog.returnValue || "cancel");
    });
    dialog.returnValue = "";
    dialog.showModal();
    var last = row.lastChild;
    if (last) last.focus();  // the safe choice has the focus
  });
}

export function closeDialogs() {
  ["dialog", "picker"].forEach(function (id) { if ($(id).open) $(id).close("cancel"); });
}

/** Choose an entry by searching; resolves to its summary, or null. */
export function pickEntry() {
  var dialog = $("picker");
  var input = $("picker-search");
  input.value = "";
  return new Promise(function (resolve) {
    var chosen = null;
    var timer = null;
    function render() {
      var needle = input.value.trim().toLowerCase();
      var list = $("picker-list");
      clear(list);
      state.allEntries.filter(function (e) {
        if (!needle) return true;
        return (e.id + " " + e.question.zh + " " + e.question.en + " " + (e.tags || []).join(" ")).toLowerCase().indexOf(needle) >= 0;
      }).slice(0, 60).forEach(function (e) {
        var li = el("li");
        var b = el("button", "picker-item");
        b.type = "button";
        b.setAttribute("data-id", e.id);
        b.appendChild(el("span", "q-zh", e.question.zh));
        b.appendChild(el("span", "q-en en", e.id + " · " + e.question.en));
        b.addEventListener("click", function () { chosen = e; dialog.close("ok"); });
        li.appendChild(b);
        list.appendChild(li);
      });
    }
    function onInput() { if (timer) clearTimeout(timer); timer = setTimeout(render, 120); }
    input.addEventListener("input", onInput);
    dialog.addEventListener("close", function done() {
      dialog.removeEventListener("close", done);
      input.removeEventListener("input", onInput);
      resolve(chosen);
    });
    render();
    dialog.showModal();
    input.focus();
  });
}

/** Phrasings another entry may answer instead, as a list for a dialog. */
export function warningList(warnings) {
  var list = el("ul", "warnings");
  warnings.forEach(function (w) {
    var li = el("li", "warning kind-" + w.kind);
    li.appendChild(el("span", "badge warn", WARNINGS[w.kind] || w.kind));
    li.appendChild(el("span", "warning-text", w.message || (w.text + " → " + w.other_id)));
    if (w.other_id) {
      var q = w.other_question || {};
      li.appendChild(el("span", "warning-other en", w.other_id + (q.zh ? " · " + q.zh : "") + " · " + num(w.score) + " vs " + num(w.own_score)));
    }
    list.appendChild(li);
  });
  return list;
}

export function bindDialogs() {
  $("picker-cancel").addEventListener("click", function () { $("picker").close("cancel"); });
}
