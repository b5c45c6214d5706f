/* 优选生活 YouXuan Life — customer web chat client.
 *
 * Plain browser JavaScript, no build step, no external assets.
 * Server contract:
 *   GET  /conversations/{sender}      history (404 = new conversation)
 *   POST /webhooks/rest/webhook        send a message, reply = list of bot messages
 *   POST /media                        upload a photo (the raw file) -> {media_id, url, thumbnail_url}
 *                                      then sent as {sender, message: "", attachments: [{media_id}]}
 *   WS   /ws/chat/{sender}             server push (agent / system / bot messages)
 * A message's photos are in custom.attachments: [{media_id, content_type, name, url, thumbnail_url}],
 * the links signed and expiring (made when the history is read or the push is sent).
 *
 * Every piece of server or user text is inserted with textContent / text nodes,
 * never innerHTML.
 */
(function () {
  "use strict";

  var MAX_LEN = 2000;
  // In the shop's widget (/embed) the page is framed by the shop. The widget passes, in the address
  // fragment (which never reaches a server), the shopper's signed identity (bot/identity.py) and
  // the session it keeps for us in the shop's own storage: browsers that refuse a framed page its
  // storage (Safari, third-party storage blocked) would otherwise start a new chat on each page.
  var EMBEDDED = window.location.pathname === "/embed";
  var FRAGMENT = EMBEDDED ? fragmentParams() : {};
  var SIGNED_CUSTOMER = signedCustomer(FRAGMENT.customer);

  function fragmentParams() {
    var found = {};
    (window.location.hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      if (eq > 0) {
        try { found[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1)); } catch (e) { /* skip it */ }
      }
    });
    return found;
  }

  function signedCustomer(raw) {
    if (!raw) return null;
    try {
      var value = JSON.parse(raw);
      return value && typeof value.phone === "string" && typeof value.signature === "string" ? value : null;
    } catch (e) {
      return null;  // not a signed identity: an anonymous visitor
    }
  }

  /** Give the widget on the shop's page the session to keep for the next page (embedded only). */
  function tellWidget(sessionToken) {
    if (!EMBEDDED || window.parent === window) return;
    var ancestors = window.location.ancestorOrigins;
    var shop = ancestors && ancestors.length ? ancestors[0] : "*";  // frame-ancestors decides who frames us
    window.parent.postMessage({ type: "triage:session", token: sessionToken }, shop);
  }
  var SENDER_KEY = "triage_sender";
  var TOKEN_KEY = "triage_chat_token";
  var REQUEST_TIMEOUT_MS = 30000;
  // The server's limit by default (TRIAGE_MEDIA_MAX_BYTES); checked here too, so a phone does not
  // send megabytes only to be told no. The server's own answer (413) says the same.
  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var BACKOFF_MAX_MS = 15000;

  var TEXT = {
    welcome: "您好，我是优选生活智能客服小优，请问有什么可以帮您？\n" +
             "Hi, I'm the YouXuan Life assistant. How can I help you today?",
    networkError: "网络异常，请重试 / Network error, please retry",
    historyError: "历史消息加载失败 / Couldn't load earlier messages",
    tooFast: "发送太频繁，请稍等片刻再发 / You're sending too fast, please wait a moment",
    sessionRenewed: "会话已更新，请重新发送 / Your session was renewed, please send again",
    requestFailed: "发送失败，请重试 / Message not sent, please retry",
    notSent: "未发送 / Not sent",
    tooLong: "消息过长，最多 2000 字 / Message too long (max 2000 characters)",
    uploading: "图片上传中… / Uploading the photo…",
    photoTooBig: "图片太大，最大 10 MB / This photo is too big (10 MB at most)",
    notAPhoto: "只能发送图片（JPG、PNG、WebP、GIF） / Only photos can be sent (JPG, PNG, WebP or GIF)",
    photoFailed: "图片发送失败，请重试 / The photo was not sent, please retry",
    photo: "图片 / Photo",
    dropHere: "松开即可发送图片 / Drop to send the photo",
    agent: "人工客服",
    connecting: "连接中…",
    online: "在线",
    reconnecting: "重连中…",
    offline: "离线，重连中…"
  };

  var STARTERS = [
    "下单后多久发货",
    "我的订单到哪了",
    "货款什么时候到账",
    "How do I return an item?"
  ];

  // ---------------------------------------------------------------- elements
  var $messages, $scroller, $input, $send, $form, $counter, $typing, $banner, $status;
  var $chat, $attach, $photoInput, $lightbox, $lightboxImage;

  // ---------------------------------------------------------------- state
  var sender = null;
  var token = null;
  var inFlight = false;
  var composing = false;
  var ws = null;
  var wsAttempt = 0;
  var wsTimer = null;
  var wsEverOpened = false;

  // ---------------------------------------------------------------- identity
  // The server hands out the sender id with a session token (POST /chat/session); a returning
  // visitor renews theirs and keeps their conversation. Storage blocked: one session per visit.
  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* keep in memory */ }
  }

  function openSession(renew) {
    var old = renew ? (stored(TOKEN_KEY) || FRAGMENT.token || null) : null;
    return fetch("/chat/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(old ? { token: old } : {})
    }).then(function (res) {
      if (res.status === 401 && old) return openSession(false);  // expired: a new conversation
      if (!res.ok) throw new Error("session " + res.status);
      return res.json().then(function (s) {
        sender = s.sender_id;
        token = s.token;
        store(SENDER_KEY, sender);
        store(TOKEN_KEY, token);
        tellWidget(token);
        document.documentElement.setAttribute("data-sender", sender);
      });
    });
  }

  function authHeaders(extra) {
    var h = extra || {};
    if (token) h["Authorization"] = "Bearer " + token;
    return h;
  }

  // ---------------------------------------------------------------- helpers
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function parseDate(value) {
    if (!value) return new Date();
    var s = String(value);
    // A timestamp without zone information is taken to be UTC (server clock).
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += "Z";
    var d = new Date(s);
    return isNaN(d.getTime()) ? null : d;
  }

  function formatTime(d) {
    if (!d) return "";
    var now = new Date();
    var hm = pad2(d.getHours()) + ":" + pad2(d.getMinutes());
    if (d.toDateString() === now.toDateString()) return hm;
    var md = pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
    if (d.getFullYear() === now.getFullYear()) return md + " " + hm;
    return d.getFullYear() + "-" + md + " " + hm;
  }

  // Append text to a node, turning http(s) URLs into safe links (text nodes only).
  var URL_RE = /\bhttps?:\/\/[^\s<>"'（）。，；！？、]+/g;
  function appendLinkified(parent, text) {
    var str = String(text);
    var last = 0;
    var m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(str)) !== null) {
      var url = m[0].replace(/[.,;:!?)\]]+$/, "");
      if (!url) continue;
      if (m.index > last) parent.appendChild(document.createTextNode(str.slice(last, m.index)));
      var a = el("a", "link", url);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      parent.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < str.length) parent.appendChild(document.createTextNode(str.slice(last)));
  }

  function isNearBottom() {
    return $scroller.scrollHeight - $scroller.scrollTop - $scroller.clientHeight < 120;
  }

  function scrollToBottom() {
    $scroller.scrollTop = $scroller.scrollHeight;
  }

  // ---------------------------------------------------------------- rendering
  /**
   * Render one message row.
   * opts: {author: customer|bot|agent|system, text, buttons, time (Date), agentName,
   *        error (bool, system only), chipsEnabled (bool), force (scroll)}
   */
  function renderMessage(opts) {
    var author = opts.author || "bot";
    if (["customer", "bot", "agent", "system"].indexOf(author) < 0) author = "bot";
    var stick = opts.force || isNearBottom();

    var row = el("div", "msg " + author);
    row.setAttribute("data-author", author);

    if (author === "system") {
      if (opts.error) row.className += " error";
      row.appendChild(el("span", "notice", opts.text || ""));
      $messages.appendChild(row);
      if (stick) scrollToBottom();
      return row;
    }

    if (author === "agent") {
      var label = (opts.agentLabel || TEXT.agent) + (opts.agentName ? " · " + opts.agentName : "");
      row.appendChild(el("div", "label", label));
    }

    var hasText = opts.text !== undefined && opts.text !== null && String(opts.text) !== "";
    if (hasText) {
      var bubble = el("div", "bubble");
      appendLinkified(bubble, opts.text);
      row.appendChild(bubble);
    }

    if (opts.image && /^(https?:\/\/|\/)/i.test(String(opts.image))) {
      var img = el("img", "msg-image");
      img.src = String(opts.image);
      img.alt = "";
      img.loading = "lazy";
      row.appendChild(img);
    }

    var files = renderAttachments(opts.attachments);
    if (files) row.appendChild(files);

    if (Array.isArray(opts.buttons) && opts.buttons.length) {
      row.appendChild(renderChips(opts.buttons, opts.chipsEnabled !== false));
    }

    var t = opts.time === undefined ? new Date() : opts.time;
    if (t) {
      var time = el("time", "time", formatTime(t));
      try { time.setAttribute("datetime", t.toISOString()); } catch (e) { /* ignore */ }
      row.appendChild(time);
    }

    if (!row.querySelector(".bubble, .chips, .msg-image, .attachments")) return null; // nothing to show
    $messages.appendChild(row);
    if (stick) scrollToBottom();
    return row;
  }

  function safeUrl(value) {
    return typeof value === "string" && /^(https?:\/\/|\/(?!\/))/i.test(value) ? value : null;
  }

  /** A message's photos (a thumbnail each; a tap shows it whole) and other files (a link). */
  function renderAttachments(list) {
    if (!Array.isArray(list) || !list.length) return null;
    var box = el("div", "attachments");
    list.forEach(function (a) {
      if (!a || typeof a !== "object") return;
      var url = safeUrl(a.url);
      if (!url) return;
      var thumb = safeUrl(a.thumbnail_url);
      if (thumb) {
        var link = el("a", "photo");
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        var img = el("img", "photo-thumb");
        img.alt = a.name ? String(a.name) : TEXT.photo;
        keepInView(img);
        img.src = thumb;
        link.appendChild(img);
        link.addEventListener("click", function (e) {
          if (e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab, as asked
          e.preventDefault();
          openLightbox(url, img.alt);
        });
        box.appendChild(link);
      } else {
        var file = el("a", "file", a.name ? String(a.name) : "PDF");
        file.href = url;
        file.target = "_blank";
        file.rel = "noopener noreferrer";
        box.appendChild(file);
      }
    });
    return box.childNodes.length ? box : null;
  }

  /** A photo that arrives after its row was drawn grows the list: stay at the bottom if we were. */
  function keepInView(img) {
    img.addEventListener("load", function () {
      var below = $scroller.scrollHeight - $scroller.scrollTop - $scroller.clientHeight;
      if (below - img.offsetHeight < 120) scrollToBottom();
    });
  }

  function attachmentsOf(custom) {
    return custom && typeof custom === "object" && Array.isArray(custom.attachments) ? custom.attachments : null;
  }

  // ---------------------------------------------------------------- lightbox
  var lightboxReturn = null;

  function openLightbox(url, alt) {
    lightboxReturn = document.activeElement;
    $lightboxImage.src = url;
    $lightboxImage.alt = alt || TEXT.photo;
    $lightbox.hidden = false;
    document.getElementById("lightbox-close").focus();
  }

  function closeLightbox() {
    if ($lightbox.hidden) return;
    $lightbox.hidden = true;
    $lightboxImage.removeAttribute("src");
    if (lightboxReturn && lightboxReturn.focus) lightboxReturn.focus();
    lightboxReturn = null;
  }

  function bindLightbox() {
    $lightbox.addEventListener("click", closeLightbox);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") closeLightbox();
    });
  }

  function renderChips(buttons, enabled) {
    var group = el("div", "chips");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "快捷回复 / Quick replies");
    buttons.forEach(function (b) {
      if (!b) return;
      var title = b.title !== undefined && b.title !== null ? String(b.title) : String(b.payload || "");
      var payload = b.payload !== undefined && b.payload !== null ? String(b.payload) : title;
      if (!title && !payload) return;
      var chip = el("button", "chip", title || payload);
      chip.type = "button";
      chip.setAttribute("data-payload", payload);
      chip.disabled = !enabled;
      chip.addEventListener("click", function () {
        if (chip.disabled || inFlight) return;
        sendMessage(payload, title || payload, { chip: chip });
      });
      group.appendChild(chip);
    });
    if (!enabled) group.classList.add("used");
    return group;
  }

  function notice(text, isError) {
    return renderMessage({ author: "system", text: text, error: !!isError, force: true });
  }

  /** Disable every currently enabled chip; return the list so it can be restored. */
  function disableActiveChips() {
    var chips = $messages.querySelectorAll(".chip:not(:disabled)");
    var list = [];
    for (var i = 0; i < chips.length; i++) {
      chips[i].disabled = true;
      list.push(chips[i]);
      var g = chips[i].parentNode;
      if (g && g.classList) g.classList.add("used");
    }
    return list;
  }

  function restoreChips(list) {
    list.forEach(function (c) {
      c.disabled = false;
      c.classList.remove("selected");
      if (c.parentNode && c.parentNode.classList) c.parentNode.classList.remove("used");
    });
  }

  // ---------------------------------------------------------------- handoff banner
  function setHandoff(on) {
    // The banner takes height from the message list: keep the newest message in view.
    var stick = isNearBottom();
    $banner.hidden = !on;
    document.body.classList.toggle("handoff", !!on);
    if (stick) scrollToBottom();
  }

  function applyCustom(custom) {
    if (!custom || typeof custom !== "object") return;
    if (custom.handoff === true) setHandoff(true);
    // A person joined (they talk from here on), or the chat is back with the bot.
    if (custom.handoff === "joined" || custom.state === "bot") setHandoff(false);
  }

  /** Render one item from the webhook reply or a websocket push. */
  function renderServerItem(item) {
    if (!item || typeof item !== "object") return;
    var custom = item.custom && typeof item.custom === "object" ? item.custom : null;
    var author = "bot";
    var agentName = null;
    var agentLabel = null;
    if (custom) {
      if (custom.author === "agent") {
        author = "agent";
        agentName = custom.agent_name || null;
        agentLabel = custom.agent_label || null;  // in the customer's language: 人工客服 / Agent
      } else if (custom.author === "system") {
        author = "system";
      }
    }
    var text = typeof item.text === "string" ? item.text
      : (item.text !== undefined && item.text !== null ? String(item.text) : "");
    if (author === "system") {
      if (text) notice(text, false);
    } else {
      renderMessage({
        author: author,
        agentName: agentName,
        agentLabel: agentLabel,
        text: text,
        image: item.image,
        attachments: attachmentsOf(custom),
        buttons: item.buttons,
        chipsEnabled: true,
        time: new Date()
      });
    }
    applyCustom(custom);
  }

  // ---------------------------------------------------------------- typing / busy
  function setBusy(busy) {
    inFlight = busy;
    $typing.hidden = !busy;
    $form.setAttribute("aria-busy", busy ? "true" : "false");
    updateComposer();
    if (busy && isNearBottom()) scrollToBottom();
  }

  // ---------------------------------------------------------------- errors
  function errorText(status, body) {
    var detail = body && typeof body === "object" ? body.detail : null;
    if (typeof detail === "string" && detail.trim()) return detail.trim();
    if (Array.isArray(detail) && detail.length) {
      var parts = detail.map(function (d) {
        if (d && typeof d === "object" && d.msg) return String(d.msg);
        if (typeof d === "string") return d;
        return "";
      }).filter(Boolean);
      if (parts.length) return parts.join("；");
    }
    if (detail && typeof detail === "object" && detail.msg) return String(detail.msg);
    return TEXT.requestFailed + (status ? " (HTTP " + status + ")" : "");
  }

  // ---------------------------------------------------------------- sending
  function markFailed(row) {
    if (!row || row.classList.contains("failed")) return;
    row.classList.add("failed");
    var mark = el("span", "failed-mark", TEXT.notSent);
    var timeEl = row.querySelector(".time");
    if (timeEl) row.insertBefore(mark, timeEl); else row.appendChild(mark);
  }

  /** Read a response as {ok, status, body}, its body parsed when it is JSON. */
  function readResponse(res) {
    return res.text().then(function (raw) {
      var body = null;
      try { body = raw ? JSON.parse(raw) : null; } catch (e) { body = null; }
      return { ok: res.ok, status: res.status, body: body };
    });
  }

  /** A request refused because the session lapsed: renew it (same sender) so a resend goes through. */
  function renewSession() {
    openSession(true).then(function () { if (ws) ws.close(); }, function () {});
  }

  /**
   * Send one message (fields: message, attachments) to the bot and show its replies; while it is
   * on its way the composer is busy. `fail(text)` is told why it did not go.
   */
  function post(fields, fail) {
    setBusy(true);
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var metadata = { channel: EMBEDDED ? "widget" : "web", locale: navigator.language || "" };
    if (SIGNED_CUSTOMER) metadata.customer = SIGNED_CUSTOMER;
    var body = { sender: sender, message: fields.message || "", metadata: metadata };
    if (fields.attachments) body.attachments = fields.attachments;
    return fetch("/webhooks/rest/webhook", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", "Accept": "application/json" }),
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(readResponse).then(function (r) {
      if (timer) clearTimeout(timer);
      setBusy(false);
      if (r.status === 429) { fail(TEXT.tooFast); return; }
      if (r.status === 401) { fail(TEXT.sessionRenewed); renewSession(); return; }
      if (!r.ok) { fail(errorText(r.status, r.body)); return; }
      var items = Array.isArray(r.body) ? r.body : (r.body && typeof r.body === "object" ? [r.body] : []);
      items.forEach(renderServerItem);
    }).catch(function () {
      if (timer) clearTimeout(timer);
      setBusy(false);
      fail(TEXT.networkError);
    });
  }

  // ---------------------------------------------------------------- photos
  /** Why an upload was refused, in both languages (the server explains in English only). */
  function uploadError(r) {
    var detail = r.body && typeof r.body.detail === "string" ? r.body.detail : "";
    if (r.status === 413 || (r.status === 400 && /too large/i.test(detail))) return TEXT.photoTooBig;
    if (r.status === 400 || r.status === 415 || r.status === 422) return TEXT.notAPhoto;
    if (r.status === 429) return TEXT.tooFast;
    if (r.status === 401) return TEXT.sessionRenewed;
    return TEXT.photoFailed + (r.status ? " (HTTP " + r.status + ")" : "");
  }

  /**
   * Send a photo (chosen, pasted or dropped): shown at once as uploading in the customer's
   * bubble, uploaded (POST /media), then sent as a message with no words; the bot answers it.
   */
  function sendPhoto(file) {
    if (!file || inFlight) return;
    if (file.type && !/^image\//i.test(file.type)) { notice(TEXT.notAPhoto, true); return; }
    if (file.size > MAX_PHOTO_BYTES) { notice(TEXT.photoTooBig, true); return; }
    var disabled = disableActiveChips(); // a new turn: earlier suggestions no longer apply
    var row = renderMessage({ author: "customer", text: TEXT.uploading, time: new Date(), force: true });
    row.classList.add("uploading");
    row.setAttribute("aria-busy", "true");
    inFlight = true;
    updateComposer();

    function fail(text) {
      row.classList.remove("uploading");
      row.removeAttribute("aria-busy");
      var bubble = row.querySelector(".bubble");
      if (bubble) bubble.textContent = TEXT.photo + (file.name ? " · " + file.name : "");
      markFailed(row);
      restoreChips(disabled);
      notice(text, true);
    }

    fetch("/media", {
      method: "POST",
      headers: authHeaders({ "Content-Type": file.type || "application/octet-stream", "Accept": "application/json" }),
      body: file
    }).then(readResponse).then(function (r) {
      inFlight = false;
      updateComposer();
      if (!r.ok || !r.body || !r.body.media_id) {
        fail(uploadError(r));
        if (r.status === 401) renewSession();
        return;
      }
      // The photo replaces the uploading line in the bubble, then goes to the bot.
      var bubble = row.querySelector(".bubble");
      if (bubble) row.removeChild(bubble);
      var shown = renderAttachments([r.body]);
      if (shown) row.insertBefore(shown, row.querySelector(".time"));
      row.classList.remove("uploading");
      row.removeAttribute("aria-busy");
      var name = String(file.name || "").slice(0, 200);
      return post({ attachments: [{ media_id: r.body.media_id, name: name }] }, function (text) {
        markFailed(row);
        notice(text, true);
      });
    }).catch(function () {
      inFlight = false;
      updateComposer();
      fail(TEXT.networkError);
    });
  }

  /** The one image among `files`, if any (a paste or a drop may carry other things). */
  function imageIn(files) {
    if (!files) return null;
    for (var i = 0; i < files.length; i++) {
      if (!files[i].type || /^image\//i.test(files[i].type)) return files[i];
    }
    return files.length ? files[0] : null;
  }

  function hasFiles(e) {
    var types = e.dataTransfer && e.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  function bindPhotos() {
    $attach.addEventListener("click", function () {
      if (!inFlight) $photoInput.click();
    });
    $photoInput.addEventListener("change", function () {
      var file = $photoInput.files && $photoInput.files[0];
      $photoInput.value = ""; // the same photo may be chosen again
      if (file) sendPhoto(file);
    });
    // A pasted picture (a screenshot) is sent; pasted text goes in the box as always.
    document.addEventListener("paste", function (e) {
      var data = e.clipboardData;
      if (!data || !data.files || !data.files.length || data.getData("text/plain")) return;
      var file = imageIn(data.files);
      if (!file) return;
      e.preventDefault();
      sendPhoto(file);
    });
    var depth = 0; // dragenter/dragleave fire for every element crossed
    $chat.addEventListener("dragenter", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      $chat.classList.add("dragging");
    });
    $chat.addEventListener("dragover", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    });
    $chat.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) $chat.classList.remove("dragging");
    });
    $chat.addEventListener("drop", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      $chat.classList.remove("dragging");
      var file = imageIn(e.dataTransfer.files);
      if (file) sendPhoto(file);
    });
    // A photo dropped beside the chat must not replace the page with itself.
    window.addEventListener("dragover", function (e) { if (hasFiles(e)) e.preventDefault(); });
    window.addEventListener("drop", function (e) { if (hasFiles(e)) e.preventDefault(); });
  }

  /**
   * Send `message` to the bot; `display` is what the customer bubble shows
   * (the chip title for button clicks). opts.chip = the clicked chip, opts.fromInput = true
   * when the text came from the textarea.
   */
  function sendMessage(message, display, opts) {
    opts = opts || {};
    if (inFlight) return false;
    var msg = String(message || "").trim();
    if (!msg) return false;
    if (msg.length > MAX_LEN) { notice(TEXT.tooLong, true); return false; }

    var disabled = disableActiveChips();
    if (opts.chip) opts.chip.classList.add("selected");

    var bubble = renderMessage({ author: "customer", text: display || msg, time: new Date(), force: true });
    if (opts.fromInput) {
      $input.value = "";
      updateComposer();
      autosize();
    }

    function fail(text) {
      markFailed(bubble);
      restoreChips(disabled);
      if (opts.chip) opts.chip.classList.remove("selected");
      if (opts.fromInput) {
        // Give the text back so nothing is lost.
        var current = $input.value;
        if (!current.trim()) $input.value = msg;
        else if ((msg + "\n" + current).length <= MAX_LEN) $input.value = msg + "\n" + current;
        updateComposer();
        autosize();
      }
      notice(text, true);
    }

    post({ message: msg }, fail).then(function () {
      if (opts.fromInput && !isTouch()) $input.focus();
    });
    return true;
  }

  function isTouch() {
    return window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  }

  // ---------------------------------------------------------------- composer
  function updateComposer() {
    var len = $input.value.length;
    $counter.textContent = len + "/" + MAX_LEN;
    $counter.classList.toggle("warn", len >= MAX_LEN * 0.9);
    $counter.classList.toggle("full", len >= MAX_LEN);
    $send.disabled = inFlight || !$input.value.trim() || len > MAX_LEN;
    if ($attach) $attach.disabled = inFlight;
  }

  function autosize() {
    $input.style.height = "auto";
    var h = Math.min($input.scrollHeight, 140);
    $input.style.height = h + "px";
  }

  function submitFromInput() {
    if (inFlight) return;
    var text = $input.value;
    if (text.length > MAX_LEN) {
      $input.value = text = text.slice(0, MAX_LEN);
      updateComposer();
    }
    if (!text.trim()) { $input.value = ""; updateComposer(); autosize(); return; }
    sendMessage(text, text.trim(), { fromInput: true });
  }

  function bindComposer() {
    $input.addEventListener("compositionstart", function () { composing = true; });
    $input.addEventListener("compositionend", function () {
      // Safari fires the confirming Enter keydown *after* compositionend.
      setTimeout(function () { composing = false; }, 0);
    });
    $input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" && e.keyCode !== 13) return;
      if (e.isComposing || e.keyCode === 229 || composing) return; // IME is confirming a candidate
      if (e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return; // newline
      e.preventDefault();
      submitFromInput();
    });
    $input.addEventListener("input", function () {
      if ($input.value.length > MAX_LEN) $input.value = $input.value.slice(0, MAX_LEN);
      updateComposer();
      autosize();
    });
    $form.addEventListener("submit", function (e) {
      e.preventDefault();
      submitFromInput();
    });
  }

  // ---------------------------------------------------------------- history
  function showWelcome() {
    renderMessage({ author: "bot", text: TEXT.welcome, time: new Date() });
    var buttons = STARTERS.map(function (s) { return { title: s, payload: s }; });
    var row = renderMessage({ author: "bot", buttons: buttons, time: null });
    if (row) row.classList.add("starters");
  }

  function renderHistory(data) {
    var msgs = Array.isArray(data && data.messages) ? data.messages : [];
    // Chips stay clickable only if the customer has not written anything after them.
    var lastCustomer = -1;
    msgs.forEach(function (m, i) {
      if (m && (m.author === "customer" || m.direction === "in")) lastCustomer = i;
    });
    msgs.forEach(function (m, i) {
      if (!m || typeof m !== "object") return;
      var author = m.author || (m.direction === "in" ? "customer" : "bot");
      var opts = {
        author: author,
        text: m.text,
        buttons: author === "customer" ? null : m.buttons,
        chipsEnabled: i > lastCustomer,
        time: parseDate(m.created_at),
        agentName: m.agent_name || (m.custom && m.custom.agent_name) || null,
        agentLabel: (m.custom && m.custom.agent_label) || null,
        image: m.image,
        attachments: attachmentsOf(m.custom),
        force: true
      };
      if (author === "system") {
        if (m.text) notice(m.text, false);
      } else {
        renderMessage(opts);
      }
    });
    if (!msgs.length) showWelcome();
    var state = data && data.state;
    setHandoff(state === "pending_handoff" || state === "human");
    scrollToBottom();
  }

  function loadHistory() {
    return fetch("/conversations/" + encodeURIComponent(sender), {
      headers: authHeaders({ "Accept": "application/json" })
    }).then(function (res) {
      if (res.status === 404) { showWelcome(); return; }
      if (!res.ok) { showWelcome(); notice(TEXT.historyError, true); return; }
      return res.json().then(renderHistory, function () { showWelcome(); });
    }).catch(function () {
      showWelcome();
      notice(TEXT.historyError, true);
    });
  }

  // ---------------------------------------------------------------- websocket
  function setStatus(state) {
    $status.setAttribute("data-state", state);
    var label = TEXT[state] || "";
    var t = $status.querySelector(".status-text");
    if (t) t.textContent = label;
    $status.title = {
      connecting: "Connecting…",
      online: "Online",
      reconnecting: "Reconnecting…",
      offline: "Offline, retrying…"
    }[state] || "";
  }

  function wsUrl() {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + window.location.host + "/ws/chat/" + encodeURIComponent(sender) +
      "?token=" + encodeURIComponent(token || "");
  }

  function connect() {
    if (wsTimer) { clearTimeout(wsTimer); wsTimer = null; }
    if (ws && (ws.readyState === 0 || ws.readyState === 1)) return;
    var sock;
    try {
      sock = new WebSocket(wsUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = function () {
      if (ws !== sock) return;
      wsAttempt = 0;
      wsEverOpened = true;
      setStatus("online");
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) return;
      if (typeof ev.data !== "string") return; // ignore binary frames
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; } // ignore non-JSON frames
      if (Array.isArray(data)) data.forEach(renderServerItem);
      else if (data && typeof data === "object") renderServerItem(data);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null;
      if (ev && ev.code === 4401) {  // the socket refused the session: renew it, then reconnect
        openSession(true).then(scheduleReconnect, scheduleReconnect);
        return;
      }
      scheduleReconnect();
    };
    sock.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (wsTimer) return;
    var delay = Math.min(1000 * Math.pow(2, wsAttempt), BACKOFF_MAX_MS);
    wsAttempt++;
    setStatus(wsEverOpened ? "reconnecting" : (navigator.onLine === false ? "offline" : "connecting"));
    if (navigator.onLine === false) setStatus("offline");
    wsTimer = setTimeout(function () { wsTimer = null; connect(); }, delay);
  }

  function bindConnectivity() {
    window.addEventListener("online", function () {
      if (!ws) { wsAttempt = 0; connect(); }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && !ws) { wsAttempt = 0; connect(); }
    });
  }

  // ---------------------------------------------------------------- init
  function init() {
    $messages = document.getElementById("messages");
    $scroller = document.getElementById("scroller");
    $input = document.getElementById("input");
    $send = document.getElementById("send");
    $form = document.getElementById("composer");
    $counter = document.getElementById("counter");
    $typing = document.getElementById("typing");
    $banner = document.getElementById("handoff-banner");
    $status = document.getElementById("status");
    $chat = document.getElementById("chat");
    $attach = document.getElementById("attach");
    $photoInput = document.getElementById("photo-input");
    $lightbox = document.getElementById("lightbox");
    $lightboxImage = document.getElementById("lightbox-image");
    $chat.setAttribute("data-drop-hint", TEXT.dropHere);

    bindComposer();
    bindPhotos();
    bindLightbox();
    bindConnectivity();
    updateComposer();
    setStatus("connecting");

    // Open the socket after history is on screen so pushes land after it.
    openSession(true).then(function () {
      return loadHistory().then(connect, connect);
    }, function () {
      showWelcome();
      notice(TEXT.historyError, true);
      setStatus("offline");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
