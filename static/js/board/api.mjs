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

export async function call(url, { method = "GET", json, refused } = {}) {
  const headers = method === "GET" ? {} : { "X-CSRFToken": csrfToken() };
  if (json !== undefined) headers["Content-Type"] = "application/json";
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
