// Dispatch from the board: a modal dialog with the API's recommendations; the incident's
// standard briefing is sent (the incident page is where to edit it or pick another
// channel). The dialog lives outside the table, so live row updates never touch it.
import { call, newKey } from "./api.mjs";
import { el } from "./dom.mjs";

export function createDispatch({ notice }) {
  const $ = (id) => document.getElementById(id);
  const dialog = $("dispatch-dialog");
  let dispatching = null; // the row the dialog is for
  let opener = null; // the button that opened it: focus goes back there

  if (!dialog) return { open() {} }; // only on the page for those who may dispatch
  dialog.addEventListener("close", () => {
    $("dispatch-voice").checked = false;
    dispatching = null;
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });

  function showError(text) {
    const error = $("dispatch-error");
    error.textContent = text;
    error.hidden = !text;
  }

  let attempt = "";
  const refused = (status) => (status === 403 ? "You may not dispatch resources." : `The dispatch was not made (error ${status}).`);

  async function open(row, button) {
    dispatching = row;
    attempt = newKey(); // this dialog's writes: sending the same choice again repeats nothing
    opener = button;
    $("dispatch-title").textContent = `Dispatch to ${row.reference}`;
    $("dispatch-incident").textContent = `${row.priority.code} · ${row.category.name} · ${row.summary} — ${row.location}`;
    showError("");
    $("recommendations").replaceChildren(el("li", "muted", "Finding the nearest available resources…"));
    dialog.showModal();
    await loadRecommendations(row);
  }

  async function loadRecommendations(row) {
    const list = $("recommendations");
    try {
      const body = await call(`/api/incidents/${row.id}/recommendations/`, { refused });
      if (dispatching !== row) return; // closed, or opened for another, meanwhile
      list.replaceChildren(...body.map(recommendationItem));
      if (!body.length) list.replaceChildren(el("li", "muted", "No available, verified resource is skilled for this category."));
      const first = list.querySelector("button:not([disabled])");
      if (first) first.focus();
    } catch (failed) {
      list.replaceChildren();
      showError(failed.message || "Could not load the recommendations.");
    }
  }

  function recommendationItem(rec) {
    const li = el("li", "recommendation");
    const button = el("button", "dispatch-send", `Dispatch ${rec.resource.call_sign}`);
    button.type = "button";
    button.disabled = !rec.channel;
    button.addEventListener("click", () => send(rec, button));
    li.append(button, el("strong", "rec-name", rec.resource.name), el("span", "rec-reasons", rec.reasons.join(" · ")));
    return li;
  }

  async function send(rec, button) {
    const row = dispatching;
    showError("");
    button.disabled = true;
    const voice = $("dispatch-voice").checked;
    try {
      await call(`/api/incidents/${row.id}/dispatches/`, {
        method: "POST",
        json: { resource: rec.resource.id, channel: rec.channel, briefed_by_voice: voice },
        key: `${attempt}-${rec.resource.id}-${rec.channel}-${voice ? "voice" : "sent"}`,
        refused,
      }).catch(async (failed) => {
        if (failed.status === 409) await loadRecommendations(row); // someone was quicker
        throw failed;
      });
      dialog.close();
      notice(`${rec.resource.call_sign} dispatched to ${row.reference}.`);
    } catch (failed) {
      showError(failed.message || "The dispatch was not made: check the connection.");
      if (button.isConnected) {
        button.disabled = false;
        button.focus();
      }
    }
  }

  return { open };
}
