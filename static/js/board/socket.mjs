// The board's WebSocket: connects, reconnects with backoff, retries at once when the tab
// becomes visible or the network comes back, and stops for good when the server says the
// person is signed out (4401) or may not watch the board (4403).
import { isRefusal, retryDelay } from "./backoff.mjs";

// A resync not answered within this long means the socket is stuck: start again.
const RESYNC_TIMEOUT_MS = 5000;

export function openSocket({ url, onMessage, onState, onOpen, pingSeconds }) {
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let resyncTimer = null;
  let stopped = false;
  let opened = false; // once it has been open, a retry says "Reconnecting…" throughout

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped || socket) return;
    if (!opened) onState("connecting");
    socket = new WebSocket(url);
    socket.onopen = () => {
      attempt = 0;
      opened = true;
      onOpen();
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "resync") clearTimeout(resyncTimer);
      onMessage(data);
    };
    socket.onclose = (closed) => {
      socket = null;
      clearTimeout(resyncTimer);
      if (isRefusal(closed.code)) {
        stopped = true;
        onState("refused", closed.code);
        return;
      }
      onState("reconnecting");
      retryTimer = setTimeout(connect, retryDelay(attempt++, Math.random()));
    };
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function resync(after) {
    if (!send({ type: "resync", after })) return;
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(() => socket && socket.close(), RESYNC_TIMEOUT_MS);
  }

  // Back now rather than at the end of the backoff: a laptop woke, a tab came to the
  // front, the network returned. An open socket is asked to resync instead (it may have
  // missed messages while asleep).
  function soon() {
    if (stopped) return;
    if (socket) {
      if (socket.readyState === WebSocket.OPEN) onOpen();
      return;
    }
    attempt = 0;
    connect();
  }

  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && soon());
  window.addEventListener("online", soon);
  setInterval(() => send({ type: "ping" }), pingSeconds * 1000);
  connect();
  return { resync };
}
