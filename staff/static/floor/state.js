/* What the floor knows, in one place its views read: the supervisor, the last snapshot, the
 * desk's clock, and the chat open in the side panel. */

export var OPEN_KEY = "triage_agent_open";  // the console's: "open in console" opens the chat there

export var state = {
  me: null,          // the logged-in supervisor or admin
  floor: null,       // the last GET /api/floor
  clockOffset: 0,    // desk clock minus this browser's clock, ms
  openId: null,      // the ticket in the side panel
  ticket: null,      // its last fetched detail
  busy: false        // a whisper or a take-over is on its way
};

/** Now on the desk's clock (frozen in demos and tests). */
export function deskNow() { return Date.now() + state.clockOffset; }

/** A desk member's name by id, from the snapshot. */
export function nameOf(id) {
  var agents = (state.floor && state.floor.agents) || [];
  for (var i = 0; i < agents.length; i++) if (agents[i].id === id) return agents[i].name;
  if (state.me && state.me.id === id) return state.me.display_name;
  return id ? "#" + id : "";
}

/** A queue's name in both languages. */
export function queueName(id) {
  var queues = (state.floor && state.floor.queues) || [];
  for (var i = 0; i < queues.length; i++) if (queues[i].id === id) return queues[i].name_zh + " " + queues[i].name_en;
  return String(id || "");
}
