/* #flash: one short message under the top bar (e.g. "already taken"), gone after a few seconds. */

import { $ } from "../common/dom.js";

var FLASH_MS = 6000;
var WHISPER_MS = 15000;  // a supervisor's whisper stays long enough to read mid-chat
var timer = null;

/** kind: "error" (the default), "warn", "info" or "whisper". */
export function flash(text, kind) {
  var box = $("flash");
  box.textContent = text;
  box.className = "flash " + (kind || "error");
  box.hidden = false;
  if (timer) clearTimeout(timer);
  timer = setTimeout(function () { box.hidden = true; }, kind === "whisper" ? WHISPER_MS : FLASH_MS);
}
