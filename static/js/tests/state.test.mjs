// The board's pure state: events, resyncs, gaps, versions, order, new cues.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as board from "../board/state.mjs";

const T0 = Date.parse("2026-12-04T03:00:00Z");

function row(id, fields = {}) {
  return {
    id,
    version: 1,
    open: true,
    reference: `INC-${String(id).padStart(6, "0")}`,
    priority: { code: "P3", rank: 3 },
    category: { slug: "water-leak" },
    status: "logged",
    received_at: "2026-12-04T02:00:00Z",
    deadline: null,
    assigned: [],
    alerts: [],
    ...fields,
  };
}

function snapshot(rows, cursor = 10) {
  return {
    cursor,
    server_time: new Date(T0 + 2000).toISOString(),
    rows,
    resources: [{ id: 1, call_sign: "VAN-1" }],
    priorities: [{ code: "P1" }, { code: "P3" }],
    categories: [],
    statuses: [],
  };
}

function started(rows = [row(1)], cursor = 10) {
  const state = board.createState();
  board.loadSnapshot(state, snapshot(rows, cursor), T0);
  return state;
}

test("a snapshot sets the rows, the cursor and the server clock offset", () => {
  const state = started([row(1), row(2, { open: false })]);
  assert.deepEqual([...state.rows.keys()], [1]);
  assert.equal(state.cursor, 10);
  assert.equal(state.offsetMs, 2000);
  assert.equal(state.fresh.size, 0); // what the page opens with is not new
});

test("an event in order moves the cursor and applies its row", () => {
  const state = started();
  const change = board.applyEvent(state, { id: 11, prev_id: 10, row: row(1, { version: 2, status: "dispatched" }) }, T0);
  assert.equal(state.cursor, 11);
  assert.equal(state.rows.get(1).status, "dispatched");
  assert.deepEqual([...change.rows], [1]);
  assert.equal(change.gap, false);
});

test("an event whose predecessor has not arrived is a gap until it comes", () => {
  const state = started();
  const early = board.applyEvent(state, { id: 12, prev_id: 11, row: row(2) }, T0);
  assert.equal(early.gap, true);
  assert.equal(state.cursor, 10);
  assert.ok(board.hasGap(state));

  const late = board.applyEvent(state, { id: 11, prev_id: 10, row: row(3) }, T0 + 100);
  assert.equal(late.gap, false);
  assert.equal(state.cursor, 12); // both applied, in order
  assert.equal(state.syncedAt, T0 + 100);
});

test("an event at or below the cursor, or a duplicate of one waiting, is ignored", () => {
  const state = started();
  assert.equal(board.applyEvent(state, { id: 9, prev_id: 8, row: row(1, { version: 5 }) }, T0).rows.size, 0);
  board.applyEvent(state, { id: 12, prev_id: 11, row: row(2) }, T0);
  assert.equal(board.applyEvent(state, { id: 12, prev_id: 11, row: row(2) }, T0).rows.size, 0);
  assert.equal(state.rows.get(1).version, 1);
});

test("the row with the highest version is kept whatever the order of arrival", () => {
  const state = started();
  board.applyEvent(state, { id: 12, prev_id: 10, row: row(1, { version: 3, status: "on_hold" }) }, T0);
  board.applyRow(state, row(1, { version: 2, status: "dispatched" }), 13, T0);
  assert.equal(state.rows.get(1).status, "on_hold");
});

test("of two copies with the same version the one read after the later event wins", () => {
  const state = started();
  const alert = { id: 7, fired_at: "2026-12-04T02:59:00Z", first_fired_at: "2026-12-04T02:59:00Z" };
  board.applyRow(state, row(1, { alerts: [alert] }), 20, T0);
  board.applyRow(state, row(1, { alerts: [] }), 15, T0); // read before the firing
  assert.equal(state.rows.get(1).alerts.length, 1);
});

test("a closed incident leaves, and a stale open copy arriving late does not bring it back", () => {
  const state = started();
  board.applyRow(state, row(1, { version: 4, open: false }), 11, T0);
  assert.equal(state.rows.has(1), false);
  board.applyRow(state, row(1, { version: 3 }), 12, T0);
  assert.equal(state.rows.has(1), false);
  board.applyRow(state, row(1, { version: 5, status: "reopened" }), 13, T0); // really reopened
  assert.equal(state.rows.get(1).status, "reopened");
});

test("a resync applies the current rows, moves the cursor and clears what it covers", () => {
  const state = started();
  board.applyEvent(state, { id: 13, prev_id: 12, row: row(2) }, T0);
  const change = board.applyResync(
    state,
    { reset: false, cursor: 13, rows: [row(1, { version: 2 }), row(2)], resources: [], server_time: new Date(T0).toISOString() },
    T0 + 5000
  );
  assert.equal(state.cursor, 13);
  assert.equal(board.hasGap(state), false);
  assert.equal(state.rows.get(1).version, 2);
  assert.equal(state.resources.size, 0);
  assert.equal(state.offsetMs, -5000);
  assert.deepEqual([...change.rows].sort(), [1, 2]);
});

test("a resync that resets loads its snapshot instead", () => {
  const state = started([row(1), row(2)]);
  const change = board.applyResync(state, { reset: true, snapshot: snapshot([row(3)], 900) }, T0);
  assert.equal(change.reset, true);
  assert.deepEqual([...state.rows.keys()], [3]);
  assert.equal(state.cursor, 900);
});

test("a live new incident gets the new cue until it runs out", () => {
  const state = started();
  board.applyEvent(state, { id: 11, prev_id: 10, row: row(2) }, T0);
  assert.ok(state.fresh.has(2));
  assert.deepEqual(board.expireCues(state, T0 + board.NEW_CUE_MS - 1), []);
  assert.deepEqual(board.expireCues(state, T0 + board.NEW_CUE_MS), [2]);
  assert.equal(state.fresh.size, 0);
});

test("a new P1 and a newly fired alert are announced, an update of either is not", () => {
  const state = started();
  const p1 = { code: "P1", rank: 1 };
  const alert = { id: 5, step: "Breach", fired_at: "2026-12-04T02:59:00Z", first_fired_at: "2026-12-04T02:59:00Z" };
  const first = board.applyEvent(state, { id: 11, prev_id: 10, row: row(2, { priority: p1, alerts: [alert] }) }, T0);
  assert.deepEqual(first.announce.map((a) => a.kind), ["p1", "escalation"]);
  assert.ok(state.alarms.has(2));
  const again = board.applyEvent(state, { id: 12, prev_id: 11, row: row(2, { version: 2, priority: p1, alerts: [alert] }) }, T0);
  assert.deepEqual(again.announce, []);
});

test("rows sort by priority, then the nearest running deadline, then age", () => {
  const due = (at, paused = false) => ({ due_at: at, paused });
  const state = started([
    row(1, { priority: { code: "P3", rank: 3 } }),
    row(2, { priority: { code: "P1", rank: 1 }, deadline: due("2026-12-04T04:00:00Z") }),
    row(3, { priority: { code: "P1", rank: 1 }, deadline: due("2026-12-04T03:10:00Z") }),
    row(4, { priority: { code: "P1", rank: 1 }, deadline: due("2026-12-04T03:01:00Z", true) }),
    row(5, { priority: { code: "P3", rank: 3 }, received_at: "2026-12-04T01:00:00Z" }),
  ]);
  assert.deepEqual(board.sortedRows(state).map((r) => r.id), [3, 2, 4, 5, 1]);
});

test("filters from the URL pick rows by priority, category, status and unassigned", () => {
  const r = row(1, { assigned: [{ call_sign: "VAN-1" }] });
  assert.ok(board.matchesFilters(r, new URLSearchParams("priority=P3&category=water-leak")));
  assert.equal(board.matchesFilters(r, new URLSearchParams("unassigned=1")), false);
  assert.equal(board.matchesFilters(r, new URLSearchParams("status=on_hold")), false);
});

test("waiting alerts list each incident once, the longest waiting first", () => {
  const alert = (id, first) => ({ id, fired_at: first, first_fired_at: first });
  const state = started([
    row(1, { alerts: [alert(1, "2026-12-04T02:50:00Z")] }),
    row(2, { alerts: [alert(2, "2026-12-04T02:55:00Z"), alert(3, "2026-12-04T02:40:00Z")] }),
    row(3),
  ]);
  assert.deepEqual(board.waitingAlerts(state).map((w) => w.row.id), [2, 1]);
});

test("counts per priority include every open row, filters or not", () => {
  const state = started([row(1), row(2, { priority: { code: "P1", rank: 1 } }), row(3)]);
  assert.deepEqual([...board.countByPriority(state)], [["P1", 1], ["P3", 2]]);
});

test("an acknowledged alert stops its row flashing", () => {
  const alert = { id: 5, fired_at: "2026-12-04T02:59:00Z", first_fired_at: "2026-12-04T02:59:00Z" };
  const state = started();
  board.applyEvent(state, { id: 11, prev_id: 10, row: row(1, { alerts: [alert] }) }, T0);
  assert.ok(state.alarms.has(1));
  board.applyEvent(state, { id: 12, prev_id: 11, row: row(1, { alerts: [] }) }, T0);
  assert.equal(state.alarms.has(1), false);
  assert.equal(state.fresh.has(1), false); // it was on the board before: not new
});
