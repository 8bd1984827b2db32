// The load-test page: start / change / stop the user's run, live counters (stats polled once a
// second), charts of the last 10 minutes (chart.js), latency per action and the error list.
import { api, clear, el, fmt, run, showError } from "./common.js";
import { TimeChart } from "./chart.js";

const POLL_MS = 1000;
const HISTORY_MS = 10 * 60 * 1000;
const MIN_WINDOW_MS = 30 * 1000;
const VERSIONS = ["1.6", "2.0.1", "2.1"];

const form = document.getElementById("lt-form");
const field = (name) => form.elements.namedItem(name);
const applyButton = document.getElementById("apply");
const stopButton = document.getElementById("stop");
const clearButton = document.getElementById("clear-errors");
const ui = {
  runState: document.getElementById("run-state"),
  backend: document.getElementById("run-backend"),
  batchNote: document.getElementById("batch-note"),
  mixNote: document.getElementById("mix-note"),
  applyDone: document.getElementById("apply-done"),
  statsNote: document.getElementById("stats-note"),
  progress: document.getElementById("ramp-progress"),
  rampLabel: document.getElementById("ramp-label"),
  latency: document.querySelector("#latency tbody"),
  errors: document.querySelector("#errors tbody"),
  errorCount: document.getElementById("error-count"),
  errorKinds: document.getElementById("error-kinds"),
};

const integer = (v) => String(Math.round(v));
const charts = {
  connected: new TimeChart(document.getElementById("chart-connected"), { format: fmtCount, minMax: 1, integer: true }),
  charging: new TimeChart(document.getElementById("chart-charging"), { format: fmtCount, minMax: 1, integer: true }),
  mps: new TimeChart(document.getElementById("chart-mps"), { format: fmtRate, minMax: 5 }),
  p95: new TimeChart(document.getElementById("chart-p95"), { format: fmtMs, minMax: 5 }),
};

const state = {
  stats: null,
  savedBatch: null, // the user's mass_batch_size setting, as last read or saved
  samples: [], // {t, connected, charging, mps, p95, target} or {t, gap: true}
  wasRunning: false,
  prefilled: false,
  errorsShown: -1, // the errors counter the error list was fetched for
  changes: 0, // apply / stop / clear calls: a poll sent before one of them is stale
};

function fmtCount(v) {
  return v >= 10000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : integer(v);
}
function fmtRate(v) {
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`;
  return Number.isInteger(v) || v >= 10 ? integer(v) : v.toFixed(1);
}
function fmtMs(v) {
  if (v >= 1000) return `${(v / 1000).toFixed(v % 1000 ? 1 : 0)} s`;
  return Number.isInteger(v) || v >= 10 ? integer(v) : v.toFixed(1);
}

/** The figure the p95 chart shows: the largest p95 over actions (the slowest action). */
function worstP95(latency) {
  const values = Object.values(latency || {}).filter((l) => l.count > 0).map((l) => l.p95_ms);
  return values.length ? Math.max(...values) : null;
}

// --- the form ---

function numberOrRaw(raw) {
  const text = raw.trim();
  if (text === "") return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : text; // the API names what is wrong with text
}

function shares() {
  const versions = {};
  for (const version of VERSIONS) {
    const input = form.querySelector(`[data-version="${version}"]`);
    const value = numberOrRaw(input.value);
    versions[version] = value === null ? 0 : value;
  }
  return versions;
}

function showMix() {
  const versions = Object.entries(shares());
  const valid = versions.every(([, v]) => typeof v === "number" && v >= 0);
  const total = valid ? versions.reduce((sum, [, v]) => sum + v, 0) : 0;
  ui.mixNote.textContent = !valid
    ? ""
    : total === 0
      ? "Give at least one version a share above 0."
      : versions.filter(([, v]) => v > 0).map(([name, v]) => `${name}: ${Math.round((v / total) * 100)} %`).join(" · ");
}

function applyBody() {
  const body = {
    target: numberOrRaw(field("target").value),
    mode: field("mode").value,
    versions: shares(),
  };
  const prefix = field("id_prefix").value.trim();
  if (prefix) body.id_prefix = prefix;
  const interval = numberOrRaw(field("meter_interval").value);
  if (interval !== null) body.meter_interval = interval;
  return body;
}

function showBatchNote() {
  const value = field("batch_size").value.trim();
  const run = state.stats && state.stats.running ? state.stats.batch_size : null;
  let text = state.savedBatch === null ? "" : `Your setting: ${state.savedBatch}`;
  if (state.savedBatch !== null && value !== "" && value !== String(state.savedBatch)) {
    text = `Your setting: ${state.savedBatch}; saved as ${value} when you apply`;
  } else if (run !== null && state.savedBatch !== null && run !== state.savedBatch) {
    text += ` (the run uses ${run} until the next apply)`;
  }
  ui.batchNote.textContent = text;
}

async function loadSettings() {
  try {
    const overview = await api("GET", "/api/settings");
    state.savedBatch = Number(overview.settings.mass_batch_size);
    if (field("batch_size").value.trim() === "") field("batch_size").value = String(state.savedBatch);
  } catch (error) {
    ui.batchNote.textContent = `Settings: ${error.message}`;
  }
  showBatchNote();
}

/** Fill the form from a running run once, when the page opens. */
function prefill(s) {
  if (state.prefilled) return;
  state.prefilled = true;
  if (!s.running) return;
  field("target").value = String(s.target);
  if (s.mode) field("mode").value = s.mode;
  for (const version of VERSIONS) {
    form.querySelector(`[data-version="${version}"]`).value = String(s.versions[version] ?? 0);
  }
  field("id_prefix").value = s.id_prefix;
  field("meter_interval").value = String(s.meter_interval);
  showMix();
}

form.addEventListener("input", (event) => {
  ui.applyDone.textContent = "";
  if (event.target instanceof HTMLElement && event.target.dataset.version) showMix();
  if (event.target === field("batch_size")) showBatchNote();
});

/** A POST that changes the run; polls sent while it is under way are dropped as stale. */
async function change(path, body) {
  state.changes += 1;
  try {
    return await api("POST", path, body);
  } finally {
    state.changes += 1;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  ui.applyDone.textContent = "";
  run(applyButton, "apply", async () => {
    const batch = numberOrRaw(field("batch_size").value);
    if (batch !== null && batch !== state.savedBatch) {
      const overview = await api("POST", "/api/settings", { mass_batch_size: batch });
      state.savedBatch = Number(overview.settings.mass_batch_size);
    }
    const wasRunning = Boolean(state.stats && state.stats.running);
    const stats = await change("/api/mass-charger/apply", applyBody());
    showStats(stats);
    showBatchNote();
    ui.applyDone.textContent = wasRunning ? "Applied." : "Started.";
  });
});

stopButton.addEventListener("click", () => {
  ui.applyDone.textContent = "";
  run(stopButton, "apply", async () => {
    showStats(await change("/api/mass-charger/stop"));
    ui.applyDone.textContent = "Stopped.";
    await loadErrors();
  });
});

clearButton.addEventListener("click", () =>
  run(clearButton, "clear-errors", async () => {
    showStats(await change("/api/mass-charger/errors/clear"));
    await loadErrors();
  }),
);

// --- stats ---

function setCounter(name, text, title) {
  const box = document.querySelector(`[data-counter="${name}"]`);
  const value = box.querySelector(".value");
  value.textContent = text;
  if (title) box.title = title;
}

function showStats(s) {
  state.stats = s;
  prefill(s);
  const running = s.running;
  if (!running) {
    ui.runState.textContent = "No run";
    ui.runState.className = "badge";
  } else if (!s.ramp.done) {
    ui.runState.textContent = `Ramping up · ${Math.floor(s.ramp.progress * 100)} %`;
    ui.runState.className = "badge busy";
  } else {
    ui.runState.textContent = `Running · ${s.mode}`;
    ui.runState.className = "badge ok";
  }
  ui.runState.dataset.state = running ? (s.ramp.done ? "running" : "ramping") : "none";
  applyButton.textContent = running ? "Apply" : "Start";
  stopButton.disabled = !running;
  ui.backend.textContent = `Backend: ${s.backend_url}`;
  field("id_prefix").placeholder = s.id_prefix;
  field("meter_interval").placeholder = String(s.meter_interval);
  document.getElementById("prefix-note").textContent = `Empty: ${running ? "keeps" : "default"} ${s.id_prefix}`;
  document.getElementById("meter-note").textContent = `5–3,600; empty: ${running ? "keeps" : "default"} ${s.meter_interval}`;

  for (const name of ["target", "created", "connecting", "connected", "booted", "charging", "errors", "messages_sent", "messages_received"]) {
    setCounter(name, fmt.num(s[name]));
  }
  setCounter("messages_per_second", s.messages_per_second.toFixed(1));
  const p95 = worstP95(s.latency);
  setCounter("p95", p95 === null ? "—" : fmt.ms(p95));
  document.querySelector('[data-counter="errors"]').classList.toggle("has-errors", s.errors > 0);
  const ramp = s.ramp;
  setCounter("ramp", running ? `${Math.floor(ramp.progress * 100)} %` : "—");
  ui.progress.value = running ? ramp.progress : 0;
  ui.rampLabel.textContent = !running
    ? "Ramp"
    : ramp.done
      ? `Ramp done · ${fmt.num(ramp.batches)} ${ramp.batches === 1 ? "batch" : "batches"}`
      : `Ramp · ${fmt.num(ramp.pending)} waiting · batch of ${fmt.num(s.batch_size)}`;
  showLatency(s.latency);
  showBatchNote();

  ui.errorCount.textContent = fmt.num(s.errors);
  ui.errorCount.className = s.errors > 0 ? "badge bad" : "badge";
  clear(ui.errorKinds);
  for (const [kind, count] of Object.entries(s.errors_by_kind || {}).sort((a, b) => b[1] - a[1])) {
    ui.errorKinds.append(el("span", { class: "badge bad" }, `${kind} `, el("strong", { text: fmt.num(count) })));
  }
  if (s.errors !== state.errorsShown) loadErrors();
}

function showLatency(latency) {
  clear(ui.latency);
  const rows = Object.entries(latency || {}).sort((a, b) => b[1].p95_ms - a[1].p95_ms);
  if (rows.length === 0) {
    ui.latency.append(el("tr", {}, el("td", { colspan: 6, class: "hint", text: "No answered calls yet." })));
    return;
  }
  for (const [action, l] of rows) {
    ui.latency.append(
      el("tr", {},
        el("td", {}, el("code", { text: action })),
        el("td", { class: "num", text: fmt.num(l.count) }),
        el("td", { class: "num", text: fmt.ms(l.p50_ms) }),
        el("td", { class: "num", text: fmt.ms(l.p95_ms) }),
        el("td", { class: "num", text: fmt.ms(l.p99_ms) }),
        el("td", { class: "num", text: fmt.ms(l.max_ms) }),
      ),
    );
  }
}

async function loadErrors() {
  if (state.loadingErrors) return;
  state.loadingErrors = true;
  const count = state.stats ? state.stats.errors : 0;
  try {
    const errors = await api("GET", "/api/mass-charger/errors");
    state.errorsShown = count;
    clear(ui.errors);
    if (errors.length === 0) {
      ui.errors.append(el("tr", {}, el("td", { colspan: 4, class: "hint", text: "No errors." })));
    }
    for (const e of errors) {
      ui.errors.append(
        el("tr", {},
          el("td", { class: "mono nowrap", text: fmt.time(e.time) }),
          el("td", {}, el("code", { text: e.chargepoint_id })),
          el("td", {}, el("span", { class: "badge bad", text: e.kind })),
          el("td", { class: "message", text: e.message }),
        ),
      );
    }
    showError("clear-errors", "");
  } catch (error) {
    showError("clear-errors", `Errors: ${error.message}`);
  } finally {
    state.loadingErrors = false;
  }
}

// --- history and charts ---

function record(s) {
  const now = Date.now();
  if (s.running) {
    if (!state.wasRunning && state.samples.length) state.samples.push({ t: now - 1, gap: true });
    state.samples.push({
      t: now,
      connected: s.connected,
      charging: s.charging,
      mps: s.messages_per_second,
      p95: worstP95(s.latency),
      target: s.target,
    });
  } else if (state.wasRunning) {
    // The run ended: one sample at zero, then a gap until the next one.
    state.samples.push({ t: now, connected: 0, charging: 0, mps: 0, p95: null, target: 0 });
    state.samples.push({ t: now + 1, gap: true });
  }
  state.wasRunning = s.running;
  while (state.samples.length && state.samples[0].t < now - HISTORY_MS) state.samples.shift();
  while (state.samples.length && state.samples[0].gap) state.samples.shift();
  drawCharts(now);
}

function drawCharts(now) {
  const samples = state.samples;
  // From the first sample (the run's start) until it is 10 minutes back; at least 30 s
  // wide, so a new run's lines grow from the left.
  const from = samples.length ? Math.max(now - HISTORY_MS, samples[0].t) : now - MIN_WINDOW_MS;
  const to = Math.max(now, from + MIN_WINDOW_MS);
  const running = Boolean(state.stats && state.stats.running);
  const empty = samples.length ? null : running ? "Waiting for the first sample…" : "No run: start one above.";
  const points = (key) => samples.map((p) => [p.t, p.gap ? null : p[key] ?? null]);
  const target = running ? state.stats.target : 0;
  charts.connected.update({ from, to, empty, ref: target ? { value: target, label: `target ${fmt.num(target)}` } : null, series: [{ cls: "s1", points: points("connected") }] });
  charts.charging.update({ from, to, empty, ref: target && state.stats.mode === "charging" ? { value: target, label: `target ${fmt.num(target)}` } : null, series: [{ cls: "s2", points: points("charging") }] });
  charts.mps.update({ from, to, empty, series: [{ cls: "s3", points: points("mps") }] });
  charts.p95.update({ from, to, empty, series: [{ cls: "s4", points: points("p95") }] });
  for (const [name, chart] of Object.entries(charts)) {
    chart.svg.dataset.points = String(samples.filter((p) => !p.gap && (name !== "p95" || p.p95 !== null)).length);
  }
}

async function poll() {
  const changes = state.changes;
  try {
    const s = await api("GET", "/api/mass-charger/stats");
    if (changes !== state.changes) return; // answered before an apply or stop took effect
    showStats(s);
    record(s);
    ui.statsNote.textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
    ui.statsNote.classList.remove("error");
  } catch (error) {
    ui.statsNote.textContent = `Stats: ${error.message}`;
    ui.statsNote.classList.add("error");
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

showMix();
loadSettings();
poll();
