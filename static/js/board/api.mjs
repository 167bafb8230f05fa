// The board's calls to the REST API (same origin, session cookie, CSRF header).

export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// The API's own words when it gave some (a 400/409 names the field or the reason).
export function errorText(status, body, otherwise) {
  if (body && typeof body === "object") {
    const texts = Object.values(body).flat().filter((t) => typeof t === "string");
    if (texts.length) return texts.join(" ");
  }
  return otherwise || `Refused (error ${status}).`;
}

// A new Idempotency-Key (docs: README, "Retry-safe writes"). getRandomValues, not
// randomUUID: a board served over plain http on the centre's network is not a secure context.
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// `key`: the write's Idempotency-Key; the same action sent again (after a lost answer, a
// double click) sends the same key, so the server does it once and replays the answer.
export async function call(url, { method = "GET", json, refused, key } = {}) {
  const headers = method === "GET" ? {} : { "X-CSRFToken": csrfToken() };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(errorText(response.status, body, refused && refused(response.status)));
    error.status = response.status;
    throw error;
  }
  return body;
}
