// The alarm. One AudioContext for the page's life: each one holds an audio thread and its
// buffers until closed, and a board that made one per alarm grew without bound.

let audio = null;

function context() {
  if (!audio) audio = new AudioContext();
  // Browsers start (or suspend) a context until the page has had a click or key press.
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

const BEEP_SECONDS = 0.9;
let quietAt = 0; // the context's time the last alarm ends

// Three short beeps. Only on a running context: a suspended one (nobody has clicked the
// page yet) never plays what is scheduled on it, so the nodes would never end and never
// go. A burst of alarms (a sweep firing on many incidents) sounds once, not on top of
// itself. The nodes are disconnected when each tone ends, so nothing is left.
export function beep() {
  try {
    const ctx = context();
    if (ctx.state !== "running" || ctx.currentTime < quietAt) return;
    quietAt = ctx.currentTime + BEEP_SECONDS;
    for (const start of [0, 0.35, 0.7]) {
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain).connect(ctx.destination);
      tone.onended = () => {
        tone.disconnect();
        gain.disconnect();
      };
      tone.start(ctx.currentTime + start);
      tone.stop(ctx.currentTime + start + 0.2);
    }
  } catch (_) {
    // No audio (or not allowed yet): the highlight and banner still show.
  }
}

// A click anywhere unlocks audio for later alarms (autoplay rules).
export function unlockOnGesture() {
  const unlock = () => {
    context();
    document.removeEventListener("pointerdown", unlock);
    document.removeEventListener("keydown", unlock);
  };
  document.addEventListener("pointerdown", unlock);
  document.addEventListener("keydown", unlock);
}
