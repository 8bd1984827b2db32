// The Chargers dashboard: a live table of the user's chargers, the create form, and a panel of
// controls per charger.
//
// Live updates: the OCPP log stream (SSE, authenticated by the session cookie) says which
// charger just sent or received something; the page then refetches that one charger, at most
// once per COALESCE_MS. Charging chargers are also polled, so their energy moves between meter
// values. Every answer is stamped with the time its request started, and an answer older than
// what the row shows (or than the charger's deletion) is dropped, so replies that cross each
// other never roll a row back. Everything from the API reaches the page via el() (textContent).
import { api, ApiError, el, formValues, fmt, run, showError } from "./common.js";

const COALESCE_MS = 300;
const CHARGING_POLL_MS = 2500;
const LIST_REFRESH_MS = 20000;
const STREAM_RETRY_MS = 5000;
const GONE_QUIET_MS = 10000;
const ENUMS = ["Mode", "ErrorCode", "OcppVersion", "AuthMode", "ChargerType"];
const MODE_HINTS = {
  off: "Disconnected from the backend",
  on: "Connected; sessions start when you (or the backend) start them",
  autopilot: "Connected; plugs in and runs sessions by itself",
  manual: "Connected; sessions start when you (or the backend) start them",
};
const STATUS_CLASS = new Map([
  ["Available", "ok"],
  ["Charging", "busy"],
  ["Preparing", "warn"],
  ["SuspendedEV", "warn"],
  ["SuspendedEVSE", "warn"],
  ["Finishing", "warn"],
  ["Reserved", "warn"],
  ["Faulted", "bad"],
]);
const AUTH_LABELS = { rfid: "RFID", plug_and_charge: "Plug & Charge" };

const tbody = document.querySelector("#chargers tbody");
const table = document.getElementById("chargers");
const emptyState = document.getElementById("empty-state");
const loading = document.getElementById("loading");
const listError = document.getElementById("list-error");
const streamState = document.getElementById("stream-state");
const fleetSummary = document.getElementById("fleet-summary");
const createCard = document.getElementById("create-card");
const createForm = document.getElementById("create-form");
const createButton = document.getElementById("create-charger");

/** Enum values, read from the OpenAPI document. */
const enums = {};
/** chargepoint id -> entry {id, charger, row, cells, panelRow, panel}. */
const entries = new Map();
/** chargepoint id -> request start time of the newest state shown (or of the deletion). */
const stamps = new Map();
/** chargepoint id -> {backend_url, rfid_tag} as configured ("" = the global default). */
const configured = new Map();
let defaults = { backend_url: "", rfid_tag: "" };
let loaded = false;

const now = () => performance.now();
const path = (id, action = "") =>
  `/api/chargers/${encodeURIComponent(id)}${action ? "/" + action : ""}`;
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const byId = (a, b) => a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });

// --- state ------------------------------------------------------------------------------

function apply(charger, startedAt) {
  const id = charger.chargepoint_id;
  if ((stamps.get(id) ?? -Infinity) > startedAt) return;
  stamps.set(id, startedAt);
  let entry = entries.get(id);
  if (!entry) {
    entry = buildEntry(charger);
    entries.set(id, entry);
    place(entry);
  }
  entry.charger = charger;
  renderRow(entry);
  syncPanel(entry);
  changed();
}

function remove(id, at) {
  if ((stamps.get(id) ?? -Infinity) > at) return;
  stamps.set(id, at);
  const entry = entries.get(id);
  if (!entry) return;
  entry.row.remove();
  entry.panelRow.remove();
  entries.delete(id);
  configured.delete(id);
  changed();
}

function renamed(entry, newId) {
  const oldId = entry.id;
  stamps.set(oldId, now());
  entries.delete(oldId);
  entries.set(newId, entry);
  if (configured.has(oldId)) {
    configured.set(newId, configured.get(oldId));
    configured.delete(oldId);
  }
  entry.id = newId;
  entry.row.dataset.chargepointId = newId;
  entry.panelRow.dataset.panelFor = newId;
  entry.row.remove();
  entry.panelRow.remove();
  place(entry);
}

/** Insert an entry's rows at their sorted place (other rows are not moved: no focus is lost). */
function place(entry) {
  const after = [...entries.values()]
    .filter((other) => other !== entry && other.row.isConnected && byId(other.id, entry.id) > 0)
    .sort((a, b) => byId(a.id, b.id))[0];
  if (after) {
    tbody.insertBefore(entry.row, after.row);
    tbody.insertBefore(entry.panelRow, after.row);
  } else {
    tbody.append(entry.row, entry.panelRow);
  }
}

function changed() {
  const empty = entries.size === 0;
  table.hidden = empty;
  emptyState.hidden = !loaded || !empty;
  let online = 0;
  let charging = 0;
  let power = 0;
  for (const { charger } of entries.values()) {
    if (charger.connected) online += 1;
    charging += Object.values(charger.connector_status).filter((s) => s === "Charging").length;
    power += Number(charger.current_power_kw) || 0;
  }
  const n = entries.size;
  fleetSummary.textContent = n
    ? `${n} charger${n === 1 ? "" : "s"} · ${online} online · ${charging} charging · ${fmt.kw(power)}`
    : "";
  suggestId();
}

// --- fetching ---------------------------------------------------------------------------

const schedule = new Map();

/** Refetch one charger soon: at most once per COALESCE_MS, and once more if events came in
 * while a fetch was on its way (its answer might predate them). */
function refreshSoon(id) {
  if (justGone(id)) return;
  let s = schedule.get(id);
  if (!s) {
    s = { last: -Infinity, timer: 0, busy: false, again: false };
    schedule.set(id, s);
  }
  if (s.timer) return;
  if (s.busy) {
    s.again = true;
    return;
  }
  const wait = Math.max(0, s.last + COALESCE_MS - now());
  s.timer = setTimeout(() => fetchOne(id, s), wait);
}

/** Deleted or renamed from this page just now: its last events are still on their way. */
function justGone(id) {
  return !entries.has(id) && now() - (stamps.get(id) ?? -Infinity) < GONE_QUIET_MS;
}

async function fetchOne(id, s) {
  s.timer = 0;
  if (justGone(id)) return;
  if (entries.get(id)?.moving) {
    // Being renamed or deleted: ask again once that is done (then it is gone, or not).
    s.timer = setTimeout(() => fetchOne(id, s), COALESCE_MS);
    return;
  }
  s.busy = true;
  s.again = false;
  const started = now();
  s.last = started;
  try {
    apply(await api("GET", path(id)), started);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) remove(id, started);
  } finally {
    s.busy = false;
    if (s.again) refreshSoon(id);
    else if (!entries.has(id)) schedule.delete(id);
  }
}

async function loadAll() {
  const started = now();
  const [list, settings] = await Promise.all([
    api("GET", "/api/chargers"),
    api("GET", "/api/settings").catch(() => null),
  ]);
  if (settings) {
    defaults = {
      backend_url: settings.settings.ocpp_backend_url,
      rfid_tag: settings.settings.rfid_card_id,
    };
    for (const c of settings.chargers) {
      configured.set(c.chargepoint_id, { backend_url: c.backend_url, rfid_tag: c.rfid_tag });
    }
  }
  const seen = new Set();
  for (const charger of list) {
    seen.add(charger.chargepoint_id);
    apply(charger, started);
  }
  for (const [id, entry] of [...entries]) if (!seen.has(id) && !entry.moving) remove(id, started);
  if (settings) for (const entry of entries.values()) syncPanel(entry);
  if (!loaded) {
    loaded = true;
    loading.remove();
    createCard.open = entries.size === 0;
  }
  listError.hidden = true;
  changed();
}

function reload() {
  loadAll().catch((error) => {
    listError.textContent = `The chargers could not be loaded: ${error.message}`;
    listError.hidden = false;
  });
}

function charging(charger) {
  return (
    Number(charger.current_power_kw) > 0 ||
    Object.values(charger.connector_status).includes("Charging")
  );
}

// --- the live stream --------------------------------------------------------------------

let stream = null;
let reloadOnOpen = false;

function setStream(state, label) {
  streamState.dataset.state = state;
  streamState.querySelector(".label").textContent = label;
}

function connectStream() {
  setStream("connecting", "Connecting…");
  const source = new EventSource("/api/logs/stream");
  stream = source;
  source.addEventListener("open", () => {
    setStream("live", "Live");
    if (reloadOnOpen) {
      reloadOnOpen = false;
      reload();
    }
  });
  source.addEventListener("message", (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (data && typeof data.chargepoint_id === "string" && data.chargepoint_id) {
      refreshSoon(data.chargepoint_id);
    }
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (e.g. too many streams): EventSource gives up; try again in a while.
      source.close();
      setStream("down", "Offline: retrying");
      reloadOnOpen = true;
      setTimeout(() => {
        if (stream === source) connectStream();
      }, STREAM_RETRY_MS);
    } else {
      setStream("connecting", "Reconnecting…");
    }
  });
}

// --- the table row ----------------------------------------------------------------------

function cell(name, extra = "") {
  return el("td", { class: `c-${name} ${extra}`.trim(), dataset: { testid: name } });
}

function buildEntry(charger) {
  const id = charger.chargepoint_id;
  const toggle = el(
    "button",
    {
      type: "button",
      class: "toggle secondary small",
      "aria-expanded": "false",
      "aria-label": "Controls",
      title: "Show the controls",
      dataset: { testid: "toggle" },
    },
    el("span", { class: "chev", "aria-hidden": "true", text: "▸" }),
  );
  const cells = {};
  for (const name of ["charger", "type", "ocpp", "mode", "link", "status"]) cells[name] = cell(name);
  for (const name of ["power", "session", "total"]) cells[name] = cell(name, "num");
  for (const name of ["free", "error", "messages"]) cells[name] = cell(name);
  const row = el(
    "tr",
    { class: "charger-row", dataset: { chargepointId: id, testid: "charger-row" } },
    el("td", { class: "toggle-col" }, toggle),
    Object.values(cells),
  );
  const entry = { id, charger, row, cells, toggle };
  entry.panel = buildPanel(entry);
  entry.panelRow = el(
    "tr",
    { class: "panel-row", hidden: true, dataset: { panelFor: id } },
    el("td", { colspan: 13 }, entry.panel.root),
  );
  toggle.addEventListener("click", () => setOpen(entry, entry.panelRow.hidden));
  row.addEventListener("click", (event) => {
    if (event.target.closest("button, a, input, select, textarea, label")) return;
    if (getSelection().toString()) return; // selecting an id to copy it is not a click
    setOpen(entry, entry.panelRow.hidden);
  });
  return entry;
}

function setOpen(entry, open) {
  entry.panelRow.hidden = !open;
  entry.row.classList.toggle("open", open);
  entry.toggle.setAttribute("aria-expanded", String(open));
  entry.toggle.title = open ? "Hide the controls" : "Show the controls";
}

function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function statusBadge(status, extra = "") {
  return el("span", { class: `badge ${STATUS_CLASS.get(status) || ""} ${extra}`.trim(), text: status });
}

function renderRow(entry) {
  const c = entry.charger;
  const k = entry.cells;
  fill(
    k.charger,
    el("code", { class: "cpid", text: c.chargepoint_id }),
    c.charger_name
      ? el("div", { class: "sub name", dataset: { testid: "name" }, text: c.charger_name })
      : null,
  );
  fill(
    k.type,
    el("span", { text: c.charger_type }),
    el("span", { class: "sub", text: ` ${fmt.num(c.max_power_kw)} kW` }),
  );
  fill(k.ocpp, c.ocpp_version);
  const modeClass = enums.Mode.includes(c.mode) ? `mode mode-${c.mode}` : "mode";
  fill(k.mode, el("span", { class: modeClass, text: c.mode }));
  entry.toggle.setAttribute("aria-label", `Controls for ${c.chargepoint_id}`);
  k.link.dataset.connected = String(Boolean(c.connected));
  fill(
    k.link,
    el("span", { class: c.connected ? "dot on" : "dot", "aria-hidden": "true" }),
    c.connected ? "online" : "offline",
  );
  const statuses = Object.entries(c.connector_status);
  fill(
    k.status,
    statusBadge(c.status),
    statuses.length > 1
      ? el(
          "div",
          { class: "connectors", dataset: { testid: "connector-status" } },
          statuses.map(([n, s]) =>
            el(
              "span",
              {
                class: `conn ${STATUS_CLASS.get(s) || ""}`,
                title: `Connector ${n}: ${s}`,
                dataset: { connector: n },
              },
              el("span", { class: "conn-n", text: n }),
              s,
            ),
          ),
        )
      : null,
  );
  k.status.dataset.status = c.status;
  k.status.classList.toggle("stale", !c.connected);
  k.status.title = c.connected ? "" : "Last known status: the charger is not connected";
  const powerClass = c.current_power_kw > 0 ? "" : "muted";
  fill(k.power, el("span", { class: powerClass, text: fmt.kw(c.current_power_kw) }));
  const inSession = Boolean(c.session_start) || c.session_energy_wh > 0;
  if (inSession) {
    const parts = [
      el("span", { dataset: { testid: "session-energy" }, text: fmt.kwh(c.session_energy_wh) }),
    ];
    if (c.target_energy_wh > 0) {
      parts.push(
        el("div", { class: "sub", text: `of ${fmt.kwh(c.target_energy_wh)}` }),
        el("progress", {
          max: c.target_energy_wh,
          value: Math.min(c.session_energy_wh, c.target_energy_wh),
          "aria-label": "Session progress",
        }),
      );
    }
    fill(k.session, parts);
  } else {
    fill(k.session, el("span", { class: "muted", text: "—" }));
  }
  fill(k.total, fmt.kwh(c.energy_delivered_wh));
  fill(
    k.free,
    c.free_charging
      ? el("span", { class: "badge ok", text: "free" })
      : el("span", { class: "muted", text: "—" }),
  );
  fill(
    k.error,
    c.error_code && c.error_code !== "NoError"
      ? el("span", { class: "badge bad", text: c.error_code })
      : el("span", { class: "muted", text: "—" }),
  );
  const messages = [];
  if (c.connection_error) {
    messages.push(message("bad", "Connection", c.connection_error, "connection-error"));
  }
  if (c.last_error) messages.push(message("bad", "Last error", c.last_error, "last-error"));
  for (const warning of c.warnings) messages.push(message("warn", "Warning", warning, "warning"));
  fill(k.messages, messages);
}

function message(kind, label, text, testid) {
  return el(
    "div",
    { class: `msg ${kind}`, dataset: { testid } },
    el("span", { class: "msg-label", text: `${label}: ` }),
    text,
  );
}

// --- the panel --------------------------------------------------------------------------

/** A button with its result slots: the API's error (and a short "done" note) beside it. */
function control(name, button, ...extra) {
  const error = el("span", { class: "error", role: "alert", dataset: { testid: `error-${name}` } });
  const ok = el("span", { class: "ok-note", dataset: { testid: `ok-${name}` } });
  return { button, error, ok, wrap: el("span", { class: "control" }, button, ...extra, ok, error) };
}

function button(text, testid, kind = "", type = "submit") {
  return el("button", { type, class: kind, dataset: { testid }, text });
}

function input(name, testid, props = {}) {
  return el("input", { name, spellcheck: "false", autocomplete: "off", ...props, dataset: { testid } });
}

/** A label with its field, and the field's button (with its result slots) beside it. */
function inline(label, node, ctl) {
  return el("div", { class: "inline" }, el("label", {}, label, node), ctl.button, ctl.ok, ctl.error);
}

function field(label, node, hint) {
  return el("label", {}, label, node, hint ? el("span", { class: "hint", text: hint }) : null);
}

function options(select, values, current, labels = {}) {
  select.replaceChildren(
    ...values.map((v) => el("option", { value: v, text: labels[v] ?? v, selected: v === current })),
  );
}

const flashTimers = new WeakMap();
function flash(slot, text) {
  slot.textContent = text;
  clearTimeout(flashTimers.get(slot));
  flashTimers.set(slot, setTimeout(() => { slot.textContent = ""; }, 2500));
}

/** Run an action of a charger's panel: POST, show the answer in the row, or the error. */
async function act(entry, ctl, done, action) {
  ctl.ok.textContent = "";
  const ok = await run(ctl.button, ctl.error, async () => {
    const started = now();
    const charger = await action(entry.id);
    if (charger) {
      if (charger.chargepoint_id !== entry.id) renamed(entry, charger.chargepoint_id);
      apply(charger, started);
    }
    return true;
  });
  if (ok) {
    for (const slot of ctl.clears || []) slot.textContent = "";
    if (done) flash(ctl.ok, done);
  }
  return Boolean(ok);
}

const post = (id, action, body) => api("POST", path(id, action), body);

/** Fields that show the charger's value until the user edits them (then until saved). */
function synced(node, read) {
  node.dataset.synced = "";
  node.addEventListener("input", () => { node.dataset.dirty = "1"; });
  node.addEventListener("change", () => { node.dataset.dirty = "1"; });
  return { node, read };
}

function fieldset(title, ...children) {
  return el("fieldset", {}, el("legend", { text: title }), ...children);
}

function form(onSubmit, ...children) {
  const node = el("form", { novalidate: true, autocomplete: "off" }, ...children);
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit();
  });
  return node;
}

function buildPanel(entry) {
  const syncs = [];
  const sync = (node, read) => {
    syncs.push(synced(node, read));
    return node;
  };
  const settle = (...nodes) => {
    for (const node of nodes) delete node.dataset.dirty;
  };

  // Operation: mode, free charging, error injection.
  const modeButtons = new Map();
  const modeError = el("span", { class: "error", role: "alert", dataset: { testid: "error-mode" } });
  const modeOk = el("span", { class: "ok-note" });
  const modeGroup = el("div", { class: "segmented", role: "group", "aria-label": "Mode" });
  for (const mode of enums.Mode) {
    const b = el("button", {
      type: "button",
      class: "secondary",
      "aria-pressed": "false",
      title: MODE_HINTS[mode] || "",
      dataset: { testid: `mode-${mode}`, mode },
      text: capital(mode),
    });
    b.addEventListener("click", () =>
      act(entry, { button: b, error: modeError, ok: modeOk }, "", (id) => post(id, "mode", { mode })),
    );
    modeButtons.set(mode, b);
    modeGroup.append(b);
  }

  const free = el("input", { type: "checkbox", dataset: { testid: "free-charging" } });
  const freeCtl = control("free", free);
  free.addEventListener("change", async () => {
    const wanted = free.checked;
    const ok = await act(entry, freeCtl, "Saved", (id) =>
      post(id, "free-charging", { free_charging: wanted }),
    );
    if (!ok) free.checked = entry.charger.free_charging;
  });

  const errorSelect = el("select", { dataset: { testid: "error-code" } });
  options(errorSelect, enums.ErrorCode, "NoError");
  const errorCtl = control("error", button("Set", "set-error", "secondary", "button"));
  errorCtl.button.addEventListener("click", () =>
    act(entry, errorCtl, "Set", (id) => post(id, "error", { error_code: errorSelect.value })),
  );
  const errorNow = el("span", { class: "hint", dataset: { testid: "error-now" } });

  const operation = fieldset(
    "Operation",
    el("div", { class: "field" },
      el("span", { class: "field-label", text: "Mode" }),
      el("span", { class: "control" }, modeGroup, modeOk, modeError),
    ),
    el("span", { class: "control" },
      el("label", { class: "check" }, free, "Free charging (no Authorize)"),
      freeCtl.ok,
      freeCtl.error,
    ),
    inline("Inject an error (NoError clears it)", errorSelect, errorCtl),
    errorNow,
  );

  // Session: start (energy, tag, connector) and stop.
  const energy = input("energy_kwh", "start-energy", { inputmode: "decimal", value: "10" });
  energy.dataset.type = "float";
  const startTag = input("rfid_tag", "start-rfid", {
    maxlength: "20",
    placeholder: "the charger's tag",
  });
  startTag.dataset.optional = "";
  const connector = el("select", {
    name: "connector_id",
    dataset: { testid: "start-connector", type: "int", optional: "" },
  });
  const startCtl = control("start", button("Start", "start"));
  const stopCtl = control("stop", button("Stop", "stop", "secondary", "button"));
  // A session that started or stopped makes the other button's old refusal stale.
  startCtl.clears = [stopCtl.error];
  stopCtl.clears = [startCtl.error];
  const sessionInfo = el("p", { class: "hint session-info", dataset: { testid: "session-info" } });
  const startForm = form(
    () => act(entry, startCtl, "Started", (id) => post(id, "start", formValues(startForm))),
    el("div", { class: "inline-fields" },
      field("Energy (kWh)", energy),
      field("RFID tag", startTag),
      field("Connector", connector),
    ),
    el("div", { class: "row" }, startCtl.wrap, stopCtl.wrap),
  );
  stopCtl.button.addEventListener("click", () =>
    act(entry, stopCtl, "Stopped", (id) => post(id, "stop")),
  );
  const session = fieldset("Session", startForm, sessionInfo,
    el("p", { class: "hint", text: "Start needs mode on or manual." }));

  // Identity: name, chargepoint id; delete.
  const name = sync(
    input("charger_name", "name-input", { maxlength: "100", placeholder: "no name" }),
    (c) => c.charger_name,
  );
  const nameCtl = control("name", button("Save", "save-name", "secondary"));
  const nameForm = form(
    () => act(entry, nameCtl, "Saved", async (id) => {
      const c = await post(id, "name", { charger_name: name.value.trim() });
      settle(name);
      return c;
    }),
    inline("Name", name, nameCtl),
  );
  const newId = sync(
    input("chargepoint_id", "rename-input", { maxlength: "48" }),
    (c) => c.chargepoint_id,
  );
  const renameCtl = control("rename", button("Rename", "rename", "secondary"));
  const renameForm = form(
    () => act(entry, renameCtl, "Renamed", async (id) => {
      entry.moving = true;
      try {
        const c = await post(id, "chargepoint-id", { chargepoint_id: newId.value.trim() });
        settle(newId);
        return c;
      } finally {
        entry.moving = false;
      }
    }),
    inline("Chargepoint id", newId, renameCtl),
  );
  const deleteCtl = control("delete", button("Delete charger", "delete", "danger", "button"));
  deleteCtl.button.addEventListener("click", () => {
    const id = entry.id;
    if (!confirm(`Delete ${id}? It is switched off and removed with its settings.`)) return;
    run(deleteCtl.button, deleteCtl.error, async () => {
      entry.moving = true;
      try {
        await api("DELETE", path(id));
        remove(id, now());
      } finally {
        entry.moving = false;
      }
    });
  });
  const identity = fieldset("Identity", nameForm, renameForm,
    el("p", { class: "hint", text: "Renaming, connectors and OCPP version need mode off." }),
    el("div", { class: "row end" }, deleteCtl.wrap));

  // Authorization: the RFID tag; the auth config (RFID or Plug & Charge).
  const rfid = sync(
    input("rfid_tag", "rfid-input", { maxlength: "20" }),
    (c) => configuredOf(c).rfid_tag,
  );
  const rfidCtl = control("rfid", button("Save", "save-rfid", "secondary"));
  const rfidForm = form(
    () => act(entry, rfidCtl, "Saved", async (id) => {
      const tag = rfid.value.trim();
      const c = await post(id, "rfid", { rfid_tag: tag });
      setConfigured(c.chargepoint_id, { rfid_tag: tag });
      settle(rfid);
      return c;
    }),
    inline("RFID tag", rfid, rfidCtl),
  );
  const authMode = sync(
    el("select", { name: "auth_mode", dataset: { testid: "auth-mode" } }),
    (c) => c.auth_mode,
  );
  options(authMode, enums.AuthMode, entry.charger.auth_mode, AUTH_LABELS);
  const authTag = input("rfid_tag", "auth-rfid", { maxlength: "20", placeholder: "unchanged" });
  authTag.dataset.optional = "";
  const emaid = sync(
    input("pnc_emaid", "auth-emaid", { maxlength: "32", placeholder: "generated" }),
    (c) => c.pnc_emaid,
  );
  emaid.dataset.optional = "";
  const pcid = sync(input("pnc_pcid", "auth-pcid", { maxlength: "64" }), (c) => c.pnc_pcid);
  const certHash = sync(
    input("pnc_certificate_hash", "auth-hash", { maxlength: "128" }),
    (c) => c.pnc_certificate_hash,
  );
  const authCtl = control("auth", button("Save auth", "save-auth", "secondary"));
  const authForm = form(
    () => act(entry, authCtl, "Saved", async (id) => {
      const c = await post(id, "auth-config", formValues(authForm));
      if (authTag.value.trim()) setConfigured(c.chargepoint_id, { rfid_tag: authTag.value.trim() });
      authTag.value = "";
      settle(authMode, emaid, pcid, certHash);
      return c;
    }),
    el("div", { class: "inline-fields" },
      field("Auth mode", authMode),
      field("Tag", authTag),
      field("eMAID", emaid),
      field("PCID", pcid),
      field("Certificate hash", certHash),
    ),
    authCtl.wrap,
  );
  const authorization = fieldset("Authorization", rfidForm, el("div", { class: "sep" }), authForm);

  // Connection: backend URL, OCPP version, connectors.
  const backend = sync(
    input("backend_url", "backend-input", { maxlength: "512" }),
    (c) => configuredOf(c).backend_url,
  );
  const backendCtl = control("backend", button("Save", "save-backend", "secondary"));
  const backendForm = form(
    () => act(entry, backendCtl, "Saved", async (id) => {
      const url = backend.value.trim();
      const c = await post(id, "backend-url", { backend_url: url });
      setConfigured(c.chargepoint_id, { backend_url: url.replace(/\/+$/, "") });
      settle(backend);
      return c;
    }),
    inline("Backend URL", backend, backendCtl),
  );
  const version = sync(el("select", { dataset: { testid: "version-select" } }), (c) => c.ocpp_version);
  options(version, enums.OcppVersion, entry.charger.ocpp_version);
  const versionCtl = control("version", button("Apply", "set-version", "secondary"));
  const versionForm = form(
    () => act(entry, versionCtl, "Saved", async (id) => {
      const c = await post(id, "ocpp-version", { ocpp_version: version.value });
      settle(version);
      return c;
    }),
    inline("OCPP version", version, versionCtl),
  );
  const connectors = sync(
    input("num_connectors", "connectors-input", { type: "number", min: "1", max: "5" }),
    (c) => String(c.num_connectors),
  );
  const connectorsCtl = control("connectors", button("Apply", "set-connectors", "secondary"));
  const connectorsForm = form(
    () => act(entry, connectorsCtl, "Saved", async (id) => {
      const raw = connectors.value.trim();
      const c = await post(id, "num-connectors", { num_connectors: raw === "" ? null : Number(raw) });
      settle(connectors);
      return c;
    }),
    inline("Connectors (1–5)", connectors, connectorsCtl),
  );
  const connection = fieldset("Connection", backendForm, versionForm, connectorsForm);

  // Security: profile, Basic-auth password, CA certificate.
  const profile = sync(
    el("select", { dataset: { testid: "security-profile" } }),
    (c) => String(c.security_profile),
  );
  options(profile, ["0", "1", "2"], String(entry.charger.security_profile), {
    0: "0: no authentication",
    1: "1: Basic auth",
    2: "2: Basic auth over TLS (wss://)",
  });
  const password = el("input", {
    type: "password",
    autocomplete: "new-password",
    maxlength: "64",
    dataset: { testid: "security-password" },
  });
  const clearPassword = el("input", {
    type: "checkbox",
    dataset: { testid: "security-clear-password" },
  });
  const pem = el("textarea", { rows: "3", spellcheck: "false", dataset: { testid: "security-ca" } });
  const clearCa = el("input", { type: "checkbox", dataset: { testid: "security-clear-ca" } });
  const securityStatus = el("p", { class: "hint", dataset: { testid: "security-status" } });
  const securityCtl = control("security", button("Save security", "save-security", "secondary"));
  const securityForm = form(
    () => act(entry, securityCtl, "Saved", async (id) => {
      const body = { security_profile: Number(profile.value) };
      if (clearPassword.checked) body.basic_auth_password = "";
      else if (password.value) body.basic_auth_password = password.value;
      if (clearCa.checked) body.ca_certificate_pem = "";
      else if (pem.value.trim()) body.ca_certificate_pem = pem.value;
      const c = await post(id, "security", body);
      password.value = "";
      pem.value = "";
      clearPassword.checked = false;
      clearCa.checked = false;
      settle(profile);
      return c;
    }),
    field("Security profile", profile),
    field("Basic-auth password (16–64 characters)", password),
    el("label", { class: "check" }, clearPassword, "Remove the password"),
    field("CA certificate (PEM) for wss://", pem),
    el("label", { class: "check" }, clearCa, "Remove the CA certificate"),
    securityStatus,
    securityCtl.wrap,
  );
  const security = fieldset("Security", securityForm);

  const root = el("div", { class: "panel", dataset: { testid: "panel" } },
    operation, session, identity, authorization, connection, security);

  return {
    root,
    syncs,
    modeButtons,
    free,
    errorNow,
    connector,
    sessionInfo,
    rfid,
    backend,
    password,
    pem,
    securityStatus,
    connectorCount: -1,
  };
}

function configuredOf(charger) {
  const known = configured.get(charger.chargepoint_id);
  if (known) return known;
  // Not listed yet: the effective value, unless it is just the global default.
  return {
    backend_url: charger.backend_url === defaults.backend_url ? "" : charger.backend_url,
    rfid_tag: charger.rfid_tag === defaults.rfid_tag ? "" : charger.rfid_tag,
  };
}

function setConfigured(id, values) {
  const known = configured.get(id) || configuredOf(entries.get(id)?.charger || { chargepoint_id: id });
  configured.set(id, { ...known, ...values });
}

function syncPanel(entry) {
  const c = entry.charger;
  const p = entry.panel;
  for (const [mode, b] of p.modeButtons) {
    b.setAttribute("aria-pressed", String(mode === c.mode));
    b.classList.toggle("current", mode === c.mode);
  }
  if (!p.free.disabled) p.free.checked = c.free_charging;
  p.errorNow.textContent = c.error_code && c.error_code !== "NoError" ? `Now: ${c.error_code}` : "";
  if (p.connectorCount !== c.num_connectors) {
    const chosen = p.connector.value;
    p.connector.replaceChildren(
      el("option", { value: "", text: "first free" }),
      ...Array.from({ length: c.num_connectors }, (_, i) =>
        el("option", { value: String(i + 1), text: String(i + 1), selected: chosen === String(i + 1) }),
      ),
    );
    p.connectorCount = c.num_connectors;
  }
  p.sessionInfo.textContent = sessionText(c);
  for (const { node, read } of p.syncs) {
    if (node.dataset.dirty || document.activeElement === node) continue;
    const value = read(c) ?? "";
    if (node.value !== value) node.value = value;
  }
  p.rfid.placeholder = defaults.rfid_tag ? `global default (${defaults.rfid_tag})` : "global default";
  p.backend.placeholder = defaults.backend_url
    ? `global default (${defaults.backend_url})`
    : "global default";
  p.password.placeholder = c.basic_auth_password_set ? "set: leave empty to keep" : "not set";
  p.pem.placeholder = c.ca_certificate_set
    ? "a CA certificate is set: leave empty to keep"
    : "-----BEGIN CERTIFICATE----- (empty: the system trust store)";
  p.securityStatus.textContent =
    `Profile ${c.security_profile} · password ${c.basic_auth_password_set ? "set" : "not set"} · ` +
    `CA certificate ${c.ca_certificate_set ? "set" : "not set"}`;
}

function sessionText(c) {
  if (!c.session_start && !c.transaction_id) {
    return c.last_authorization
      ? `No session. Last authorization: ${c.last_authorization}.`
      : "No session.";
  }
  const parts = [];
  if (c.transaction_id !== null && c.transaction_id !== undefined && c.transaction_id !== "") {
    parts.push(`transaction ${c.transaction_id}`);
  }
  if (c.session_id_tag) parts.push(`tag ${c.session_id_tag}`);
  if (c.session_start) parts.push(`since ${fmt.time(c.session_start)} UTC`);
  const target = c.target_energy_wh > 0 ? ` of ${fmt.kwh(c.target_energy_wh)}` : "";
  parts.push(`${fmt.kwh(c.session_energy_wh)}${target}`);
  if (c.remote_start) parts.push("started by the backend");
  return `Session: ${parts.join(" · ")}`;
}

// --- the create form --------------------------------------------------------------------

const createField = (name) => createForm.elements.namedItem(name);
/** Cleared after a charger is made; the rest (type, power, mode, ...) stay for the next one. */
const CREATE_CLEARED = [
  "chargepoint_id",
  "charger_name",
  "rfid_tag",
  "backend_url",
  "pnc_emaid",
  "pnc_pcid",
  "pnc_certificate_hash",
];
const typedByUser = new Set();

function initCreateForm() {
  for (const select of createForm.querySelectorAll("select[data-enum]")) {
    const values = enums[select.dataset.enum];
    const labels = select.dataset.enum === "AuthMode" ? AUTH_LABELS : {};
    const items = values.map((v) => el("option", { value: v, text: labels[v] ?? v }));
    if ("empty" in select.dataset) {
      items.unshift(el("option", { value: "", text: select.dataset.empty }));
    }
    select.replaceChildren(...items);
  }
  createField("mode").value = enums.Mode.includes("off") ? "off" : enums.Mode[0];
  for (const name of ["chargepoint_id", "max_power_kw"]) {
    createField(name).addEventListener("input", () => typedByUser.add(name));
  }
  createField("charger_type").addEventListener("change", () => {
    if (!typedByUser.has("max_power_kw")) {
      createField("max_power_kw").value = createField("charger_type").value === "DC" ? "150" : "22";
    }
    suggestId();
  });
  createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    run(createButton, "create-charger", async () => {
      const started = now();
      const charger = await api("POST", "/api/chargers", formValues(createForm));
      apply(charger, started);
      const rfidTag = createField("rfid_tag").value.trim();
      const backendUrl = createField("backend_url").value.trim().replace(/\/+$/, "");
      configured.set(charger.chargepoint_id, { rfid_tag: rfidTag, backend_url: backendUrl });
      syncPanel(entries.get(charger.chargepoint_id));
      for (const name of CREATE_CLEARED) createField(name).value = "";
      typedByUser.delete("chargepoint_id");
      suggestId();
      const entry = entries.get(charger.chargepoint_id);
      entry.row.classList.remove("fresh");
      void entry.row.offsetWidth; // restart the highlight
      entry.row.classList.add("fresh");
    });
  });
  suggestId();
}

/** Offer the next free SIM-AC-001 style id until the user types one. */
function suggestId() {
  const idField = createField("chargepoint_id");
  if (!idField || typedByUser.has("chargepoint_id") || document.activeElement === idField) return;
  const type = createField("charger_type").value || "AC";
  for (let n = 1; n < 1000; n += 1) {
    const id = `SIM-${type}-${String(n).padStart(3, "0")}`;
    if (!entries.has(id)) {
      idField.value = id;
      return;
    }
  }
}

// --- start ------------------------------------------------------------------------------

async function readEnums() {
  let doc;
  try {
    const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    doc = await response.json();
  } catch (error) {
    throw new Error(`The API description (/openapi.json) could not be read: ${error.message}`);
  }
  const schemas = (doc.components && doc.components.schemas) || {};
  for (const name of ENUMS) {
    const values = schemas[name] && schemas[name].enum;
    if (!Array.isArray(values)) throw new Error(`/openapi.json has no ${name} values.`);
    enums[name] = values.map(String);
  }
}

async function start() {
  await readEnums();
  initCreateForm();
  connectStream();
  await loadAll();
  setInterval(() => {
    if (document.hidden) return;
    for (const [id, entry] of entries) if (charging(entry.charger)) refreshSoon(id);
  }, CHARGING_POLL_MS);
  setInterval(() => {
    if (!document.hidden) reload();
  }, LIST_REFRESH_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) reload();
  });
}

start().catch((error) => {
  loading.remove();
  listError.textContent = error.message;
  listError.hidden = false;
  showError("create-charger", "");
});
