/* The staff pages' HTTP: the session token (in sessionStorage, so /console and /kb share it and a
 * reload keeps it), JSON requests that carry it, and a readable message for a failed one. */

var TOKEN_KEY = "triage_agent_token";
var LOGIN_PATH = "/api/agent/login";

export var NETWORK_ERROR = "网络异常，请重试 / Network error, please retry";

var token = null;
var expired = function () {};

/** Keep a value for this tab's session (null forgets it). */
export function remember(key, value) {
  try {
    if (value) window.sessionStorage.setItem(key, String(value));
    else window.sessionStorage.removeItem(key);
  } catch (e) { /* storage blocked: nothing to restore after a reload */ }
}

export function recall(key) {
  try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
}

export function getToken() { return token; }

/** Use this token from now on, and after a reload (null logs out). */
export function setToken(value) {
  token = value;
  remember(TOKEN_KEY, value);
}

export function savedToken() { return recall(TOKEN_KEY); }

/** What to do when the server no longer knows the token (the login module decides). */
export function onExpired(handler) { expired = handler; }

/** The session ended under us: a 401 on a request made with a token. */
export function sessionExpired() {
  if (token) expired();
}

/** The Authorization header, for requests that are not JSON (uploads, downloads). */
export function bearer() {
  return token ? { "Authorization": "Bearer " + token } : {};
}

/** Resolves to {ok, status, body}; rejects only on a network failure. A 401 ends the session. */
export function api(method, path, body) {
  var headers = Object.assign({ "Accept": "application/json" }, bearer());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(path, {
    method: method,
    headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body)
  }).then(function (res) {
    return res.text().then(function (raw) {
      var parsed = null;
      try { parsed = raw ? JSON.parse(raw) : null; } catch (e) { parsed = null; }
      if (res.status === 401 && path !== LOGIN_PATH) sessionExpired();
      return { ok: res.ok, status: res.status, body: parsed };
    });
  });
}

/** What went wrong, in the server's words when it gave any (FastAPI's detail, string or list). */
export function errorText(r) {
  var detail = r && r.body && typeof r.body === "object" ? r.body.detail : null;
  if (typeof detail === "string" && detail.trim()) return detail.trim();
  if (Array.isArray(detail) && detail.length) {
    return detail.map(function (d) {
      if (!d || !d.msg) return String(d);
      var where = Array.isArray(d.loc) ? d.loc.filter(function (x) { return x !== "body"; }).join(".") : "";
      return (where ? where + ": " : "") + d.msg;
    }).join("；");
  }
  if (r && r.status === 404) return "服务器上没有这个接口或条目 / Not found on the server (HTTP 404)";
  return "请求失败 / Request failed" + (r && r.status ? " (HTTP " + r.status + ")" : "");
}
