// Settings and About, in a dialog.

import { api, errorText } from "../api";
import { el } from "../dom";
import type { AppInfo, Settings } from "../types";

export function openSettings(
  current: Settings,
  info: AppInfo | null,
  onSaved: (s: Settings) => void | Promise<void>,
  inRoom = false,
): void {
  const dialog = el("dialog", { class: "settings", "aria-labelledby": "settings-title" });
  const field = (id: string, label: string, value: string, placeholder: string, hint: string) => {
    const input = el("input", { id, placeholder });
    input.value = value;
    return { input, node: el("div", { class: "field" }, el("label", { for: id, text: label }), input, el("div", { class: "hint", text: hint })) };
  };
  const nick = field(
    "set-nick",
    "Nickname",
    current.nickname,
    "Your name",
    inRoom ? "Shown to everyone; the room sees a new name at once." : "Shown to everyone in the room.",
  );
  const relay = field("set-relay", "Relay", current.relay_url, "Empty: host on this computer", "Leave empty to host rooms on this computer (no setup).");
  const mpv = field("set-mpv", "mpv", current.mpv_path, "Found automatically", "Path to mpv if Matinee cannot find it.");
  const p2p = field(
    "set-p2p",
    "Peer-to-peer relays",
    current.iroh_relay ?? "",
    "Empty: iroh's public relays",
    "When your router lets no one in, friends reach this computer peer-to-peer; they meet through these relays (https://…, comma-separated), which see only encrypted packets. “off” turns this path off. Applies when Matinee next starts.",
  );
  // Where my films are: each queue entry is looked for in these folders.
  let folders = [...(current.film_folders ?? [])];
  const folderList = el("ul", { class: "folder-list" });
  const drawFolders = () => {
    folderList.replaceChildren(
      ...folders.map((f, i) => {
        const remove = el("button", { class: "ghost small", type: "button", text: "Remove", "aria-label": `Stop looking in ${f}` });
        remove.addEventListener("click", () => {
          folders = folders.filter((_, j) => j !== i);
          drawFolders();
        });
        return el("li", {}, el("span", { text: f, title: f }), remove);
      }),
    );
    if (folders.length === 0) folderList.append(el("li", { class: "muted", text: "No folder yet." }));
  };
  drawFolders();
  const addFolder = el("button", { class: "secondary small", type: "button", text: "Add a folder…" });
  addFolder.addEventListener("click", async () => {
    const picked = await api.pickFolder().catch(() => null);
    if (picked && !folders.includes(picked)) {
      folders.push(picked);
      drawFolders();
    }
  });
  const filmsField = el(
    "div",
    { class: "field" },
    el("label", { text: "Where my films are" }),
    folderList,
    addFolder,
    el("div", { class: "hint", text: "Series night: your copy of each queued episode is looked for here (by episode numbers, title and length)." }),
  );
  const mode = el("select", { id: "set-mode" });
  mode.append(el("option", { value: "host_only", text: "Only the host" }), el("option", { value: "shared", text: "Everyone" }));
  mode.value = current.control_mode;
  const sync = el("select", { id: "set-sync" });
  sync.append(
    el("option", { value: "matinee", text: "Matinee: tight (small speed changes, a few ms apart)" }),
    el("option", { value: "syncplay", text: "Syncplay's classic thresholds (seeks past 1.5 s)" }),
  );
  sync.value = current.controller ?? "matinee";
  const error = el("div", { class: "error", role: "alert", hidden: "" });
  let mpvState = "";
  if (info) {
    const m = info.mpv;
    mpvState = m.ok ? `mpv ${m.version} at ${m.path}` : m.error;
  }
  const about = el(
    "div",
    { class: "about" },
    el("h3", { text: "About" }),
    el("p", { text: `Matinee ${info?.version ?? ""}` }),
    el("p", { class: "muted", text: mpvState }),
    el("p", { class: "muted", text: info ? `Logs: ${info.log_dir}` : "" }),
  );
  const save = el("button", { class: "primary", type: "submit", text: "Save" });
  const cancel = el("button", { class: "ghost", type: "button", text: "Cancel" });
  const form = el(
    "form",
    { method: "dialog" },
    el("h2", { id: "settings-title", text: "Settings" }),
    nick.node,
    relay.node,
    mpv.node,
    p2p.node,
    filmsField,
    el("div", { class: "field" }, el("label", { for: "set-mode", text: "New rooms: who controls playback" }), mode),
    el(
      "div",
      { class: "field" },
      el("label", { for: "set-sync", text: "Sync: how your player keeps in step" }),
      sync,
      el("div", { class: "hint", text: "Applies to the next room you create or join." }),
    ),
    error,
    el("div", { class: "actions" }, cancel, save),
    about,
  );
  dialog.append(form);
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      save.disabled = true;
      save.textContent = "Checking…";
      const saved = await api.saveSettings({
        nickname: nick.input.value.trim(),
        relay_url: relay.input.value.trim(),
        mpv_path: mpv.input.value.trim(),
        iroh_relay: p2p.input.value.trim(),
        control_mode: mode.value as Settings["control_mode"],
        controller: sync.value as Settings["controller"],
        film_folders: folders,
      });
      await onSaved(saved);
      dialog.close();
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    } finally {
      save.disabled = false;
      save.textContent = "Save";
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}
