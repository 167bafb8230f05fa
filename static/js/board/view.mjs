// Draws the state. Every incident keeps its own table rows for the page's life (by id):
// an event refills only the cells whose content changed and moves only rows whose place
// changed, so a focused button, an open dialog and the scroll position survive.
import { el, fill, reconcile } from "./dom.mjs";
import { age, ago, countdown, reminder, timeOfDay } from "./format.mjs";
import { countByPriority, matchesFilters, sortedRows, waitingAlerts } from "./state.mjs";

const COLUMNS = 7;

export function createView({ config, wall, onDispatch, onAcknowledge, onFilter }) {
  const $ = (id) => document.getElementById(id);
  const lines = new Map(); // incident id → {row, main, cells, alert, alertText, ...}
  const emptyLine = el("tr", "empty-row");
  emptyLine.append(el("td", "empty"));
  emptyLine.firstChild.colSpan = COLUMNS;

  // ---- one incident's rows ------------------------------------------------------------
  function createLines(row) {
    const main = el("tr", "incident");
    main.dataset.id = row.id;
    const cells = {
      prio: el("td", "prio"),
      ref: el("td", "ref"),
      what: el("td", "what"),
      status: el("td", "status"),
      age: el("td", "age"),
      assigned: el("td", "assigned"),
      due: el("td", "countdown"),
    };
    main.append(...Object.values(cells));
    const entry = { row, main, cells, alert: null };
    entry.assignees = cells.assigned;
    entry.refText = el("span", "ref-text");
    cells.ref.append(entry.refText);
    if (!wall && config.can_dispatch) {
      // One button for the row's life, so focus on it survives the row's updates.
      entry.dispatch = el("button", "dispatch-open", "Dispatch…");
      entry.dispatch.type = "button";
      entry.dispatch.addEventListener("click", () => onDispatch(entry.row, entry.dispatch));
    }
    lines.set(row.id, entry);
    return entry;
  }

  function alertLine(entry) {
    if (entry.alert) return entry.alert;
    const line = el("tr", "alert-row");
    line.dataset.id = entry.row.id;
    const td = el("td", "alert");
    td.colSpan = COLUMNS;
    const inner = el("div", "alert-line");
    entry.alertText = el("span", "alert-text");
    entry.alertSince = el("span", "alert-since");
    inner.append(entry.alertText, entry.alertSince);
    if (!wall && config.can_acknowledge) {
      entry.ack = el("button", "alert-acknowledge", "Acknowledge");
      entry.ack.type = "button";
      entry.ack.addEventListener("click", () => onAcknowledge(entry.row, entry.ack));
      inner.append(entry.ack);
    }
    td.append(inner);
    line.append(td);
    entry.alert = line;
    return line;
  }

  function updateLines(entry, row, { fresh, alarm }) {
    entry.row = row;
    const { main, cells } = entry;
    main.dataset.priority = row.priority.code;
    main.classList.toggle("is-new", fresh);
    main.classList.toggle("alarm-row", alarm);
    main.classList.toggle("has-alert", row.alerts.length > 0);
    fill(cells.prio, `${row.priority.code}${row.priority.colour}`, () => {
      const badge = el("span", "badge", row.priority.code);
      badge.style.background = row.priority.colour;
      return [badge];
    });
    fill(entry.refText, `${row.reference}|${row.follows_parent}|${fresh}`, () => {
      const link = el("a", null, row.reference);
      link.href = row.url;
      const parts = [link];
      if (fresh) parts.push(el("span", "new-cue", "NEW"));
      // A linked call's response and resolution run on its parent's clocks.
      if (row.follows_parent) parts.push(el("span", "follows", `follows ${row.follows_parent}`));
      return parts;
    });
    if (entry.dispatch) {
      // Kept out of fill()'s way: the same button all the row's life.
      entry.dispatch.setAttribute("aria-label", `Dispatch a resource to ${row.reference}`);
      if (row.takes_resources && !entry.dispatch.isConnected) cells.ref.append(entry.dispatch);
      if (!row.takes_resources) entry.dispatch.remove();
    }
    fill(cells.what, `${row.summary}|${row.location}|${row.category.name}`, () => [
      el("span", "summary", row.summary),
      el("span", "where", `${row.location} · ${row.category.name}`),
    ]);
    const update = row.customer_update && !row.customer_update.paused ? row.customer_update.due_at : "";
    fill(cells.status, `${row.status_label}|${update}`, () => {
      const parts = [el("span", "status-label", row.status_label)];
      if (update) {
        // Shown by tick() once the due time passes, so it needs no message to appear.
        const owed = el("span", "update-overdue", "Update overdue");
        owed.dataset.due = update;
        owed.hidden = true;
        parts.push(owed);
      }
      return parts;
    });
    cells.age.dataset.since = row.received_at;
    fill(entry.assignees, JSON.stringify(row.assigned), () => {
      if (!row.assigned.length) return [el("span", "none", "—")];
      return row.assigned.map((a) => {
        const who = el("span", "assignee");
        who.dataset.status = a.status;
        who.title = a.name;
        who.append(el("strong", null, a.call_sign), el("span", "pill", a.status_label));
        // Deployed but not answered (briefing failed, awaiting voice, no acknowledgement):
        // the response clock is still running.
        if (a.warning) who.append(el("span", "assignee-warning", a.warning));
        return who;
      });
    });
    cells.due.dataset.deadline = row.deadline ? JSON.stringify(row.deadline) : "";
    if (!entry.dueLabel) {
      entry.dueLabel = el("span", "due-label");
      entry.dueTime = el("span", "due-time");
      cells.due.append(entry.dueLabel, entry.dueTime);
    }
    if (!row.deadline) {
      entry.dueLabel.textContent = "";
      entry.dueTime.textContent = "—";
      delete cells.due.dataset.state;
    }
    if (row.alerts.length) {
      drawAlert(entry, row);
      entry.alert.classList.toggle("alarm-row", alarm);
    }
  }

  // escalation.selectors.open_alerts: one line under the row for all of the incident's
  // waiting alerts — the latest step, who was told, its reminders, how many more wait,
  // and how long since the first of them fired.
  function drawAlert(entry, row) {
    alertLine(entry);
    const latest = row.alerts[row.alerts.length - 1];
    const told = [...new Set(row.alerts.flatMap((a) => a.told))];
    const more = row.alerts.length - 1;
    fill(entry.alertText, JSON.stringify([latest.id, latest.firings, told, more]), () => {
      const part = el("span", "alert-part");
      part.dataset.alert = latest.id;
      part.append(
        el("strong", "alert-step", `⚠ ${latest.step}`),
        ` · ${told.length ? `told ${told.join(", ")}` : `${latest.level_label} level`} `,
        el("span", "alert-reminder", reminder(latest.firings))
      );
      if (more) part.append(" ", el("span", "alert-more", `+${more} more waiting`));
      return [part];
    });
    entry.alertSince.dataset.since = String(Math.min(...row.alerts.map((a) => Date.parse(a.first_fired_at))));
    if (entry.ack) entry.ack.setAttribute("aria-label", `Acknowledge ${row.reference}`);
  }

  function drawRows(state, params) {
    const all = sortedRows(state);
    const shown = all.filter((row) => matchesFilters(row, params));
    for (const id of lines.keys()) if (!state.rows.has(id)) lines.delete(id);
    const wanted = [];
    for (const row of shown) {
      const entry = lines.get(row.id) || createLines(row);
      const cues = `${state.fresh.has(row.id)}|${state.alarms.has(row.id)}`;
      if (entry.row !== row || entry.cues !== cues) {
        entry.cues = cues;
        updateLines(entry, row, { fresh: state.fresh.has(row.id), alarm: state.alarms.has(row.id) });
      }
      wanted.push(entry.main);
      if (row.alerts.length) wanted.push(entry.alert);
    }
    if (!shown.length) {
      emptyLine.firstChild.textContent = all.length ? "No open incident matches these filters." : "No open incidents.";
      wanted.push(emptyLine);
    }
    reconcile($("rows"), wanted);
    $("shown").textContent = shown.length === all.length ? `${all.length} open` : `${shown.length} of ${all.length} open shown`;
  }

  // ---- header counters ----------------------------------------------------------------
  const counterButtons = new Map();
  function drawCounters(state, params) {
    const counts = countByPriority(state);
    const nav = $("counters");
    const wanted = state.priorities.map((p) => {
      let button = counterButtons.get(p.code);
      if (!button) {
        button = el(wall ? "span" : "button", "counter");
        button.dataset.priority = p.code;
        button.style.borderColor = p.colour;
        const code = el("span", "badge", p.code);
        code.style.background = p.colour;
        button.append(code, el("span", "count"));
        if (!wall) {
          button.type = "button";
          button.addEventListener("click", () => onFilter("priority", new URLSearchParams(location.search).get("priority") === p.code ? "" : p.code));
        }
        counterButtons.set(p.code, button);
      }
      const count = counts.get(p.code) || 0;
      button.querySelector(".count").textContent = String(count);
      if (!wall) {
        button.setAttribute("aria-pressed", String(params.get("priority") === p.code));
        button.title = `${count} open ${p.name}: show only these`;
      }
      return button;
    });
    reconcile(nav, wanted);
  }

  // ---- side panel (desk) and the alert count (both) ------------------------------------
  function drawEscalations(state) {
    const waiting = waitingAlerts(state);
    const count = waiting.reduce((n, { row }) => n + row.alerts.length, 0);
    $("escalations").dataset.count = count;
    $("escalations-count").textContent = String(count);
    const list = $("escalations-list");
    if (!list) return;
    if (!waiting.length) {
      fill(list, "empty", () => [el("li", "empty", "Nothing waiting.")]);
      return;
    }
    fill(list, JSON.stringify(waiting.map(({ row }) => [row.id, row.priority.code, row.summary, row.alerts.map((a) => [a.id, a.firings])])), () =>
      waiting.map(({ row }) => {
        const li = el("li", "escalation");
        li.dataset.incident = row.id;
        const badge = el("span", "badge", row.priority.code);
        badge.style.background = row.priority.colour;
        const link = el("a", "escalation-ref", row.reference);
        link.href = row.url;
        li.append(badge, link, el("span", "escalation-summary", row.summary));
        const latest = row.alerts[row.alerts.length - 1];
        const more = row.alerts.length > 1 ? ` · +${row.alerts.length - 1} more` : "";
        li.append(el("span", "escalation-step", `${latest.step} · ${reminder(latest.firings)}${more}`));
        li.append(el("span", "escalation-at", `first fired ${timeOfDay(Math.min(...row.alerts.map((a) => Date.parse(a.first_fired_at))))}`));
        if (config.can_acknowledge) {
          const button = el("button", "acknowledge", "Acknowledge");
          button.type = "button";
          button.setAttribute("aria-label", `Acknowledge ${row.reference}`);
          button.addEventListener("click", () => onAcknowledge(row, button));
          li.append(button);
        }
        return li;
      })
    );
  }

  function drawResources(state) {
    const list = $("resources");
    if (!list) return;
    const all = [...state.resources.values()].sort((a, b) => a.call_sign.localeCompare(b.call_sign));
    fill(list, JSON.stringify(all), () => {
      if (!all.length) return [el("li", "empty", "No resources yet.")];
      // The shape of dispatch.selectors.resource_row, in the snapshot and live messages.
      return all.map((resource) => {
        const li = el("li", "resource");
        li.dataset.id = resource.id;
        li.dataset.status = resource.status;
        li.append(
          el("strong", "resource-call-sign", resource.call_sign),
          el("span", "resource-status", resource.status_label),
          el("span", "resource-name", resource.name)
        );
        if (resource.incident) li.append(el("span", "resource-incident", `→ ${resource.incident.reference}`));
        return li;
      });
    });
  }

  // ---- every second: clocks run here from the due times; the server sends nothing -----
  function tick(nowMs) {
    $("clock").textContent = timeOfDay(nowMs);
    for (const entry of lines.values()) {
      if (!entry.main.isConnected) continue;
      const { cells } = entry;
      const since = age((nowMs - Date.parse(cells.age.dataset.since)) / 1000);
      if (cells.age.textContent !== since) cells.age.textContent = since;
      const owed = cells.status.querySelector(".update-overdue");
      if (owed) owed.hidden = Date.parse(owed.dataset.due) > nowMs;
      if (cells.due.dataset.deadline) {
        const { state, label, time } = countdown(JSON.parse(cells.due.dataset.deadline), nowMs);
        cells.due.dataset.state = state;
        if (entry.dueLabel.textContent !== label) entry.dueLabel.textContent = label;
        if (entry.dueTime.textContent !== time) entry.dueTime.textContent = time;
      }
      if (entry.alert && entry.alert.isConnected) {
        entry.alertSince.textContent = `first fired ${ago((nowMs - Number(entry.alertSince.dataset.since)) / 1000)}`;
      }
    }
  }

  return { drawRows, drawCounters, drawEscalations, drawResources, tick };
}
