// The live OCPP log: history (GET /api/logs, newest first, paged back with before_id) and the
// live stream (Server-Sent Events on /api/logs/stream, authenticated by the session cookie).
//
// Newest entries are on top, like the history API answers: the live end is where the page
// opens, and scrolling down goes back in time (older pages load at the bottom). Chromium's
// scroll anchoring keeps what you are reading still while new entries arrive above it.
//
// The charger filter is the server's (chargepoint_id on history and stream; changing it
// reopens both); direction and action filter what is already on the page. The page holds at
// most `data-max-entries` entries: live entries push the oldest out, and paging far back
// unloads the newest (the view is then "detached" until "Back to latest").
import { api, clear, el, fmt, showError } from "./common.js";

const list = document.getElementById("log");
const params = new URLSearchParams(location.search);
const PAGE = bounded(params.get("page_size") ?? list.dataset.pageSize, 1, 1000, 200);
const MAX = bounded(params.get("max_entries") ?? list.dataset.maxEntries, 20, 20000, 2000);
/** Entries one gap-fill asks for after a reconnect (the API's largest page). */
const GAP_PAGE = 1000;
/** Older pages loaded in a row without the user scrolling (the sentinel still in view). */
const AUTO_PAGES = 3;

const ui = {
  state: document.getElementById("stream-state"),
  charger: document.getElementById("filter-charger"),
  chargerOther: document.getElementById("filter-charger-other"),
  chargerOtherLabel: document.getElementById("filter-charger-other-label"),
  direction: document.getElementById("filter-direction"),
  action: document.getElementById("filter-action"),
  compact: document.getElementById("compact"),
  pause: document.getElementById("pause"),
  pending: document.getElementById("pending"),
  jumpLatest: document.getElementById("jump-latest"),
  count: document.getElementById("log-count"),
  notices: document.getElementById("log-notices"),
  empty: document.getElementById("log-empty"),
  sentinel: document.getElementById("log-sentinel"),
  loadOlder: document.getElementById("load-older"),
  start: document.getElementById("log-start"),
};

const OTHER = "__other__";

const state = {
  charger: "", // the server-side filter ("" = every charger)
  generation: 0, // bumped by reload(): answers for an older view are dropped
  source: null,
  loaded: false, // the first history page of this view is on the page
  loading: false,
  holding: true, // live entries wait in `early` until history or a gap-fill is merged
  early: [],
  newestId: 0, // highest id taken from history or stream (the stream never goes back)
  oldestId: null, // smallest id on the page: before_id of the next older page
  atStart: false,
  loadingOlder: false,
  paused: false,
  buffer: [], // live entries held while paused
  bufferOverflow: false,
  pending: 0, // live entries not shown (paused or detached)
  detached: false, // the newest entries were unloaded: the view no longer follows live
  queue: [], // live entries waiting for the next render
  flushTimer: 0,
  retryTimer: 0,
  retryDelay: 2000,
  highlight: "",
};

const seenActions = new Map(); // name -> is a connection event
const seenChargers = new Set();

function bounded(raw, min, max, fallback) {
  const n = Number.parseInt(raw ?? "", 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

// --- rendering ---

const KIND_BADGE = { result: "ok", error: "bad", result_error: "bad", invalid: "bad", send: "busy", connection: "" };
const DIRECTION_TEXT = { sent: "→ sent", received: "← received", local: "• local" };
const today = () => new Date().toISOString().slice(0, 10);

function timeText(ts) {
  if (!ts) return "—";
  const [day, clock = ""] = ts.split("T");
  const time = clock.slice(0, 12); // HH:MM:SS.mmm
  return day === today() ? time : `${day.slice(5)} ${time}`;
}

function payloadText(entry, pretty) {
  const payload = entry.payload === undefined ? null : entry.payload;
  return pretty ? JSON.stringify(payload, null, 2) : JSON.stringify(payload);
}

function render(entry) {
  const pre = el("pre", { class: "payload", text: payloadText(entry, !ui.compact.checked) });
  const msgid = entry.message_id
    ? el("button", { type: "button", class: "msgid", title: `${entry.message_id}: highlight the call and its reply`, text: entry.message_id })
    : el("span", { class: "msgid none", text: "—" });
  const node = el(
    "article",
    {
      class: "log-entry",
      dataset: { id: entry.id, direction: entry.direction, action: entry.message_type, kind: entry.kind, charger: entry.chargepoint_id, messageId: entry.message_id || "" },
    },
    el("div", { class: "meta" },
      el("time", { class: "ts", datetime: entry.timestamp, title: `${fmt.time(entry.timestamp)}${(entry.timestamp || "").slice(19)} UTC`, text: timeText(entry.timestamp) }),
      el("span", { class: "cp", title: entry.chargepoint_id, text: entry.chargepoint_id }),
      el("span", { class: `dir dir-${entry.direction}`, text: DIRECTION_TEXT[entry.direction] || entry.direction }),
      el("span", { class: "action", title: entry.message_type, text: entry.message_type }),
      el("span", { class: `kind badge ${KIND_BADGE[entry.kind] ?? ""}`, text: entry.kind }),
      msgid,
    ),
    pre,
  );
  node.entry = entry;
  node.hidden = !matches(entry);
  if (state.highlight && entry.message_id === state.highlight) node.classList.add("paired");
  return node;
}

function matches(entry) {
  const direction = ui.direction.value;
  const action = ui.action.value;
  return (!direction || entry.direction === direction) && (!action || entry.message_type === action);
}

function applyFilters() {
  for (const node of list.children) node.hidden = !matches(node.entry);
  summarize();
  saveQuery();
}

function summarize() {
  const total = list.childElementCount;
  let shown = 0;
  for (const node of list.children) if (!node.hidden) shown += 1;
  const filtered = ui.direction.value || ui.action.value;
  let text = `${fmt.num(total)} ${total === 1 ? "entry" : "entries"} on the page`;
  if (filtered) text += ` · ${fmt.num(shown)} match the filters`;
  if (total >= MAX) text += ` (the page keeps ${fmt.num(MAX)})`;
  ui.count.textContent = state.loaded ? text : "Loading…";
  state.total = total;
  state.shown = shown;
  showEmpty();
  ui.loadOlder.hidden = !state.loaded || state.atStart;
  ui.start.hidden = !state.loaded || !state.atStart || total === 0;
}

function showEmpty() {
  const { total = 0, shown = 0 } = state;
  ui.empty.hidden = !state.loaded || shown > 0;
  ui.empty.textContent = total > 0
    ? "No entry on the page matches the filters."
    : state.paused && state.pending > 0
      ? "Paused: new entries wait until you resume."
      : "No entries yet. Frames appear here as your chargers talk to their CSMS.";
}

function noteAction(entry) {
  const name = entry.message_type;
  if (!name || seenActions.has(name)) return;
  const isEvent = entry.kind === "connection";
  seenActions.set(name, isEvent);
  addActionOption(name, isEvent);
}

function addActionOption(name, isEvent) {
  const label = isEvent ? "Connection events" : "OCPP actions";
  let group = [...ui.action.children].find((g) => g.tagName === "OPTGROUP" && g.label === label);
  if (!group) {
    group = el("optgroup", { label });
    if (isEvent) ui.action.append(group);
    else ui.action.insertBefore(group, ui.action.querySelector("optgroup"));
  }
  const option = el("option", { value: name, text: name });
  const after = [...group.children].find((o) => o.value.localeCompare(name) > 0);
  group.insertBefore(option, after || null);
}

function noteCharger(id) {
  if (!id || seenChargers.has(id)) return;
  seenChargers.add(id);
  const option = el("option", { value: id, text: id });
  const others = [...ui.charger.options].filter((o) => o.value && o.value !== OTHER);
  const after = others.find((o) => o.value.localeCompare(id) > 0);
  ui.charger.insertBefore(option, after || ui.charger.querySelector(`option[value="${OTHER}"]`));
}

async function loadChargers() {
  try {
    const chargers = await api("GET", "/api/chargers");
    for (const c of chargers) noteCharger(c.chargepoint_id);
  } catch {
    // The list is a convenience; the free-text id still works.
  }
}

// --- the page's entries ---

function entryId(node) {
  return node ? Number(node.dataset.id) : null;
}

/** Live entries, oldest first, on top of the page. */
function prependLive(entries) {
  if (entries.length === 0) return;
  const nearTop = window.scrollY < window.innerHeight;
  if (!nearTop && list.childElementCount + entries.length > MAX) {
    // Trimming the bottom would pull away what is being read: stop following live instead.
    detach(entries.length);
    return;
  }
  const fragment = document.createDocumentFragment();
  for (let i = entries.length - 1; i >= 0; i -= 1) fragment.append(render(entries[i]));
  list.prepend(fragment);
  let trimmed = false;
  while (list.childElementCount > MAX) {
    list.lastElementChild.remove();
    trimmed = true;
  }
  if (trimmed) state.atStart = false;
  state.oldestId = entryId(list.lastElementChild);
  summarize();
}

/** A history page, newest first, at the bottom of the page. */
function appendOlder(entries) {
  const fragment = document.createDocumentFragment();
  for (const entry of entries) {
    noteAction(entry);
    fragment.append(render(entry));
  }
  list.append(fragment);
  if (entries.length) state.oldestId = entries[entries.length - 1].id;
  let trimmed = 0;
  while (list.childElementCount > MAX) {
    list.firstElementChild.remove();
    trimmed += 1;
  }
  if (trimmed) detach(0);
  summarize();
}

function detach(missed) {
  if (!state.detached) {
    state.detached = true;
    notice("The newest entries were unloaded to keep the page light; it no longer follows the live stream. “Back to latest” shows the newest again.");
  }
  state.pending += missed;
  showControls();
}

// --- live entries ---

/** Take entries (any order) from the stream or a gap-fill: each id once, in order. */
function accept(entries) {
  entries.sort((a, b) => a.id - b.id);
  for (const entry of entries) {
    if (entry.id <= state.newestId) continue;
    state.newestId = entry.id;
    noteAction(entry);
    if (!state.charger) noteCharger(entry.chargepoint_id);
    if (state.paused) {
      state.pending += 1;
      state.buffer.push(entry);
      if (state.buffer.length > MAX) {
        state.buffer.shift();
        state.bufferOverflow = true;
      }
    } else if (state.detached) {
      state.pending += 1;
    } else {
      state.queue.push(entry);
    }
  }
  if (state.queue.length && !state.flushTimer) state.flushTimer = setTimeout(flush, 80);
  showControls();
}

function flush() {
  state.flushTimer = 0;
  const batch = state.queue.splice(0);
  prependLive(batch.length > MAX ? batch.slice(-MAX) : batch);
}

function receive(event, generation) {
  if (generation !== state.generation) return;
  let entry;
  try {
    entry = JSON.parse(event.data);
  } catch {
    return;
  }
  if (state.holding) state.early.push(entry);
  else accept([entry]);
}

// --- history and stream ---

function query(extra) {
  const q = new URLSearchParams(extra);
  if (state.charger) q.set("chargepoint_id", state.charger);
  return q.toString();
}

async function loadInitial(generation) {
  if (state.loading) return;
  state.loading = true;
  state.holding = true;
  setBusy(true);
  try {
    const page = await api("GET", `/api/logs?${query({ limit: PAGE })}`);
    if (generation !== state.generation) return;
    showError("log", "");
    clear(list);
    state.loaded = true;
    state.atStart = page.length < PAGE;
    state.newestId = Math.max(state.newestId, page.length ? page[0].id : 0);
    appendOlder(page);
  } catch (error) {
    if (generation !== state.generation) return;
    state.loaded = true;
    state.atStart = true;
    showError("log", `History: ${error.message}`);
    summarize();
  } finally {
    if (generation === state.generation) {
      state.loading = false;
      setBusy(false);
      release();
      if (!state.atStart && sentinelInView()) loadOlder();
    }
  }
}

/** After a reconnect: what was stored while the stream was away, merged with what came since. */
async function fillGap(generation) {
  state.holding = true;
  try {
    const page = await api("GET", `/api/logs?${query({ limit: GAP_PAGE })}`);
    if (generation !== state.generation) return;
    const missed = page.filter((e) => e.id > state.newestId);
    if (missed.length === GAP_PAGE) {
      notice("More than 1,000 entries arrived while the stream was away: the view was reloaded.");
      reload();
      return;
    }
    state.early.push(...missed);
  } catch (error) {
    if (generation !== state.generation) return;
    notice(`Entries stored while the stream was away could not be fetched (${error.message}); they are in the history.`);
  } finally {
    if (generation === state.generation) release();
  }
}

function release() {
  state.holding = false;
  const early = state.early.splice(0);
  accept(early);
}

function openStream() {
  const generation = state.generation;
  clearTimeout(state.retryTimer);
  if (state.source) state.source.close();
  const source = new EventSource(`/api/logs/stream${state.charger ? `?${query({})}` : ""}`);
  state.source = source;
  setStreamState("connecting");
  source.addEventListener("open", () => {
    if (generation !== state.generation) return;
    state.retryDelay = 2000;
    setStreamState("live");
    // The first open of a view loads its history; every later one fetches what the stream
    // may have missed meanwhile (a browser's own reconnect resumes by Last-Event-ID, a new
    // stream after a refusal does not: both are merged by id).
    if (!state.loaded) loadInitial(generation);
    else fillGap(generation);
  });
  source.addEventListener("message", (event) => receive(event, generation));
  source.addEventListener("overflow", () => {
    if (generation !== state.generation) return;
    notice("The server dropped the stream because this page fell behind; it resumes from the last entry shown, without a gap.");
  });
  source.addEventListener("error", () => {
    if (generation !== state.generation) return;
    if (!state.loaded) loadInitial(generation);
    if (source.readyState === EventSource.CLOSED) {
      // Refused (too many open streams, session ended) or gone: retry with a fresh stream.
      const delay = state.retryDelay;
      state.retryDelay = Math.min(30000, delay * 2);
      setStreamState("offline", `Offline: retrying in ${Math.round(delay / 1000)} s`);
      api("GET", "/api/me").catch(() => {}); // a session that ended goes to the log-in page
      state.retryTimer = setTimeout(() => {
        if (generation !== state.generation) return;
        openStream();
      }, delay);
    } else {
      setStreamState("reconnecting");
    }
  });
}

function setStreamState(name, label) {
  ui.state.dataset.stream = name;
  state.stream = name;
  state.streamLabel = label;
  showControls();
}

const STATE_LABELS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline" };

function showControls() {
  const stream = state.stream || "connecting";
  const shown = state.paused && stream === "live" ? "paused" : stream;
  ui.state.dataset.state = shown;
  ui.state.querySelector(".label").textContent =
    shown === "paused" ? "Paused" : state.streamLabel || STATE_LABELS[stream] || stream;
  ui.pause.textContent = state.paused ? "Resume" : "Pause";
  ui.pause.setAttribute("aria-pressed", String(state.paused));
  ui.pause.classList.toggle("secondary", !state.paused);
  ui.pending.hidden = state.pending === 0;
  ui.pending.textContent = `${fmt.num(state.pending)} new`;
  ui.jumpLatest.hidden = !state.detached;
  showEmpty();
}

/** A fresh view: new history, new stream (after a charger change or "Back to latest"). */
function reload() {
  state.generation += 1;
  if (state.source) state.source.close();
  state.source = null;
  clearTimeout(state.retryTimer);
  clearTimeout(state.flushTimer);
  Object.assign(state, {
    loaded: false, loading: false, holding: true, early: [], newestId: 0, oldestId: null,
    atStart: false, loadingOlder: false, buffer: [], bufferOverflow: false, pending: 0,
    detached: false, queue: [], flushTimer: 0, retryDelay: 2000,
  });
  clear(list);
  summarize();
  openStream();
}

// --- older pages ---

/** The next older page; `auto`: more pages while the end of the list is still in view (a
 * short or filtered page), a few at most, so an empty filter does not pull in everything. */
async function loadOlder(auto = true) {
  if (!state.loaded || state.atStart || state.loadingOlder || state.oldestId === null) return;
  const generation = state.generation;
  state.loadingOlder = true;
  setBusy(true);
  ui.loadOlder.disabled = true;
  ui.loadOlder.textContent = "Loading…";
  showError("load-older", "");
  try {
    let pages = 0;
    do {
      const page = await api("GET", `/api/logs?${query({ limit: PAGE, before_id: state.oldestId })}`);
      if (generation !== state.generation) return;
      state.atStart = page.length < PAGE;
      appendOlder(page);
      pages += 1;
    } while (auto && !state.atStart && pages < AUTO_PAGES && sentinelInView());
  } catch (error) {
    if (generation === state.generation) showError("load-older", error.message);
  } finally {
    if (generation === state.generation) {
      state.loadingOlder = false;
      setBusy(false);
      ui.loadOlder.disabled = false;
      ui.loadOlder.textContent = "Load older";
    }
  }
}

function setBusy(busy) {
  list.setAttribute("aria-busy", String(busy));
}

function sentinelInView() {
  const box = ui.sentinel.getBoundingClientRect();
  return box.top < window.innerHeight + 300 && box.bottom > 0;
}

new IntersectionObserver(
  (records) => {
    if (records.some((r) => r.isIntersecting)) loadOlder();
  },
  { rootMargin: "0px 0px 300px 0px" },
).observe(ui.sentinel);

// A list shorter than the window does not scroll, so the sentinel never "enters" the view
// again: a wheel or key towards older entries asks for the next page too.
window.addEventListener("wheel", (event) => {
  if (event.deltaY > 0 && sentinelInView()) loadOlder();
}, { passive: true });
window.addEventListener("keydown", (event) => {
  if (["End", "PageDown", "ArrowDown"].includes(event.key) && sentinelInView()) loadOlder();
});

ui.loadOlder.addEventListener("click", () => loadOlder(false));

// --- notices ---

function notice(text) {
  const close = el("button", { type: "button", class: "small secondary", "aria-label": "Dismiss", text: "×" });
  const item = el("div", { class: "log-notice" },
    el("span", { class: "ts", text: new Date().toISOString().slice(11, 19) }),
    el("span", { text }),
    close,
  );
  close.addEventListener("click", () => item.remove());
  ui.notices.prepend(item);
  while (ui.notices.childElementCount > 4) ui.notices.lastElementChild.remove();
}

// --- controls ---

function setCharger(id) {
  if (id === state.charger) return;
  state.charger = id;
  if (id) noteCharger(id);
  saveQuery();
  reload();
}

ui.charger.addEventListener("change", () => {
  const other = ui.charger.value === OTHER;
  ui.chargerOtherLabel.hidden = !other;
  if (other) {
    ui.chargerOther.focus();
    if (ui.chargerOther.value.trim()) setCharger(ui.chargerOther.value.trim());
  } else {
    setCharger(ui.charger.value);
  }
});
ui.chargerOther.addEventListener("change", () => setCharger(ui.chargerOther.value.trim()));
document.getElementById("log-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  if (ui.charger.value === OTHER) setCharger(ui.chargerOther.value.trim());
});

ui.direction.addEventListener("change", applyFilters);
ui.action.addEventListener("change", applyFilters);

ui.compact.addEventListener("change", () => {
  const pretty = !ui.compact.checked;
  list.classList.toggle("compact", !pretty);
  for (const node of list.children) {
    node.classList.remove("open");
    node.querySelector("pre.payload").textContent = payloadText(node.entry, pretty);
  }
  saveQuery();
});

list.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const msgid = target.closest("button.msgid");
  if (msgid) {
    const id = msgid.closest(".log-entry").entry.message_id;
    state.highlight = state.highlight === id ? "" : id;
    for (const node of list.children) {
      node.classList.toggle("paired", Boolean(state.highlight) && node.entry.message_id === state.highlight);
    }
    return;
  }
  // One-line payloads: a click opens one entry's payload in full (a text selection does not).
  const pre = target.closest("pre.payload");
  if (pre && ui.compact.checked && !String(window.getSelection() || "")) {
    const node = pre.closest(".log-entry");
    const open = node.classList.toggle("open");
    pre.textContent = payloadText(node.entry, open);
  }
});

ui.pause.addEventListener("click", () => {
  if (!state.paused) {
    state.paused = true;
  } else {
    state.paused = false;
    const buffered = state.buffer.splice(0);
    const overflow = state.bufferOverflow;
    state.bufferOverflow = false;
    if (!state.detached) {
      state.pending = 0;
      if (overflow) {
        notice("More entries arrived while paused than the page keeps: the view was reloaded.");
        reload();
        return;
      }
      state.queue.push(...buffered);
      flush();
    }
  }
  showControls();
});

ui.jumpLatest.addEventListener("click", () => {
  reload();
  window.scrollTo({ top: 0 });
});

function saveQuery() {
  const q = new URLSearchParams(location.search);
  const set = (name, value) => (value ? q.set(name, value) : q.delete(name));
  set("chargepoint_id", state.charger);
  set("direction", ui.direction.value);
  set("action", ui.action.value);
  set("compact", ui.compact.checked ? "1" : "");
  const text = q.toString();
  history.replaceState(null, "", text ? `${location.pathname}?${text}` : location.pathname);
}

// --- start: filters from the address (links like /log?chargepoint_id=SIM-AC-001) ---

const wanted = (params.get("chargepoint_id") || "").trim().slice(0, 48);
if (wanted) {
  noteCharger(wanted);
  ui.charger.value = wanted;
  state.charger = wanted;
}
if ([...ui.direction.options].some((o) => o.value === params.get("direction"))) {
  ui.direction.value = params.get("direction");
}
const wantedAction = params.get("action");
if (wantedAction) {
  seenActions.set(wantedAction, false);
  addActionOption(wantedAction, /^[a-z_]+$/.test(wantedAction));
  ui.action.value = wantedAction;
}
if (params.get("compact") === "1") {
  ui.compact.checked = true;
  list.classList.add("compact");
}
summarize();
showControls();
loadChargers();
setInterval(loadChargers, 30000);
openStream();
