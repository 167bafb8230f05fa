// Words and numbers the board shows, pure so they are tested with the state.

export function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function age(seconds) {
  const m = Math.max(0, Math.floor(seconds / 60));
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
  return `${n}${suffix}`;
}

// An alert's `firings` counts the first time too: 3 firings are the 2nd reminder.
export function reminder(firings) {
  return firings <= 1 ? "first alert" : `${ordinal(firings - 1)} reminder`;
}

export function countdown(deadline, nowMs) {
  const left = deadline.paused ? deadline.paused_remaining_seconds : (Date.parse(deadline.due_at) - nowMs) / 1000;
  const state = deadline.paused ? "paused" : left < 0 ? "breached" : left <= deadline.target_seconds * 0.25 ? "warning" : "ok";
  // A breach reads "over by" on the desk (board.css); the wall says it with colour and "−".
  const label = `${deadline.label}${deadline.paused ? " paused" : ""}`;
  return { state, label, time: `${left < 0 ? "−" : ""}${duration(left)}` };
}

export function ago(seconds) {
  return seconds < 60 ? "just now" : `${age(seconds)} ago`;
}

export function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString("en-GB");
}
