// The lobby: host a room from a local file, or join one by code.

import { api, errorText } from "../api";
import { checkCode } from "../code";
import { el, fileName } from "../dom";
import type { RoomInfo, SessionEvent, Settings } from "../types";

export interface LobbyHooks {
  settings: Settings;
  prefill: { code: string; relay: string | null } | null;
  onEvent(e: SessionEvent): void;
  onEntered(room: RoomInfo): void;
}

function filePicker(label: string, onPick: (path: string) => void): { root: HTMLElement; set(path: string): void } {
  const name = el("span", { class: "file-name", text: "No file chosen" });
  const button = el("button", { class: "secondary", type: "button", text: label });
  const root = el("div", { class: "drop-zone", tabindex: "-1" }, el("span", { class: "drop-hint", text: "Drop a film here or" }), button, name);
  const set = (path: string) => {
    name.textContent = fileName(path);
    name.title = path;
    root.classList.add("has-file");
    onPick(path);
  };
  button.addEventListener("click", async () => {
    const path = await api.pickFile().catch(() => null);
    if (path) set(path);
  });
  return { root, set };
}

export function renderLobby(hooks: LobbyHooks): { root: HTMLElement; dropFile(path: string): void } {
  const error = el("div", { class: "error", role: "alert", hidden: "" });
  const showError = (msg: string | null) => {
    error.hidden = msg === null;
    error.textContent = msg ?? "";
  };

  // Host card.
  let hostFile: string | null = null;
  const hostPick = filePicker("Choose film…", (p) => (hostFile = p));
  const createBtn = el("button", { class: "primary", type: "button", text: "Create room" });
  const hosting = hooks.settings.relay_url
    ? `Using the relay ${hooks.settings.relay_url}`
    : "Hosting on this computer: friends on your network or VPN connect to you directly.";
  const hostCard = el(
    "section",
    { class: "card", "aria-labelledby": "host-title" },
    el("h2", { id: "host-title", text: "Host a watch party" }),
    el("p", { class: "muted", text: hosting }),
    hostPick.root,
    createBtn,
  );

  // Join card.
  let joinFile: string | null = null;
  const codeInput = el("input", {
    id: "join-code",
    class: "code-input",
    placeholder: "K7MQ2X",
    maxlength: "7",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "code-help",
  });
  const codeHelp = el("div", { id: "code-help", class: "hint", text: "6 characters, from your host" });
  const relayInput = el("input", { id: "join-relay", placeholder: "ws://host:7878/ws (from the invite)" });
  const joinPick = filePicker("Choose your copy…", (p) => (joinFile = p));
  const joinBtn = el("button", { class: "primary", type: "button", text: "Join room", disabled: "" });
  const validate = () => {
    const c = checkCode(codeInput.value);
    codeInput.classList.toggle("invalid", c.state === "invalid");
    codeInput.classList.toggle("valid", c.state === "valid");
    codeHelp.textContent =
      c.state === "invalid" ? c.message : c.state === "valid" ? "Looks good" : "6 characters, from your host";
    joinBtn.toggleAttribute("disabled", c.state !== "valid");
    return c;
  };
  codeInput.addEventListener("input", () => {
    const pos = codeInput.selectionStart;
    codeInput.value = codeInput.value.toUpperCase();
    codeInput.setSelectionRange(pos, pos);
    validate();
  });
  if (hooks.prefill) {
    codeInput.value = hooks.prefill.code;
    relayInput.value = hooks.prefill.relay ?? "";
  } else {
    relayInput.value = hooks.settings.relay_url;
  }
  const joinCard = el(
    "section",
    { class: "card", "aria-labelledby": "join-title" },
    el("h2", { id: "join-title", text: "Join a party" }),
    el("label", { for: "join-code", text: "Room code" }),
    codeInput,
    codeHelp,
    el("label", { for: "join-relay", text: "Relay" }),
    relayInput,
    joinPick.root,
    joinBtn,
  );
  validate();

  const busy = (on: boolean, btn: HTMLButtonElement, text: string) => {
    btn.disabled = on;
    btn.textContent = text;
  };
  createBtn.addEventListener("click", async () => {
    if (!hostFile) return showError("Choose the film you want to watch first.");
    showError(null);
    busy(true, createBtn, "Opening mpv…");
    try {
      hooks.onEntered(await api.hostRoom(hostFile, hooks.onEvent));
    } catch (e) {
      showError(errorText(e));
    } finally {
      busy(false, createBtn, "Create room");
    }
  });
  joinBtn.addEventListener("click", async () => {
    const c = validate();
    if (c.state !== "valid") return;
    if (!joinFile) return showError("Choose your copy of the film first.");
    showError(null);
    busy(true, joinBtn, "Joining…");
    try {
      const relay = relayInput.value.trim() || null;
      hooks.onEntered(await api.joinRoom(c.code, joinFile, relay, hooks.onEvent));
    } catch (e) {
      showError(errorText(e));
    } finally {
      busy(false, joinBtn, "Join room");
      validate();
    }
  });

  const root = el("main", { class: "lobby" }, error, el("div", { class: "cards" }, hostCard, joinCard));
  return {
    root,
    // A file dropped on the window goes to the join card when a code is
    // typed, else to the host card.
    dropFile(path: string) {
      if (checkCode(codeInput.value).state !== "empty") joinPick.set(path);
      else hostPick.set(path);
    },
  };
}
