/* The page's four tabs: entries, try it, the inbox, import/export. */

import { $ } from "../common/dom.js";
import { loadInbox } from "./inbox.js";
import { state } from "./state.js";

var TABS = ["entries", "try", "inbox", "transfer"];

export function showTab(name) {
  TABS.forEach(function (n) {
    $("tab-" + n).setAttribute("aria-selected", n === name ? "true" : "false");
    $("panel-" + n).hidden = n !== name;
  });
  if (name === "inbox" && !state.inboxLoaded) loadInbox();
  if (name === "try") $("try-input").focus();
}

export function bindTabs() {
  TABS.forEach(function (name) {
    $("tab-" + name).addEventListener("click", function () { showTab(name); });
  });
}
