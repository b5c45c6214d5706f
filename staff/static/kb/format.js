/* The KB page's text helpers: phrasings and tags as typed, scores as shown. */

/** The non-empty lines of a textarea, trimmed, each once. */
export function lines(text) {
  var seen = {};
  return String(text || "").split("\n").map(function (s) { return s.trim(); }).filter(function (s) {
    if (!s || seen[s]) return false;
    seen[s] = true;
    return true;
  });
}

/** Tags typed with any of the usual separators (, ， 、 ; ； or a new line), each once. */
export function tagsOf(text) {
  var seen = {};
  return String(text || "").split(/[,，、;；\n]/).map(function (s) { return s.trim(); }).filter(function (s) {
    if (!s || seen[s]) return false;
    seen[s] = true;
    return true;
  });
}

export function isChinese(text) { return /[\u3400-\u9fff]/.test(String(text || "")); }

/** 0.873 -> "87%". */
export function pct(x) { return Math.round(Number(x || 0) * 100) + "%"; }

/** 0.873 -> "0.87"; nothing -> "—". */
export function num(x) { return x === null || x === undefined ? "—" : Number(x).toFixed(2); }
