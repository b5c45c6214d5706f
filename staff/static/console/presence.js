/* Who is logged in, in the top bar, and their presence (online, away, offline). */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $ } from "../common/dom.js";
import { showMe } from "../common/login.js";
import { flash } from "./flash.js";
import { renderLists } from "./queue.js";
import { state } from "./state.js";

// What each presence means for the agent's work, said when they choose it.
var SAID = {
  online: "已上线：可以接入排队中的会话 / Online: you can take chats from the queue",
  away: "已设为离开：不会再给您分配新会话，您手上的会话不受影响 / Away: no new chats for you; your open chats stay yours",
  offline: "已下线：不会再给您分配新会话 / Offline: no new chats for you"
};

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
      renderLists();  // the queue's Claim buttons are for agents who are online
      flash(SAID[state.me.presence] || "", "info");
    }, function () { $("presence").value = before; flash(NETWORK_ERROR); });
  });
}
