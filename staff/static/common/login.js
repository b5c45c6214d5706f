/* The staff login, one for /console and /kb: the form, the session a reload resumes, its expiry,
 * logging out, and who belongs on which page. A page names the roles it serves and where anyone
 * else goes: a kb_editor has no chats, so /console sends them to /kb; /kb lets every role read. */

import { $ } from "./dom.js";
import { api, errorText, NETWORK_ERROR, onExpired, savedToken, setToken } from "./api.js";

export var ROLES = { agent: "客服 Agent", kb_editor: "知识库编辑 KB editor", supervisor: "主管 Supervisor", admin: "管理员 Admin" };
export var DESK_ROLES = ["agent", "supervisor", "admin"];      // who works chats (handoff/agents.py)
export var EDITOR_ROLES = ["kb_editor", "supervisor", "admin"];  // who edits the FAQ (staff/kb_api.py)

// The form, the same on every staff page; the page gives its title in #login-view's data-title/-sub.
var FORM =
  '<form id="login-form" class="login-card" autocomplete="on" novalidate>' +
  '<div class="login-brand"><div class="brand-mark" aria-hidden="true">优</div>' +
  '<div><h1 class="login-title"></h1><p class="login-sub"></p></div></div>' +
  '<label for="username">用户名 <span class="en">Username</span></label>' +
  '<input id="username" name="username" autocomplete="username" maxlength="64" required autofocus>' +
  '<label for="password">密码 <span class="en">Password</span></label>' +
  '<input id="password" name="password" type="password" autocomplete="current-password" maxlength="200" required>' +
  '<p id="login-error" class="form-error" role="alert" hidden></p>' +
  '<button id="login" type="submit" class="btn primary block">登录 <span class="en">Log in</span></button>' +
  "</form>";

(function drawForm() {
  var view = $("login-view");
  if (!view || view.querySelector("form")) return;
  view.innerHTML = FORM; // a constant: nothing from the page or the server goes into it
  view.querySelector(".login-title").textContent = view.dataset.title || "";
  view.querySelector(".login-sub").textContent = view.dataset.sub || "";
})();

var TEXT = {
  missing: "请输入用户名和密码 / Enter your username and password",
  wrongLogin: "用户名或密码错误 / Wrong username or password",
  expired: "登录已过期，请重新登录 / Session expired, please log in again"
};

export function showLogin(message) {
  $("app").hidden = true;
  $("login-view").hidden = false;
  var err = $("login-error");
  err.textContent = message || "";
  err.hidden = !message;
  $("password").value = "";
  $("login").disabled = false;
  ($("username").value ? $("password") : $("username")).focus();
}

/** The logged-in member of staff in the top bar: #me-name, #me-role[data-role]. */
export function showMe(agent) {
  $("me-name").textContent = agent.display_name + " (" + agent.username + ")";
  $("me-role").textContent = ROLES[agent.role] || agent.role;
  $("me-role").setAttribute("data-role", agent.role);
}

/**
 * Wire the login form and the log-out button, then resume the saved session or ask to log in.
 * page.enter(agent) shows the page to someone it serves; page.leave() forgets what it showed
 * (after logging out or expiry); page.roles (optional) are the roles it serves, and
 * page.elsewhere where anyone else is sent.
 */
export function startLogin(page) {
  function admit(agent) {
    if (page.roles && page.roles.indexOf(agent.role) < 0) {
      window.location.replace(page.elsewhere);  // the session goes along: the token is in sessionStorage
      return;
    }
    page.enter(agent);
  }

  function forget() {
    setToken(null);
    page.leave();
  }

  onExpired(function () {
    forget();
    showLogin(TEXT.expired);
  });

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var username = $("username").value.trim();
    var password = $("password").value;
    if (!username || !password) { showLogin(TEXT.missing); return; }
    $("login").disabled = true;
    api("POST", "/api/agent/login", { username: username, password: password }).then(function (r) {
      $("login").disabled = false;
      if (r.status === 401) { showLogin(TEXT.wrongLogin); $("username").value = username; return; }
      if (!r.ok || !r.body || !r.body.token) { showLogin(errorText(r)); return; }
      setToken(r.body.token);
      admit(r.body.agent);
    }, function () {
      $("login").disabled = false;
      showLogin(NETWORK_ERROR);
    });
  });

  $("logout").addEventListener("click", function () {
    var done = function () { forget(); showLogin(""); };
    api("POST", "/api/agent/logout").then(done, done);
  });

  var saved = savedToken();
  if (!saved) { showLogin(""); return; }
  setToken(saved);
  api("GET", "/api/agent/me").then(function (r) {
    if (r.ok && r.body) admit(r.body);
    else if (r.status !== 401) { forget(); showLogin(errorText(r)); }  // a 401 has shown the expiry already
  }, function () { forget(); showLogin(NETWORK_ERROR); });
}
