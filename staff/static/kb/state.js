/* What the KB page knows, in one place its views read and update: who may edit, the topics and
 * entries, and the entry open in the editor. */

export var state = {
  canEdit: false,       // kb_editor, supervisor, admin; an agent reads only
  topics: [],
  allEntries: [],       // every live entry's summary (tags for the filter, the entry picker)
  mode: null,           // "edit" | "new" | "cluster"
  current: null,        // the open entry, as GET /entries/{id} returned it
  showingLive: false,   // the open entry has a draft, but the live content is shown
  cluster: null,        // the inbox cluster a new entry is made from
  busy: false,          // a write on the open entry is in flight
  inboxLoaded: false
};
