/* Who is logged in, in the top bar, and their presence (online, away, offline). */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $ } from "../common/dom.js";
import { showMe } from "../common/login.js";
import { flash } from "./flash.js";
import { state } from "./state.js";

export function renderMe() {
  var me = state.me;
  if (!me) return;
  showMe(me);
  $("me-skills").textContent = (me.skills || []).map(function (s) {
    return state.queues[s] ? state.queues[s].name_zh : s;
  }).join(" · ");
  $("me-skills").title = "技能 Skills: " + (me.skills || []).join(", ");
  $("presence").value = me.presence || "online";
  $("presence").setAttribute("data-presence", me.presence || "online");
}

export function bindPresence() {
  $("presence").addEventListener("change", function () {
    var value = $("presence").value;
    var before = state.me ? state.me.presence : "online";
    api("POST", "/api/agent/presence", { presence: value }).then(function (r) {
      if (!r.ok) { $("presence").value = before; flash(errorText(r)); return; }
      state.me.presence = r.body.presence;
      renderMe();
    }, function () { $("presence").value = before; flash(NETWORK_ERROR); });
  });
}
