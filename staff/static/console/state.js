/* What the console knows, in one place every view reads and updates: the logged-in agent, the
 * desk's queues and people, the two lists, and the ticket open in the chat view. */

export var OPEN_KEY = "triage_agent_open";  // the open ticket, reopened after a reload

export var state = {
  me: null,             // the logged-in agent
  queues: {},           // id -> {id, name_zh, name_en}
  queueOrder: [],
  clockOffset: 0,       // desk clock minus this browser's clock, ms
  colleagues: [],
  canned: [],
  waiting: [],
  waitingTotal: 0,      // everyone waiting in my queues; the list shows the front
  mine: [],
  unread: {},           // conversation_id -> true
  knownMine: null,      // ids in "my chats" at the last fetch (null: not fetched yet)
  claimed: {},          // ids this console claimed itself (not news when they appear)
  openId: null,         // the ticket shown in the chat view
  ticket: null,         // its last fetched detail
  busy: false,          // an action on the open ticket is in flight
  files: [],            // uploaded for the open ticket's next reply: {media_id, name, content_type, thumbnail_url}
  uploading: 0,         // files on their way up
  drafts: {}            // ticket id -> {reply, note, files} not sent yet, kept while away
};

/** Now on the desk's clock (SLA countdowns run on it: it may be frozen in demos and tests). */
export function deskNow() { return Date.now() + state.clockOffset; }
