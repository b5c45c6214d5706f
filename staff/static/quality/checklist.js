/* Editing the checklist: items in order (key, Chinese and English names, weight), added, removed
 * and moved; saving makes a new version (reviews already saved keep theirs). */

import { api, errorText, NETWORK_ERROR } from "../common/api.js";
import { $, clear, el } from "../common/dom.js";
import { flash } from "./shared.js";

var current = null;  // the active version as the server has it

export function loadChecklist() {
  return api("GET", "/api/quality/checklist").then(function (r) {
    if (!r.ok) { flash(errorText(r), "error"); return; }
    current = r.body;
    render(current.items);
  }, function () { flash(NETWORK_ERROR, "error"); });
}

function input(cls, value, attrs) {
  var node = el("input", cls);
  node.value = value === undefined || value === null ? "" : String(value);
  Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  return node;
}

function iconButton(cls, text, title) {
  var b = el("button", "btn small " + cls, text);
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  return b;
}

function row(item) {
  var li = el("li", "item-row");
  li.appendChild(input("item-key", item.key, { "aria-label": "键 Key", maxlength: "32", placeholder: "key", pattern: "[a-z][a-z0-9_]*" }));
  li.appendChild(input("item-zh", item.zh, { "aria-label": "中文名 Chinese name", maxlength: "60", placeholder: "中文名" }));
  li.appendChild(input("item-en", item.en, { "aria-label": "英文名 English name", maxlength: "60", placeholder: "English name" }));
  li.appendChild(input("item-weight", item.weight, { "aria-label": "权重 Weight", type: "number", min: "1", max: "10" }));
  var tools = el("span", "item-tools");
  var up = iconButton("up", "↑", "上移 Move up");
  var down = iconButton("down", "↓", "下移 Move down");
  var remove = iconButton("danger remove", "✕", "删除 Remove");
  up.addEventListener("click", function () { if (li.previousElementSibling) li.parentNode.insertBefore(li, li.previousElementSibling); });
  down.addEventListener("click", function () { if (li.nextElementSibling) li.parentNode.insertBefore(li.nextElementSibling, li); });
  remove.addEventListener("click", function () { li.remove(); });
  tools.appendChild(up);
  tools.appendChild(down);
  tools.appendChild(remove);
  li.appendChild(tools);
  return li;
}

function render(items) {
  var list = $("checklist-items");
  clear(list);
  items.forEach(function (item) { list.appendChild(row(item)); });
  $("checklist-version").textContent = current ? "v" + current.version : "";
  $("checklist-error").hidden = true;
}

function collected() {
  var rows = $("checklist-items").querySelectorAll(".item-row");
  return Array.prototype.map.call(rows, function (li) {
    return {
      key: li.querySelector(".item-key").value.trim(),
      zh: li.querySelector(".item-zh").value.trim(),
      en: li.querySelector(".item-en").value.trim(),
      weight: Number(li.querySelector(".item-weight").value)
    };
  });
}

function save(e) {
  e.preventDefault();
  var items = collected();
  var error = $("checklist-error");
  if (!items.length) { error.textContent = "至少要有一项 / Keep at least one item"; error.hidden = false; return; }
  $("save-checklist").disabled = true;
  api("PUT", "/api/quality/checklist", { items: items }).then(function (r) {
    $("save-checklist").disabled = false;
    if (!r.ok) { error.textContent = errorText(r); error.hidden = false; return; }
    var changed = !current || r.body.version !== current.version;
    current = r.body;
    render(current.items);
    flash(changed ? "已保存为 v" + current.version + " / Saved as version " + current.version
      : "没有改动 / Nothing changed");
  }, function () {
    $("save-checklist").disabled = false;
    error.textContent = NETWORK_ERROR;
    error.hidden = false;
  });
}

export function bindChecklist() {
  $("checklist-form").addEventListener("submit", save);
  $("add-item").addEventListener("click", function () {
    var li = row({ key: "", zh: "", en: "", weight: 1 });
    $("checklist-items").appendChild(li);
    li.querySelector(".item-key").focus();
  });
  $("reset-checklist").addEventListener("click", function () { if (current) render(current.items); });
}
