/* What the report page knows, in one place the views read: who is logged in, the names of
 * queues, topics, agents and FAQ entries, the filters, and the last figures fetched. */

export var state = {
  me: null,
  today: null,          // "YYYY-MM-DD" on the desk's clock (frozen in demos and tests)
  zone: "Asia/Shanghai", // the desk's time zone (handoff/desk.py DESK_TZ): the report's days are its days
  queues: {},           // id -> {id, name_zh, name_en}
  queueOrder: [],
  agents: [],           // [{id, username, display_name, role}]
  topics: {},           // name -> description (English), from /api/kb/topics
  entries: null,        // FAQ entry id -> {zh, en}, fetched when first needed
  filters: { period: "30d", from: null, to: null, queue: "", agent: "" },
  loading: 0,           // the generation of the figures in flight: a stale answer is dropped
  summary: null,
  daily: [],
  queueRows: [],
  agentRows: []
};

/** The query string of the figures asked for: the period, with the queue and agent unless `periodOnly`. */
export function query(periodOnly, extra) {
  var f = state.filters;
  var params = new URLSearchParams({ from: f.from, to: f.to });
  if (!periodOnly && f.queue) params.set("queue", f.queue);
  if (!periodOnly && f.agent) params.set("agent", f.agent);
  Object.keys(extra || {}).forEach(function (k) {
    if (extra[k] !== null && extra[k] !== undefined && extra[k] !== "") params.set(k, extra[k]);
  });
  return params.toString();
}

export function agentName(id) {
  for (var i = 0; i < state.agents.length; i++) {
    if (String(state.agents[i].id) === String(id)) return state.agents[i].display_name;
  }
  return id ? "#" + id : "";
}
