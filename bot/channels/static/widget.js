/* 优选生活 YouXuan Life — the chat widget for the merchant's own pages.
 *
 * One tag on any page of the shop:
 *   <script src="https://<chat server>/widget.js" async data-lang="zh"
 *           data-customer-phone="…" data-customer-expires="…" data-customer-signature="…"></script>
 * draws a round button in the bottom-right corner; pressing it opens the chat (the server's
 * /embed page in a frame). The conversation is kept by the frame, on the chat server's side, so
 * it carries across the shop's pages and reloads; whether the panel is open is kept per tab.
 * A logged-in shopper's identity (signed by the shop's server) goes to the frame in its address
 * fragment, which browsers never send to a server.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__triageWidget) return;
  window.__triageWidget = true;

  var base = new URL(script.src).origin;
  var data = script.dataset;
  var lang = data.lang === "en" ? "en" : "zh";
  var OPEN_KEY = "triage_widget_open";
  // The chat's session, kept here in the shop's own storage: a framed page may be refused its own.
  var TOKEN_KEY = "triage_widget_session";
  var LABEL = lang === "en" ? { open: "Chat with us", close: "Close chat" } : { open: "在线客服", close: "关闭客服窗口" };

  function kept(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function keep(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* this page only */ }
  }

  function fragment() {
    var parts = ["lang=" + lang];
    var session = kept(TOKEN_KEY);
    if (session) parts.push("token=" + encodeURIComponent(session));
    if (data.customerPhone && data.customerSignature) {
      var customer = { phone: data.customerPhone, signature: data.customerSignature };
      if (data.customerExpires) customer.expires = parseInt(data.customerExpires, 10);
      parts.push("customer=" + encodeURIComponent(JSON.stringify(customer)));
    }
    return "#" + parts.join("&");
  }

  function remembered() {
    try { return window.sessionStorage.getItem(OPEN_KEY) === "1"; } catch (e) { return false; }
  }

  function remember(open) {
    try { window.sessionStorage.setItem(OPEN_KEY, open ? "1" : "0"); } catch (e) { /* this page only */ }
  }

  var css = [
    ".triage-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;",
    "border-radius:50%;border:0;background:#0f766e;color:#fff;font:600 22px/56px system-ui,sans-serif;",
    "box-shadow:0 6px 20px rgba(0,0,0,.25);cursor:pointer;padding:0}",
    ".triage-launcher:focus-visible{outline:3px solid #99f6e4;outline-offset:2px}",
    ".triage-panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:380px;height:600px;",
    "max-height:calc(100vh - 108px);border:0;border-radius:14px;overflow:hidden;background:#fff;",
    "box-shadow:0 12px 40px rgba(0,0,0,.3)}",
    ".triage-panel[hidden]{display:none}",
    ".triage-panel iframe{width:100%;height:100%;border:0;display:block}",
    "@media (max-width:480px){.triage-panel{right:0;bottom:0;width:100vw;height:100%;max-height:none;",
    "border-radius:0}.triage-launcher.is-open{bottom:auto;top:12px;right:12px;width:40px;height:40px;",
    "line-height:40px;font-size:18px}}"
  ].join("");

  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  var panel = document.createElement("div");
  panel.className = "triage-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", LABEL.open);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "triage-launcher";

  var frame = null;
  function setOpen(open) {
    if (open && !frame) {  // the chat loads on first open, not with every page of the shop
      frame = document.createElement("iframe");
      frame.title = LABEL.open;
      frame.src = base + "/embed" + fragment();
      frame.allow = "camera; clipboard-read; clipboard-write";
      panel.appendChild(frame);
    }
    panel.hidden = !open;
    launcher.classList.toggle("is-open", open);
    launcher.textContent = open ? "×" : (lang === "en" ? "?" : "客");
    launcher.setAttribute("aria-label", open ? LABEL.close : LABEL.open);
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    remember(open);
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== base || !frame || e.source !== frame.contentWindow) return;
    if (d && d.type === "triage:session" && typeof d.token === "string" && d.token.length < 1024) keep(TOKEN_KEY, d.token);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) { setOpen(false); launcher.focus(); }
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    setOpen(remembered());
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
