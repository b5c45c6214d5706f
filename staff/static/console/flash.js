/* #flash: one short message under the top bar (e.g. "already taken"), gone after a few seconds. */

import { $ } from "../common/dom.js";

var FLASH_MS = 6000;
var timer = null;

/** kind: "error" (the default), "warn" or "info". */
export function flash(text, kind) {
  var box = $("flash");
  box.textContent = text;
  box.className = "flash " + (kind || "error");
  box.hidden = false;
  if (timer) clearTimeout(timer);
  timer = setTimeout(function () { box.hidden = true; }, FLASH_MS);
}
