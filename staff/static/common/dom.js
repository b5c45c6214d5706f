/* DOM helpers for the staff pages. Server and user text goes in with textContent, never innerHTML. */

export function $(id) { return document.getElementById(id); }

/** A new element with an optional class and text. */
export function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}
