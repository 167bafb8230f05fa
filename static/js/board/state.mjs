// The board's state, pure: no DOM, no sockets, no clock of its own (times are passed in).
// Rows come whole from the server (snapshot, live events, resync) and are kept by version.
// Each function returns what changed so the view redraws only that, and what to announce.

export const NEW_CUE_MS = 120_000; // how long a new incident wears its "new" cue
export const ALARM_MS = 60_000; // how long a new P1 or a new escalation flashes
const CLOSED_REMEMBERED = 2000; // closed ids kept, so a late stale copy cannot revive a row

export function createState() {
  return {
    rows: new Map(), // incident id → row
    asOf: new Map(), // incident id → event id its row was read after (see applyRow)
    closed: new Map(), // incident id → version it closed at
    resources: new Map(), // resource id → resource
    waiting: new Map(), // prev_id → event that arrived before the one it follows
    fresh: new Map(), // incident id → when its "new" cue ends (ms)
    alarms: new Map(), // incident id → when its flashing ends (ms)
    cursor: 0, // every event up to this id has been applied
    offsetMs: 0, // server clock minus browser clock
    syncedAt: null, // browser time (ms) the board last knew it was complete
    priorities: [],
    categories: [],
    statuses: [],
  };
}

function emptyChange() {
  return { rows: new Set(), resources: false, reset: false, announce: [] };
}

function setClock(state, serverTime, nowMs) {
  state.offsetMs = Date.parse(serverTime) - nowMs;
  state.syncedAt = nowMs;
}

export function loadSnapshot(state, snapshot, nowMs) {
  state.rows.clear();
  state.asOf.clear();
  state.waiting.clear();
  for (const row of snapshot.rows) {
    if (!row.open) continue;
    state.rows.set(row.id, row);
    state.asOf.set(row.id, snapshot.cursor);
  }
  replaceResources(state, snapshot.resources);
  state.cursor = snapshot.cursor;
  state.priorities = snapshot.priorities;
  state.categories = snapshot.categories;
  state.statuses = snapshot.statuses;
  setClock(state, snapshot.server_time, nowMs);
  return { ...emptyChange(), reset: true, resources: true };
}

function replaceResources(state, list) {
  state.resources.clear();
  for (const resource of list) state.resources.set(resource.id, resource);
}

// `asOf`: the event id the row was read after (rows are read after commit). Escalation
// firings and acknowledgements leave the version alone, so of two copies with the same
// version the one read after the later event wins. `live` rows (not the first snapshot)
// may be announced (a new P1, a new escalation); a row not seen before gets the new cue.
export function applyRow(state, row, asOf, nowMs, change = emptyChange()) {
  const before = state.rows.get(row.id);
  const closedAt = state.closed.get(row.id);
  if (closedAt !== undefined && closedAt > row.version) return change;
  if (before && before.version > row.version) return change; // an older copy arrived late
  if (before && before.version === row.version && (state.asOf.get(row.id) || 0) > asOf) return change;
  change.rows.add(row.id);
  if (!row.open) {
    state.rows.delete(row.id);
    state.asOf.delete(row.id);
    state.fresh.delete(row.id);
    state.alarms.delete(row.id);
    rememberClosed(state, row);
    return change;
  }
  state.closed.delete(row.id);
  state.rows.set(row.id, row);
  state.asOf.set(row.id, asOf);
  if (!before) state.fresh.set(row.id, nowMs + NEW_CUE_MS);
  if (row.priority.rank === 1 && (!before || before.priority.rank !== 1)) {
    change.announce.push({ kind: "p1", row });
    state.alarms.set(row.id, nowMs + ALARM_MS);
  }
  const known = new Set(before ? before.alerts.map((alert) => alert.id) : []);
  const fired = row.alerts.filter((alert) => !known.has(alert.id));
  if (fired.length) {
    change.announce.push({ kind: "escalation", row, alert: fired[fired.length - 1] });
    state.alarms.set(row.id, nowMs + ALARM_MS);
  }
  if (!row.alerts.length && before && before.alerts.length) state.alarms.delete(row.id); // acknowledged
  return change;
}

function rememberClosed(state, row) {
  state.closed.set(row.id, row.version);
  if (state.closed.size > CLOSED_REMEMBERED) {
    state.closed.delete(state.closed.keys().next().value); // the oldest
  }
}

// A live event: {id, prev_id, row}. Events commit in id order and each carries the id of
// the one before it, so an event whose prev_id is past the cursor means one is missing
// (reordered: it will come; dropped: it will not). `gap` tells the caller to wait a moment
// and then ask the server for what is missing.
export function applyEvent(state, event, nowMs) {
  const change = emptyChange();
  if (event.id <= state.cursor || state.waiting.has(event.prev_id)) return change;
  if (event.row) applyRow(state, event.row, event.id, nowMs, change);
  if (event.prev_id <= state.cursor) {
    state.cursor = event.id;
    while (state.waiting.has(state.cursor)) {
      const next = state.waiting.get(state.cursor);
      state.waiting.delete(state.cursor);
      state.cursor = next.id;
    }
    if (state.waiting.size === 0) state.syncedAt = nowMs;
  } else {
    state.waiting.set(event.prev_id, event);
  }
  change.gap = state.waiting.size > 0;
  return change;
}

export function hasGap(state) {
  return state.waiting.size > 0;
}

// The server's answer to {"type": "resync", "after": cursor}: the events missed and the
// current rows of the incidents they touched, or a whole snapshot when too far behind.
export function applyResync(state, answer, nowMs) {
  if (answer.reset) return loadSnapshot(state, answer.snapshot, nowMs);
  const change = emptyChange();
  for (const row of answer.rows) applyRow(state, row, answer.cursor, nowMs, change);
  replaceResources(state, answer.resources);
  change.resources = true;
  state.cursor = Math.max(state.cursor, answer.cursor);
  for (const [prev, event] of state.waiting) if (event.id <= state.cursor) state.waiting.delete(prev);
  setClock(state, answer.server_time, nowMs);
  return change;
}

export function applyResource(state, resource) {
  if (resource.removed) state.resources.delete(resource.id);
  else state.resources.set(resource.id, resource);
  return { ...emptyChange(), resources: true };
}

// New cues and alarms that have run out (ids), removed from the state.
export function expireCues(state, nowMs) {
  const expired = [];
  for (const cues of [state.fresh, state.alarms]) {
    for (const [id, until] of cues) {
      if (until <= nowMs) {
        cues.delete(id);
        expired.push(id);
      }
    }
  }
  return expired;
}

// Priority, then the nearest running deadline (paused and none last), then age, then id.
// board/rows.py sort_key sorts the same way.
function sortKey(row) {
  const d = row.deadline;
  return [row.priority.rank, d && !d.paused ? Date.parse(d.due_at) : Infinity, Date.parse(row.received_at), row.id];
}

export function compareRows(a, b) {
  const x = sortKey(a);
  const y = sortKey(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

export function sortedRows(state) {
  return [...state.rows.values()].sort(compareRows);
}

// The filters live in the URL: priority, category, status, unassigned=1.
export function matchesFilters(row, params) {
  return (
    (!params.get("priority") || row.priority.code === params.get("priority")) &&
    (!params.get("category") || row.category.slug === params.get("category")) &&
    (!params.get("status") || row.status === params.get("status")) &&
    (params.get("unassigned") !== "1" || row.assigned.length === 0)
  );
}

export function countByPriority(state) {
  const counts = new Map(state.priorities.map((p) => [p.code, 0]));
  for (const row of state.rows.values()) counts.set(row.priority.code, (counts.get(row.priority.code) || 0) + 1);
  return counts;
}

// Incidents with alerts waiting, oldest first firing first (every row, whatever the filters).
export function waitingAlerts(state) {
  return [...state.rows.values()]
    .filter((row) => row.alerts.length)
    .map((row) => ({ row, since: Math.min(...row.alerts.map((a) => Date.parse(a.first_fired_at || a.fired_at))) }))
    .sort((a, b) => a.since - b.since || a.row.id - b.row.id);
}
