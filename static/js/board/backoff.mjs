// How long to wait before reconnecting: doubling from 250 ms, capped so a board is back
// within a few seconds of the server, with jitter so restarted servers are not hit by
// every board at the same instant. Pure (random is passed in) for the tests.
export const FIRST_MS = 250;
export const CAP_MS = 2000;

export function retryDelay(attempt, random) {
  const ceiling = Math.min(CAP_MS, FIRST_MS * 2 ** attempt);
  return ceiling / 2 + random * (ceiling / 2);
}

// Close codes the server sends when the person may no longer watch (board/consumers.py).
export const SIGNED_OUT = 4401;
export const FORBIDDEN = 4403;

export function isRefusal(code) {
  return code === SIGNED_OUT || code === FORBIDDEN;
}
