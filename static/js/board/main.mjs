// The live dispatch board: wires the pure state (state.mjs), the keyed view (view.mjs),
// the socket (socket.mjs), the dispatch dialog and the alarm together.
import { call } from "./api.mjs";
import { createDispatch } from "./dispatch.mjs";
import { timeOfDay } from "./format.mjs";
import { beep, unlockOnGesture } from "./sound.mjs";
import { openSocket } from "./socket.mjs";
import * as board from "./state.mjs";
import { createView } from "./view.mjs";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("board-config").textContent);
const wall = config.wall;
const state = board.createState();
const params = () => new URLSearchParams(location.search);
let gapTimer = null;
let soundOn = localStorage.getItem("board-sound") !== "off";
let bannerFor = null; // {incident, alert} while the banner announces an escalation
let bannerUntil = 0;
const GAP_WAIT_MS = 500; // a reordered message arrives within this; a dropped one never
const BANNER_MS = 60_000;

const notice = (text) => ($("board-notice").textContent = text);
const dispatch = createDispatch({ notice });
const view = createView({ config, wall, onDispatch: dispatch.open, onAcknowledge: acknowledge, onFilter: setFilter });

// ---- drawing: at most once per frame, whatever the event rate ---------------------------
let drawPending = false;
function draw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const p = params();
    view.drawRows(state, p);
    view.drawCounters(state, p);
    view.drawEscalations(state);
    view.drawResources(state);
    view.tick(Date.now() + state.offsetMs);
  });
}

function tick() {
  const now = Date.now();
  if (board.expireCues(state, now).length) draw();
  if (bannerUntil && bannerUntil < now) hideBanner();
  view.tick(now + state.offsetMs);
}

// ---- what changed: announce, redraw, and ask for what a gap says is missing --------------
function changed(change) {
  // Only live rows are announced: a snapshot (the page's first, or a reset) never is.
  for (const { kind, row, alert } of change.announce) {
    if (kind === "p1") announce(`New P1 ${row.reference}: ${row.summary} — ${row.location}`, null);
    if (kind === "escalation") announce(`Escalation ${row.reference}: ${alert.step} · told ${alert.told.join(", ") || alert.level_label} · needs acknowledgement`, { incident: row.id, alert: alert.id });
  }
  settleBanner();
  if (change.reset) fillFilters();
  if (change.gap) {
    setConnection("gap");
    clearTimeout(gapTimer);
    gapTimer = setTimeout(() => board.hasGap(state) && catchUp(), GAP_WAIT_MS);
  }
  draw();
}

function announce(text, alert) {
  bannerFor = alert;
  bannerUntil = Date.now() + BANNER_MS;
  const banner = $("new-p1");
  banner.textContent = text;
  banner.hidden = false;
  if (soundOn) beep();
}

function hideBanner() {
  bannerFor = null;
  bannerUntil = 0;
  $("new-p1").hidden = true;
}

// Once the announced escalation is acknowledged, "needs acknowledgement" would be false.
function settleBanner() {
  if (!bannerFor) return;
  const row = state.rows.get(bannerFor.incident);
  if (!row || !row.alerts.some((a) => a.id === bannerFor.alert)) hideBanner();
}

// ---- connection --------------------------------------------------------------------------
function setConnection(status, code) {
  const node = $("connection");
  node.dataset.state = status;
  const asOf = state.syncedAt ? ` Showing data as of ${timeOfDay(state.syncedAt)}.` : "";
  if (status === "refused") {
    const login = document.createElement("a");
    login.href = `/login/?next=${encodeURIComponent(location.pathname + location.search)}`;
    login.textContent = "Signed out — log in again";
    node.replaceChildren(login);
    node.title = code === 4403 ? "This login may no longer watch the board." : "The session ended.";
    return;
  }
  node.textContent = {
    connecting: `Connecting…${asOf}`,
    syncing: `Catching up: fetching the events after #${state.cursor} that this board missed…${asOf}`,
    gap: `Catching up: an event before #${state.cursor + 1} has not arrived yet…`,
    reconnecting: `Reconnecting…${asOf}`,
    live: "● Live",
  }[status];
}

// Asks for every event after the cursor; "Live" once the answer is applied.
function catchUp() {
  setConnection("syncing");
  socket.resync(state.cursor);
}

function onMessage(data) {
  const now = Date.now();
  if (data.type === "event") changed(board.applyEvent(state, data, now));
  else if (data.type === "resync") {
    changed(board.applyResync(state, data, now));
    if (!board.hasGap(state)) setConnection("live");
    else gapTimer = setTimeout(catchUp, GAP_WAIT_MS); // held-back events still missing one
  } else if (data.type === "resource") changed(board.applyResource(state, data.resource));
  else if (data.type === "presence") $("presence").textContent = `${data.watching} watching`;
}

// ---- filters (kept in the URL; the desk only) ---------------------------------------------
function fillFilters() {
  const form = $("filters");
  if (!form) return;
  const p = params();
  const fillSelect = (select, options) => {
    select.replaceChildren(select.options[0]);
    options.forEach(([value, label]) => select.add(new Option(label, value)));
    select.value = p.get(select.name) || "";
  };
  fillSelect($("f-priority"), state.priorities.map((x) => [x.code, `${x.code} ${x.name}`]));
  fillSelect($("f-category"), state.categories.map((c) => [c.slug, c.name]));
  fillSelect($("f-status"), state.statuses.map((s) => [s.value, s.label]));
  $("f-unassigned").checked = p.get("unassigned") === "1";
}

function setFilter(name, value) {
  const p = params();
  if (value) p.set(name, value);
  else p.delete(name);
  const query = p.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
  const input = $(`f-${name}`);
  if (input && input.type !== "checkbox") input.value = value;
  draw();
}

if ($("filters")) {
  $("filters").addEventListener("change", (change) => {
    const input = change.target;
    setFilter(input.name, input.type === "checkbox" ? (input.checked ? "1" : "") : input.value);
  });
  $("filters").addEventListener("submit", (submit) => submit.preventDefault());
}

// ---- acknowledging from the alert line or the side list ----------------------------------
// The row comes back without its alerts in the escalation_acknowledged event.
async function acknowledge(row, button) {
  const error = $("escalations-error");
  error.hidden = true;
  button.disabled = true;
  const current = state.rows.get(row.id) || row;
  try {
    const alert = current.alerts[0];
    await call(alert.ack_url, {
      method: "POST",
      key: `acknowledge-${alert.id}`, // one alert is acknowledged once, however often clicked
      refused: (status) => (status === 403 ? "You may not acknowledge escalations." : `Not acknowledged (error ${status}).`),
    });
    notice(`Escalation on ${row.reference} acknowledged.`);
  } catch (failed) {
    error.textContent = failed.message || "Not acknowledged: check the connection.";
    error.hidden = false;
    if (button.isConnected) button.disabled = false;
  }
}

// ---- sound ---------------------------------------------------------------------------------
function showSound() {
  const button = $("sound");
  button.setAttribute("aria-pressed", String(soundOn));
  button.textContent = soundOn ? "Sound on" : "Sound off";
}
$("sound").addEventListener("click", () => {
  soundOn = !soundOn;
  localStorage.setItem("board-sound", soundOn ? "on" : "off");
  showSound();
});
$("new-p1").addEventListener("click", hideBanner);

// ---- start ---------------------------------------------------------------------------------
changed(board.loadSnapshot(state, JSON.parse($("board-snapshot").textContent), Date.now()));
showSound();
unlockOnGesture();
const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = openSocket({
  url: `${scheme}://${location.host}/ws/board/`,
  pingSeconds: config.ping_seconds,
  onMessage,
  onOpen: catchUp,
  onState: setConnection,
});
setInterval(tick, 1000);
