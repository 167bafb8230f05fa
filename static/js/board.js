// The live dispatch board. Rows come whole from the server (snapshot, live events, resync)
// and are kept by version; user text only ever goes in through textContent.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("board-config").textContent);
  const $ = (id) => document.getElementById(id);
  const rows = new Map(); // incident id → row
  const rowsAsOf = new Map(); // incident id → event id its row was read after (see applyRow)
  const resources = new Map(); // resource id → resource
  const seen = new Set(); // event ids applied (duplicates are ignored by id)
  const waiting = new Map(); // prev_id → event that arrived before the one it follows
  let cursor = 0; // every event up to this id has been applied
  let offsetMs = 0; // server clock minus browser clock
  let syncedAt = null; // when the board last knew it was complete
  let socket = null;
  let attempt = 0;
  let gapTimer = null;
  let started = false; // no "new P1" alarm for what the first snapshot shows
  const highlighted = new Map(); // incident id → highlight end (ms)
  let bannerAlert = null; // {incident, alert} ids while the banner announces an escalation
  let soundOn = localStorage.getItem("board-sound") !== "off";

  // ---- state -------------------------------------------------------------------------
  // `asOf`: the event id the row was read after (rows are read after commit). Escalation
  // firings and acknowledgements leave the version alone, so of two copies with the same
  // version the one read after the later event wins.
  function applyRow(row, asOf) {
    const before = rows.get(row.id);
    if (before && before.version > row.version) return; // an older copy arrived late
    if (before && before.version === row.version && (rowsAsOf.get(row.id) || 0) > asOf) return;
    rowsAsOf.set(row.id, asOf);
    settleBanner(row);
    if (!row.open) {
      rows.delete(row.id);
      return;
    }
    rows.set(row.id, row);
    const becameP1 = row.priority.rank === 1 && (!before || before.priority.rank !== 1);
    if (started && becameP1) announceP1(row);
    const known = new Set(before ? before.alerts.map((alert) => alert.id) : []);
    const fired = row.alerts.filter((alert) => !known.has(alert.id));
    if (started && fired.length) announceEscalation(row, fired[fired.length - 1]);
  }

  function loadSnapshot(snapshot) {
    rows.clear();
    rowsAsOf.clear();
    waiting.clear();
    snapshot.rows.forEach((row) => {
      rows.set(row.id, row);
      rowsAsOf.set(row.id, snapshot.cursor);
    });
    replaceResources(snapshot.resources);
    cursor = snapshot.cursor;
    clock(snapshot.server_time);
    fillFilters(snapshot);
  }

  function replaceResources(list) {
    resources.clear();
    list.forEach((resource) => resources.set(resource.id, resource));
  }

  function clock(serverTime) {
    offsetMs = Date.parse(serverTime) - Date.now();
    syncedAt = new Date();
  }

  function onEvent(event) {
    if (event.id <= cursor || seen.has(event.id)) return;
    seen.add(event.id);
    if (event.row) applyRow(event.row, event.id);
    if (event.prev_id <= cursor) {
      cursor = event.id;
      while (waiting.has(cursor)) {
        const next = waiting.get(cursor);
        waiting.delete(cursor);
        cursor = next.id;
      }
      if (waiting.size === 0) syncedAt = new Date();
    } else {
      // The event it follows has not arrived: a reordered delivery (it will come) or a
      // dropped message (it will not). Give it a moment, then ask for what is missing.
      waiting.set(event.prev_id, event);
      clearTimeout(gapTimer);
      gapTimer = setTimeout(() => waiting.size && resync(), 1500);
    }
    draw();
  }

  function onResync(answer) {
    if (answer.reset) {
      loadSnapshot(answer.snapshot);
    } else {
      answer.events.forEach((event) => seen.add(event.id));
      answer.rows.forEach((row) => applyRow(row, answer.cursor));
      replaceResources(answer.resources);
      cursor = Math.max(cursor, answer.cursor);
      for (const [prev, event] of waiting) if (event.id <= cursor) waiting.delete(prev);
      clock(answer.server_time);
    }
    if (seen.size > 5000) seen.clear(); // ids at or below the cursor are ignored anyway
    setConnection("live");
    draw();
  }

  function onResource(message) {
    const resource = message.resource;
    if (resource.removed) resources.delete(resource.id);
    else resources.set(resource.id, resource);
    draw();
  }

  // ---- connection --------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/board/`);
    socket.onopen = () => {
      attempt = 0;
      setConnection("syncing");
      resync();
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "event") onEvent(data);
      else if (data.type === "resync") onResync(data);
      else if (data.type === "resource") onResource(data);
      else if (data.type === "presence") showPresence(data.watching);
    };
    socket.onclose = (closed) => {
      socket = null;
      if (closed.code === 4401 || closed.code === 4403) {
        setConnection("refused");
        return;
      }
      setConnection("reconnecting");
      // Exponential backoff with jitter, so a restarted server is not hit by every board
      // at the same instant.
      const ceiling = Math.min(15000, 500 * 2 ** attempt++);
      setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
    };
  }

  function resync() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "resync", after: cursor }));
    }
  }

  function setConnection(state) {
    const el = $("connection");
    el.dataset.state = state;
    const asOf = syncedAt ? `showing data as of ${syncedAt.toLocaleTimeString("en-GB")}` : "";
    el.textContent = {
      live: "● Live",
      syncing: `Catching up… ${asOf}`,
      reconnecting: `Reconnecting… ${asOf}`,
      refused: `Signed out: reload the page to sign in. ${asOf}`,
    }[state];
  }

  function showPresence(watching) {
    $("presence").textContent = `${watching} supervisor${watching === 1 ? "" : "s"} watching`;
  }

  // ---- filters (kept in the URL) -----------------------------------------------------
  const filters = () => new URLSearchParams(location.search);

  function fillFilters(snapshot) {
    const params = filters();
    const fill = (select, options) => {
      select.replaceChildren(select.options[0]);
      options.forEach(([value, label]) => select.add(new Option(label, value)));
      select.value = params.get(select.name) || "";
    };
    fill($("f-priority"), snapshot.priorities.map((p) => [p.code, `${p.code} ${p.name}`]));
    fill($("f-category"), snapshot.categories.map((c) => [c.slug, c.name]));
    fill($("f-status"), snapshot.statuses.map((s) => [s.value, s.label]));
    $("f-unassigned").checked = params.get("unassigned") === "1";
    priorities = snapshot.priorities;
  }
  let priorities = [];

  function setFilter(name, value) {
    const params = filters();
    if (value) params.set(name, value);
    else params.delete(name);
    const query = params.toString();
    history.replaceState(null, "", query ? `?${query}` : location.pathname);
    draw();
  }

  $("filters").addEventListener("change", (change) => {
    const input = change.target;
    setFilter(input.name, input.type === "checkbox" ? (input.checked ? "1" : "") : input.value);
  });
  $("filters").addEventListener("submit", (submit) => submit.preventDefault());

  function visible(row, params) {
    return (
      (!params.get("priority") || row.priority.code === params.get("priority")) &&
      (!params.get("category") || row.category.slug === params.get("category")) &&
      (!params.get("status") || row.status === params.get("status")) &&
      (params.get("unassigned") !== "1" || row.assigned.length === 0)
    );
  }

  // ---- drawing -----------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function sortKey(row) {
    const d = row.deadline;
    return [row.priority.rank, d && !d.paused ? Date.parse(d.due_at) : Infinity, Date.parse(row.received_at)];
  }

  function compare(a, b) {
    const x = sortKey(a);
    const y = sortKey(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  }

  let drawPending = false;
  function draw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      drawRows();
      drawCounters();
      drawResources();
      drawEscalations();
      tick();
    });
  }

  function drawRows() {
    const params = filters();
    const all = [...rows.values()].sort(compare);
    const shown = all.filter((row) => visible(row, params));
    const body = $("rows");
    body.replaceChildren(
      ...shown.flatMap((row) => {
        const tr = el("tr");
        tr.dataset.id = row.id;
        tr.dataset.priority = row.priority.code;
        if (highlighted.has(row.id)) tr.classList.add("new-p1-row");
        const badge = el("span", "badge", row.priority.code);
        badge.style.background = row.priority.colour;
        const cells = [el("td", "prio"), el("td", "ref"), el("td", "what"), el("td", "where", row.location)];
        cells[0].append(badge);
        const link = el("a", null, row.reference);
        link.href = row.url;
        cells[1].append(link);
        // A linked call's response and resolution run on its parent's clocks.
        if (row.follows_parent) cells[1].append(el("span", "follows", `follows ${row.follows_parent}`));
        cells[2].append(el("span", "category", row.category.name), el("span", "summary", row.summary));
        const status = el("td", "status", row.status_label);
        if (row.customer_update && !row.customer_update.paused) {
          // Shown by tick() once the due time passes, so it needs no message to appear.
          const owed = el("span", "update-overdue", "Update overdue");
          owed.dataset.due = row.customer_update.due_at;
          owed.hidden = true;
          status.append(owed);
        }
        const age = el("td", "age");
        age.dataset.since = row.received_at;
        const assigned = el("td", "assigned");
        row.assigned.forEach((a) => {
          const who = el("span", "assignee");
          who.dataset.status = a.status;
          who.append(el("strong", null, a.call_sign), el("span", "assignee-name", a.name), el("span", "pill", a.status_label));
          // Deployed but not answered (briefing failed, awaiting voice, no acknowledgement):
          // the response clock is still running.
          if (a.warning) who.append(el("span", "assignee-warning", a.warning));
          assigned.append(who);
        });
        if (!row.assigned.length) assigned.append(el("span", "none", "—"));
        if (config.can_dispatch && row.takes_resources) {
          const send = el("button", "dispatch-open", "Dispatch…");
          send.type = "button";
          send.setAttribute("aria-label", `Dispatch a resource to ${row.reference}`);
          send.addEventListener("click", () => openDispatch(row));
          assigned.append(send);
        }
        const due = el("td", "countdown");
        if (row.deadline) {
          Object.assign(due.dataset, {
            due: row.deadline.due_at,
            target: row.deadline.target_seconds,
            label: row.deadline.label,
            paused: row.deadline.paused ? row.deadline.paused_remaining_seconds : "",
          });
        } else {
          due.textContent = "—";
        }
        tr.append(...cells, status, age, assigned, due);
        // escalation.selectors.alert_row: a full-width red line under the row for each
        // escalation waiting for a supervisor, so it reads on one line from across the room.
        const alerts = row.alerts.map((alert) => {
          const line = el("tr", "alert-row");
          line.dataset.id = row.id;
          line.dataset.alert = alert.id;
          if (highlighted.has(row.id)) line.classList.add("new-p1-row");
          const td = el("td", "alert");
          td.colSpan = 8;
          td.append(
            el("strong", "alert-step", `⚠ ${alert.step}`),
            el("span", "alert-level", `${alert.level_label} level`),
            el("span", "alert-ack", "Needs acknowledgement"),
            el("span", "alert-at", `fired ${timeOfDay(alert.fired_at)}`)
          );
          line.append(td);
          return line;
        });
        if (alerts.length) tr.classList.add("has-alert");
        return [tr, ...alerts];
      })
    );
    if (shown.length === 0) {
      const td = el("td", "empty", all.length ? "No open incident matches these filters." : "No open incidents.");
      td.colSpan = 8;
      body.append(el("tr")).append(td);
    }
    $("shown").textContent = shown.length === all.length ? `${all.length} open` : `${shown.length} of ${all.length} open shown`;
  }

  function drawCounters() {
    const params = filters();
    const nav = $("counters");
    nav.replaceChildren(
      ...priorities.map((p) => {
        const count = [...rows.values()].filter((row) => row.priority.code === p.code).length;
        const button = el("button", "counter");
        button.type = "button";
        button.dataset.priority = p.code;
        button.style.borderColor = p.colour;
        button.setAttribute("aria-pressed", String(params.get("priority") === p.code));
        const code = el("span", "badge", p.code);
        code.style.background = p.colour;
        button.append(code, el("span", "count", String(count)));
        button.title = `${count} open ${p.name}: show only these`;
        button.addEventListener("click", () => {
          const on = params.get("priority") === p.code;
          setFilter("priority", on ? "" : p.code);
          $("f-priority").value = on ? "" : p.code;
        });
        return button;
      })
    );
  }

  function drawResources() {
    const list = $("resources");
    if (resources.size === 0) {
      list.replaceChildren(el("li", "empty", "No resources yet."));
      return;
    }
    const byCallSign = (a, b) => a.call_sign.localeCompare(b.call_sign);
    list.replaceChildren(
      ...[...resources.values()].sort(byCallSign).map((resource) => {
        // The shape of dispatch.selectors.resource_row, in the snapshot and live messages.
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
      })
    );
  }

  function timeOfDay(iso) {
    return new Date(Date.parse(iso)).toLocaleTimeString("en-GB");
  }

  // ---- unacknowledged escalations (from the rows' alerts: every row, whatever the filters)
  function drawEscalations() {
    const waitingFor = [...rows.values()]
      .filter((row) => row.alerts.length)
      .map((row) => ({ row, first: Math.min(...row.alerts.map((a) => Date.parse(a.fired_at))) }))
      .sort((a, b) => a.first - b.first || a.row.id - b.row.id);
    const count = waitingFor.reduce((n, { row }) => n + row.alerts.length, 0);
    $("escalations").dataset.count = count;
    $("escalations-count").textContent = String(count);
    const list = $("escalations-list");
    if (!waitingFor.length) {
      list.replaceChildren(el("li", "empty", "Nothing waiting."));
      return;
    }
    list.replaceChildren(
      ...waitingFor.map(({ row }) => {
        const li = el("li", "escalation");
        li.dataset.incident = row.id;
        const badge = el("span", "badge", row.priority.code);
        badge.style.background = row.priority.colour;
        const link = el("a", "escalation-ref", row.reference);
        link.href = row.url;
        li.append(badge, link, el("span", "escalation-summary", row.summary));
        row.alerts.forEach((alert) => {
          li.append(
            el("span", "escalation-step", `${alert.step} · ${alert.level_label} level`),
            el("span", "escalation-at", `fired ${timeOfDay(alert.fired_at)}`)
          );
        });
        if (config.can_acknowledge) {
          const button = el("button", "acknowledge", "Acknowledge");
          button.type = "button";
          button.setAttribute("aria-label", `Acknowledge ${row.reference}`);
          button.addEventListener("click", () => acknowledge(row, button));
          li.append(button);
        }
        return li;
      })
    );
  }

  // The row comes back without the alert in the escalation_acknowledged event.
  async function acknowledge(row, button) {
    const error = $("escalations-error");
    error.hidden = true;
    button.disabled = true;
    try {
      const response = await fetch(`/api/incidents/${row.id}/acknowledge-escalation/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        const refused = response.status === 403 ? "You may not acknowledge escalations." : `Not acknowledged (error ${response.status}).`;
        throw new Error(errorText(response.status, body, refused));
      }
      $("board-notice").textContent = `Escalation on ${row.reference} acknowledged.`;
    } catch (failed) {
      error.textContent = failed.message || "Not acknowledged: check the connection.";
      error.hidden = false;
      if (button.isConnected) button.disabled = false;
    }
  }

  function duration(seconds) {
    const s = Math.abs(Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }

  function age(seconds) {
    const m = Math.floor(seconds / 60);
    return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h ${m % 60}m`;
  }

  // Countdowns run here from the due times; the server sends nothing per second.
  function tick() {
    const now = Date.now() + offsetMs;
    $("clock").textContent = new Date(now).toLocaleTimeString("en-GB");
    document.querySelectorAll("#rows td.age").forEach((td) => {
      td.textContent = age((now - Date.parse(td.dataset.since)) / 1000);
    });
    document.querySelectorAll("#rows .update-overdue").forEach((span) => {
      span.hidden = Date.parse(span.dataset.due) > now;
    });
    document.querySelectorAll("#rows td.countdown[data-due]").forEach((td) => {
      const target = Number(td.dataset.target);
      const paused = td.dataset.paused !== "";
      const left = paused ? Number(td.dataset.paused) : (Date.parse(td.dataset.due) - now) / 1000;
      const state = left < 0 ? "breached" : left <= target * 0.25 ? "warning" : "ok";
      td.dataset.state = paused ? "paused" : state;
      td.textContent = `${td.dataset.label} ${paused ? "paused " : ""}${left < 0 ? "−" : ""}${duration(left)}${left < 0 ? " over" : ""}`;
    });
    const expired = [...highlighted].filter(([, until]) => until < Date.now());
    if (expired.length) {
      expired.forEach(([id]) => highlighted.delete(id));
      if (!highlighted.size) $("new-p1").hidden = true;
      draw();
    }
  }

  // ---- a new P1 is impossible to miss -------------------------------------------------
  function announceP1(row) {
    bannerAlert = null;
    highlighted.set(row.id, Date.now() + 60000);
    const banner = $("new-p1");
    banner.textContent = `New P1 ${row.reference}: ${row.summary} — ${row.location}`;
    banner.hidden = false;
    if (soundOn) beep();
  }

  // A new escalation (or a repeat nobody acknowledged): the same highlight, banner and sound.
  function announceEscalation(row, alert) {
    bannerAlert = { incident: row.id, alert: alert.id };
    highlighted.set(row.id, Date.now() + 60000);
    const banner = $("new-p1");
    banner.textContent = `Escalation ${row.reference}: ${alert.step} · ${alert.level_label} level · needs acknowledgement`;
    banner.hidden = false;
    if (soundOn) beep();
  }

  // Once the announced escalation is acknowledged, "needs acknowledgement" would be false.
  function settleBanner(row) {
    if (!bannerAlert || bannerAlert.incident !== row.id) return;
    if (row.open && row.alerts.some((alert) => alert.id === bannerAlert.alert)) return;
    bannerAlert = null;
    highlighted.delete(row.id);
    $("new-p1").hidden = true;
  }

  function beep() {
    try {
      const audio = new AudioContext();
      [0, 0.35, 0.7].forEach((start) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.2;
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + start);
        tone.stop(audio.currentTime + start + 0.2);
      });
    } catch (_) {
      // No audio (or not allowed yet): the highlight and banner still show.
    }
  }

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
  $("new-p1").addEventListener("click", () => ($("new-p1").hidden = true));

  // ---- dispatch from the board ------------------------------------------------------
  // The recommendations and the dispatch are the API's; the incident's standard briefing
  // is sent (the incident page is where to edit it or pick another channel).
  const dialog = $("dispatch-dialog");
  let dispatching = null; // the row the dialog is for

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function showDispatchError(text) {
    const error = $("dispatch-error");
    error.textContent = text;
    error.hidden = !text;
  }

  function errorText(status, body, otherwise) {
    if (body && typeof body === "object") {
      const texts = Object.values(body).flat().filter((t) => typeof t === "string");
      if (texts.length) return texts.join(" ");
    }
    if (otherwise) return otherwise;
    return status === 403 ? "You may not dispatch resources." : `The dispatch was not made (error ${status}).`;
  }

  async function openDispatch(row) {
    dispatching = row;
    $("dispatch-title").textContent = `Dispatch to ${row.reference}`;
    $("dispatch-incident").textContent = `${row.priority.code} · ${row.category.name} · ${row.summary} — ${row.location}`;
    showDispatchError("");
    $("recommendations").replaceChildren(el("li", "muted", "Finding the nearest available resources…"));
    dialog.showModal();
    await loadRecommendations(row);
  }

  async function loadRecommendations(row) {
    const list = $("recommendations");
    try {
      const response = await fetch(`/api/incidents/${row.id}/recommendations/`, { credentials: "same-origin" });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(errorText(response.status, body));
      list.replaceChildren(...body.map(recommendationItem));
      if (!body.length) list.replaceChildren(el("li", "muted", "No available, verified resource is skilled for this category."));
      const first = list.querySelector("button:not([disabled])");
      if (first) first.focus();
    } catch (failed) {
      list.replaceChildren();
      showDispatchError(failed.message || "Could not load the recommendations.");
    }
  }

  function recommendationItem(rec) {
    const li = el("li", "recommendation");
    const button = el("button", "dispatch-send", `Dispatch ${rec.resource.call_sign}`);
    button.type = "button";
    button.disabled = !rec.channel;
    button.addEventListener("click", () => sendDispatch(rec, button));
    li.append(
      button,
      el("strong", "rec-name", rec.resource.name),
      el("span", "rec-reasons", rec.reasons.join(" · "))
    );
    return li;
  }

  async function sendDispatch(rec, button) {
    const row = dispatching;
    showDispatchError("");
    button.disabled = true;
    try {
      const response = await fetch(`/api/incidents/${row.id}/dispatches/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({
          resource: rec.resource.id,
          channel: rec.channel,
          briefed_by_voice: $("dispatch-voice").checked,
        }),
      });
      const body = await response.json().catch(() => null);
      if (response.status === 409) await loadRecommendations(row); // someone was quicker
      if (!response.ok) throw new Error(errorText(response.status, body));
      dialog.close();
      $("board-notice").textContent = `${rec.resource.call_sign} dispatched to ${row.reference}.`;
    } catch (failed) {
      showDispatchError(failed.message || "The dispatch was not made: check the connection.");
      if (button.isConnected) {
        button.disabled = false;
        button.focus();
      }
    }
  }

  // The dialog is only on the page for those who may dispatch (config.can_dispatch).
  if (dialog) {
    dialog.addEventListener("close", () => {
      $("dispatch-voice").checked = false;
      dispatching = null;
    });
  }

  // ---- start -------------------------------------------------------------------------
  loadSnapshot(JSON.parse(document.getElementById("board-snapshot").textContent));
  started = true;
  showSound();
  draw();
  connect();
  setInterval(tick, 1000);
  setInterval(() => socket && socket.readyState === WebSocket.OPEN && socket.send('{"type":"ping"}'), config.ping_seconds * 1000);
  // A laptop waking from sleep or a network coming back: check at once rather than wait.
  const check = () => (socket && socket.readyState === WebSocket.OPEN ? resync() : null);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && check());
  window.addEventListener("online", check);
})();
