// The settings page: the user's global settings, and (administrators) server-wide settings.
import { api, clear, el, formValues, run } from "./common.js";

const form = document.getElementById("settings-form");
const saved = document.getElementById("settings-saved");
const chargers = document.querySelector("#charger-settings tbody");

function show(overview) {
  for (const [name, value] of Object.entries(overview.settings)) {
    const field = form.elements.namedItem(name);
    if (field) field.value = value;
  }
  clear(chargers);
  if (overview.chargers.length === 0) {
    chargers.append(el("tr", {}, el("td", { colspan: 7, class: "hint", text: "No chargers yet." })));
  }
  for (const c of overview.chargers) {
    chargers.append(
      el("tr", {},
        el("td", {}, el("code", { text: c.chargepoint_id })),
        el("td", { text: c.charger_type }),
        el("td", { text: c.mode }),
        el("td", { class: "num", text: c.num_connectors }),
        el("td", { text: c.backend_url || "(global)" }),
        el("td", { text: c.rfid_tag || "(global)" }),
        el("td", { text: c.auth_mode }),
      ),
    );
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  saved.textContent = "";
  run(document.getElementById("save-settings"), "save-settings", async () => {
    show(await api("POST", "/api/settings", formValues(form)));
    saved.textContent = "Saved.";
  });
});

const serverForm = document.getElementById("server-form");
if (serverForm) {
  const serverSaved = document.getElementById("server-saved");
  api("GET", "/api/admin/server-settings").then((s) => {
    serverForm.elements.namedItem("signup_enabled").checked = s.signup_enabled;
  });
  serverForm.addEventListener("submit", (event) => {
    event.preventDefault();
    serverSaved.textContent = "";
    run(document.getElementById("save-server"), "save-server", async () => {
      const s = await api("POST", "/api/admin/server-settings", formValues(serverForm));
      serverForm.elements.namedItem("signup_enabled").checked = s.signup_enabled;
      serverSaved.textContent = "Saved.";
    });
  });
}

api("GET", "/api/settings").then(show, (error) => {
  document.querySelector('[data-error-for="save-settings"]').textContent = error.message;
});
