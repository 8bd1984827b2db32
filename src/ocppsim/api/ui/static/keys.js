// The API keys page: list (prefix, created, last used), create (shown once), revoke.
import { api, el, clear, fmt, run } from "./common.js";

const body = document.querySelector("#keys tbody");

async function load() {
  const keys = await api("GET", "/api/me/api-keys");
  clear(body);
  for (const key of keys) {
    const slot = el("span", { class: "error" });
    const revoke = el("button", { type: "button", class: "danger small", text: "Revoke" });
    revoke.addEventListener("click", () =>
      run(revoke, slot, async () => {
        if (!confirm(`Revoke ${key.prefix}? Scripts using it stop working at once.`)) return;
        await api("DELETE", `/api/me/api-keys/${encodeURIComponent(key.prefix)}`);
        await load();
      }),
    );
    body.append(
      el("tr", { dataset: { prefix: key.prefix } },
        el("td", {}, el("code", { text: key.prefix })),
        el("td", { text: fmt.time(key.created_at) }),
        el("td", { text: key.last_used_at ? fmt.time(key.last_used_at) : "never" }),
        el("td", {}, el("span", { class: "control" }, revoke, slot)),
      ),
    );
  }
}

const create = document.getElementById("create-key");
create.addEventListener("click", () =>
  run(create, "create-key", async () => {
    const issued = await api("POST", "/api/me/api-keys");
    document.getElementById("new-key").textContent = issued.key;
    document.getElementById("new-key-box").hidden = false;
    await load();
  }),
);

load().catch((error) => {
  body.append(el("tr", {}, el("td", { colspan: 4, class: "error", text: error.message })));
});
