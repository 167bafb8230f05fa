import assert from "node:assert/strict";
import { test } from "node:test";

import { CAP_MS, isRefusal, retryDelay } from "../board/backoff.mjs";
import { age, ago, countdown, duration, ordinal, reminder } from "../board/format.mjs";

test("reminders count the firings after the first", () => {
  assert.equal(reminder(1), "first alert");
  assert.equal(reminder(2), "1st reminder");
  assert.equal(reminder(4), "3rd reminder");
  assert.equal(ordinal(11), "11th");
  assert.equal(ordinal(22), "22nd");
});

test("durations and ages read at a glance", () => {
  assert.equal(duration(65), "1:05");
  assert.equal(duration(-3725), "1:02:05");
  assert.equal(age(59), "0m");
  assert.equal(age(3 * 3600 + 120), "3h 2m");
  assert.equal(ago(30), "just now");
  assert.equal(ago(125), "2m ago");
});

test("a countdown warns in its last quarter, shows a breach as time over, freezes when paused", () => {
  const now = Date.parse("2026-12-04T03:00:00Z");
  const deadline = (fields) => ({ label: "Response", target_seconds: 900, paused: false, ...fields });
  assert.deepEqual(countdown(deadline({ due_at: "2026-12-04T03:10:00Z" }), now), { state: "ok", label: "Response", time: "10:00" });
  assert.equal(countdown(deadline({ due_at: "2026-12-04T03:03:00Z" }), now).state, "warning");
  assert.deepEqual(countdown(deadline({ due_at: "2026-12-04T02:59:00Z" }), now), { state: "breached", label: "Response", time: "−1:00" });
  assert.deepEqual(countdown(deadline({ paused: true, paused_remaining_seconds: 120 }), now), { state: "paused", label: "Response paused", time: "2:00" });
});

test("reconnecting backs off with jitter and never waits longer than the cap", () => {
  assert.equal(retryDelay(0, 0), 125);
  assert.equal(retryDelay(0, 1), 250);
  for (let attempt = 0; attempt < 40; attempt++) assert.ok(retryDelay(attempt, 1) <= CAP_MS);
  assert.equal(retryDelay(30, 0), CAP_MS / 2);
});

test("the server's signed-out and forbidden codes stop reconnecting, others do not", () => {
  assert.ok(isRefusal(4401));
  assert.ok(isRefusal(4403));
  assert.equal(isRefusal(1006), false);
  assert.equal(isRefusal(1011), false);
});
