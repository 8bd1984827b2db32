// Shared helpers of the ocppsim web UI: API calls, DOM building, errors, formatting.
// Everything a page shows goes through textContent or attributes, never innerHTML, so text
// from a backend (or anyone) is always shown as text.

const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Call the JSON API with the session cookie (and the CSRF token on changes). */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = CSRF;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "The server cannot be reached.");
  }
  if (response.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname));
    throw new ApiError(401, "Your session ended: log in again.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

/** Build an element: el("td", {class: "x", text: "..."}, child, "text", ...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "on") for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else if (name === "value") node.value = value;
    else if (name === "checked" || name === "disabled" || name === "selected" || name === "hidden") node[name] = true;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Show (or clear, with "") a message in an error slot: an element or a data-error-for name. */
export function showError(target, message) {
  const node = typeof target === "string" ? document.querySelector(`[data-error-for="${target}"]`) : target;
  if (node) node.textContent = message || "";
}

/** Run an action for a control: disable it meanwhile, show the API's error next to it. */
export async function run(control, errorSlot, action) {
  showError(errorSlot, "");
  if (control) control.disabled = true;
  try {
    return await action();
  } catch (error) {
    showError(errorSlot, error instanceof Error ? error.message : String(error));
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}

/** The named fields of a form as a JSON object. data-type="int|float|bool" converts;
 * data-optional leaves an empty field out. */
export function formValues(form) {
  const values = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    const type = field.dataset.type || "text";
    if (type === "bool") {
      values[field.name] = field.checked;
      continue;
    }
    const raw = field.value.trim();
    if (raw === "" && "optional" in field.dataset) continue;
    if (type === "int" || type === "float") values[field.name] = raw === "" ? null : Number(raw);
    else values[field.name] = raw;
  }
  return values;
}

export function copyText(text, button) {
  const done = () => {
    if (!button) return;
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
  } else {
    fallbackCopy(text, done);
  }
}

function fallbackCopy(text, done) {
  const area = el("textarea", { class: "offscreen", readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  try { document.execCommand("copy"); done(); } finally { area.remove(); }
}

export const fmt = {
  kw: (x) => `${Number(x).toFixed(1)} kW`,
  kwh: (wh) => `${(Number(wh) / 1000).toFixed(2)} kWh`,
  num: (x) => Number(x).toLocaleString("en-US"),
  ms: (x) => `${Number(x).toFixed(1)} ms`,
  time: (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "—"),
};

function init() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => {
      const source = document.querySelector(button.dataset.copy);
      if (source) copyText(source.textContent, button);
    });
  }
  for (const node of document.querySelectorAll("[data-base-url]")) node.textContent = location.origin;
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
