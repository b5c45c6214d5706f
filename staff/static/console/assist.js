/* Suggested answers beside the reply box (agent assist): the knowledge base's answers to what the
 * customer asked last, in the customer's language. A click puts one in the reply box, to send as
 * it is or edited first; nothing is sent on its own.
 *   GET /api/agent/tickets/{id}/suggestions -> {question, language, suggestions: [{entry_id, question, answer}]}
 */

import { api } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { state } from "./state.js";

var asked = "";  // "ticket id:latest customer message id" the shown suggestions are for

/** Fetch the suggestions again when the customer has said something new (or another ticket opened). */
export function renderAssist(mine) {
  var ticket = state.ticket;
  var box = $("assist");
  if (!ticket || !mine) { box.hidden = true; asked = ""; return; }
  var customer = (ticket.messages || []).filter(function (m) { return m.direction === "in"; });
  var latest = customer.length ? customer[customer.length - 1].id : 0;
  var key = ticket.id + ":" + latest;
  if (key === asked) return;
  asked = key;
  api("GET", "/api/agent/tickets/" + ticket.id + "/suggestions").then(function (r) {
    if (asked !== key) return;  // a newer message or another ticket since
    var found = (r.ok && r.body && r.body.suggestions) || [];
    show(found);
  }, function () { box.hidden = true; });
}

function show(found) {
  var box = $("assist");
  var list = $("assist-list");
  clear(list);
  box.hidden = !found.length;
  found.forEach(function (s) {
    var chip = el("button", "assist-chip", s.question);
    chip.type = "button";
    chip.title = s.answer;
    chip.setAttribute("data-entry", s.entry_id);
    chip.addEventListener("click", function () {
      var input = $("reply-input");
      input.value = s.answer;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.focus();
    });
    list.appendChild(chip);
  });
}
