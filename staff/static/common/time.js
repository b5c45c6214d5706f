/* Dates and times as the staff pages show them. */

export function pad2(n) { return (n < 10 ? "0" : "") + n; }

/** A server timestamp as a Date; one without a zone is UTC. Null when missing or unreadable. */
export function parseDate(value) {
  if (!value) return null;
  var s = String(value);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += "Z"; // no zone: UTC
  var d = new Date(s);
  return isNaN(d.getTime()) ? null : d;
}

/** "09:05". */
export function formatTime(d) {
  if (!d) return "";
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes());
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatSpan(seconds) {
  var s = Math.max(0, Math.floor(seconds));
  var h = Math.floor(s / 3600);
  var m = Math.floor((s % 3600) / 60);
  var rest = s % 60;
  return (h ? h + ":" + pad2(m) : String(m)) + ":" + pad2(rest);
}

/** "3-07 09:05"; text that is not a date comes back as it is. */
export function when(value) {
  if (!value) return "";
  var d = new Date(value);
  if (isNaN(d.getTime())) return String(value);
  return (d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " + pad2(d.getHours()) + ":" + pad2(d.getMinutes());
}

/** The time now, "09:05:30". */
export function clock() {
  var d = new Date();
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
}
