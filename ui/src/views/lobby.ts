// The lobby: host a room from a local file, or join one by code.

import { api, errorText } from "../api";
import { checkCode, looksLikeInvite, normalizeRelay, parseInvite, type Invite } from "../code";
import { el, fileName } from "../dom";
import { SessionFeed } from "../feed";
import { reachLine } from "../reach";
import type { MediaChoice, RoomInfo, Settings } from "../types";

export type MediaTarget = "host" | "join";

export interface LobbyHooks {
  settings: Settings;
  prefill: Invite | null;
  /** A room was entered; its events come through `feed`. */
  onEntered(room: RoomInfo, feed: SessionFeed, again: (feed: SessionFeed) => Promise<RoomInfo>): void;
  /** Open the Jellyfin library to choose for the host or the join card. */
  onBrowseJellyfin?(target: MediaTarget): void;
}

interface MediaPicker {
  root: HTMLElement;
  set(choice: MediaChoice, label: string): void;
  choice(): MediaChoice | null;
  /** The choice with the label it shows, if any. */
  chosen(): [MediaChoice, string] | null;
}

/** What a person has put into the lobby, to carry over a redraw. */
export interface LobbyState {
  host: [MediaChoice, string] | null;
  join: [MediaChoice, string] | null;
  code: string;
  relay: string;
}

/** A film from this computer (dialog or drop) or from Jellyfin. */
function mediaPicker(label: string, onJellyfin: (() => void) | undefined, onRefused: (why: string) => void): MediaPicker {
  let chosen: MediaChoice | null = null;
  const name = el("span", { class: "file-name", text: "Nothing chosen yet" });
  const fileBtn = el("button", { class: "secondary", type: "button", text: label });
  const buttons = el("div", { class: "pick-buttons" }, fileBtn);
  if (onJellyfin) {
    const jf = el("button", { class: "secondary jf-button", type: "button", text: "From Jellyfin…" });
    jf.addEventListener("click", onJellyfin);
    buttons.append(jf);
  }
  const root = el("div", { class: "drop-zone", tabindex: "-1" }, el("span", { class: "drop-hint", text: "Drop a film here, or" }), buttons, name);
  const set = (choice: MediaChoice, text: string) => {
    chosen = choice;
    name.textContent = text;
    name.title = choice.kind === "file" ? choice.path : text;
    root.classList.add("has-file");
    root.classList.toggle("from-jellyfin", choice.kind === "jellyfin");
  };
  fileBtn.addEventListener("click", async () => {
    const path = await api.pickFile().catch(() => null);
    if (!path) return;
    const why = notAFilm(path);
    if (why) return onRefused(why);
    set({ kind: "file", path }, fileName(path));
  });
  return {
    root,
    set,
    choice: () => chosen,
    chosen: () => (chosen ? [chosen, name.textContent ?? ""] : null),
  };
}

const fileChoice = (path: string): [MediaChoice, string] => [{ kind: "file", path }, fileName(path)];

const SUBTITLES = /\.(srt|ass|ssa|vtt|sub|idx)$/i;
const NOT_FILMS = /\.(txt|md|pdf|docx?|odt|rtf|nfo|html?|json|xml|csv|jpe?g|png|gif|webp|bmp|svg|zip|rar|7z|tar|gz|exe|msi|deb|iso|torrent)$/i;

/** Why a dropped file cannot be the film, if it cannot. */
export function notAFilm(path: string): string | null {
  const name = fileName(path);
  if (SUBTITLES.test(path)) return `${name} is a subtitle file: choose the film here, then share subtitles from the room.`;
  if (NOT_FILMS.test(path)) return `${name} is not a film: choose a video file.`;
  return null;
}

export interface Lobby {
  root: HTMLElement;
  dropFile(path: string): void;
  setMedia(target: MediaTarget, choice: MediaChoice, label: string): void;
  /** What was chosen and typed so far. */
  state(): LobbyState;
  /** Puts back what `state` returned (after the lobby was drawn again). */
  restore(state: LobbyState): void;
}

export function renderLobby(hooks: LobbyHooks): Lobby {
  const error = el("div", { class: "error", role: "alert", hidden: "" });
  const showError = (msg: string | null) => {
    error.hidden = msg === null;
    error.textContent = msg ?? "";
  };

  // Host card.
  const browse = hooks.onBrowseJellyfin;
  const hostPick = mediaPicker("Choose film…", browse && (() => browse("host")), (why) => showError(why));
  const createBtn = el("button", { class: "primary", type: "button", text: "Create room" });
  const hosting = hooks.settings.relay_url
    ? `Using the relay ${hooks.settings.relay_url}`
    : "Hosting on this computer: friends connect to you directly, encrypted.";
  const reach = reachLine();
  if (!hooks.settings.relay_url) {
    reach.show({ kind: "checking", message: "Checking whether friends outside your network can reach you…", invite_link: null, landing_url: null });
    api.prepareHosting().then(reach.show, (e) => reach.show({ kind: "local_network", message: errorText(e), invite_link: null, landing_url: null }));
  }
  const hostCard = el(
    "section",
    { class: "card", "aria-labelledby": "host-title" },
    el("h2", { id: "host-title", text: "Host a watch party" }),
    el("p", { class: "muted", text: hosting }),
    ...(hooks.settings.relay_url ? [] : [reach.root]),
    hostPick.root,
    createBtn,
  );

  // Join card.
  const codeInput = el("input", {
    id: "join-code",
    class: "code-input",
    placeholder: "K7MQ2X or an invite",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "code-help",
  });
  const codeHelp = el("div", { id: "code-help", class: "hint", text: "6 characters, from your host" });
  const relayInput = el("input", {
    id: "join-relay",
    placeholder: "relay.example.com",
    "aria-describedby": "relay-help",
  });
  const relayHelp = el("div", { id: "relay-help", class: "hint" });
  const joinPick = mediaPicker("Choose your copy…", browse && (() => browse("join")), (why) => showError(why));
  const joinBtn = el("button", { class: "primary", type: "button", text: "Join room", disabled: "" });
  const cancelJoin = el("button", { class: "ghost", type: "button", text: "Cancel", hidden: "" });
  cancelJoin.addEventListener("click", () => api.cancelStart().catch(() => undefined));
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
    // A whole invite pasted into the code field fills code and relay.
    if (looksLikeInvite(codeInput.value)) {
      const invite = parseInvite(codeInput.value);
      if ("error" in invite) {
        codeInput.value = "";
        validate();
        codeHelp.textContent = invite.error;
        codeInput.classList.add("invalid");
        return;
      }
      applyInvite(invite);
      validate();
      return;
    }
    const pos = codeInput.selectionStart;
    codeInput.value = codeInput.value.toUpperCase();
    codeInput.setSelectionRange(pos, pos);
    // Another code typed: the last invite's relay no longer applies.
    if (invited !== null && codeInput.value !== invited.code) forgetInvite();
    validate();
  });
  relayInput.addEventListener("input", () => checkRelay());
  for (const input of [codeInput, relayInput]) {
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !joinBtn.disabled) joinBtn.click();
    });
  }
  // An invite to the host's own relay carries its addresses and
  // certificate: the whole link goes to the app, the field only says so.
  let invited: Invite | null = null;
  function forgetInvite() {
    invited = null;
    relayInput.readOnly = false;
    relayInput.classList.remove("from-invite");
    relayInput.value = hooks.settings.relay_url;
    relayHelp.textContent = "";
  }
  function applyInvite(invite: Invite) {
    // A good invite: older errors and the last party's ending are past.
    showError(null);
    document.querySelector(".notice-banner")?.remove();
    invited = invite;
    codeInput.value = invite.code;
    relayInput.value = invite.relay ?? "";
    relayInput.readOnly = invite.hosts > 0;
    relayInput.classList.toggle("from-invite", true);
    if (invite.hosts > 0) {
      relayInput.value = `From the invite: the host’s computer (${invite.hosts} address${invite.hosts === 1 ? "" : "es"}, encrypted)`;
    }
    relayHelp.textContent = "From the invite";
  }
  function checkRelay() {
    if (relayInput.readOnly) return;
    relayInput.classList.remove("from-invite");
    const typed = relayInput.value.trim();
    if (!typed) {
      relayHelp.textContent = "";
      relayInput.classList.remove("invalid");
      return;
    }
    const r = normalizeRelay(typed);
    relayInput.classList.toggle("invalid", "error" in r);
    relayHelp.textContent = "error" in r ? r.error : r.url === typed ? "" : `Will connect to ${r.url}`;
  }
  if (hooks.prefill) applyInvite(hooks.prefill);
  else relayInput.value = hooks.settings.relay_url;
  const joinCard = el(
    "section",
    { class: "card", "aria-labelledby": "join-title" },
    el("h2", { id: "join-title", text: "Join a party" }),
    el("label", { for: "join-code", text: "Room code" }),
    codeInput,
    codeHelp,
    el("label", { for: "join-relay", text: "Relay" }),
    relayInput,
    relayHelp,
    joinPick.root,
    joinBtn,
    cancelJoin,
  );
  validate();

  const busy = (on: boolean, btn: HTMLButtonElement, text: string) => {
    btn.disabled = on;
    btn.textContent = text;
  };
  createBtn.addEventListener("click", async () => {
    const hostMedia = hostPick.choice();
    if (!hostMedia) return showError("Choose the film you want to watch first.");
    showError(null);
    busy(true, createBtn, "Opening mpv…");
    const feed = new SessionFeed();
    try {
      const again = (f: SessionFeed) => api.hostRoom(hostMedia, f.push);
      hooks.onEntered(await again(feed), feed, again);
    } catch (e) {
      feed.close();
      showError(errorText(e));
    } finally {
      busy(false, createBtn, "Create room");
    }
  });
  joinBtn.addEventListener("click", async () => {
    const c = validate();
    if (c.state !== "valid") return;
    const joinMedia = joinPick.choice();
    if (!joinMedia) return showError("Choose your copy of the film first.");
    showError(null);
    busy(true, joinBtn, "Joining…");
    cancelJoin.hidden = false;
    const feed = new SessionFeed();
    try {
      const invite = invited !== null && invited.hosts > 0 && invited.code === c.code ? invited : null;
      const relay = invite ? null : relayInput.value.trim() || null;
      const again = (f: SessionFeed) => api.joinRoom(c.code, joinMedia, relay, invite ? invite.link : null, f.push);
      hooks.onEntered(await again(feed), feed, again);
    } catch (e) {
      feed.close();
      showError(errorText(e));
    } finally {
      cancelJoin.hidden = true;
      busy(false, joinBtn, "Join room");
      validate();
    }
  });

  // A room handed over still runs here: say so, and that closing ends it.
  const relaying = el("p", { class: "relaying", role: "status", hidden: "" });
  api
    .relayedFriends()
    .then((n) => {
      if (n <= 0) return;
      const who = n === 1 ? "A friend is" : `${n} friends are`;
      relaying.textContent = `${who} still watching through this computer. Keep Matinee open until they are done: closing it ends their party.`;
      relaying.hidden = false;
    })
    .catch(() => undefined);
  const root = el("main", { class: "lobby" }, error, relaying, el("div", { class: "cards" }, hostCard, joinCard));
  return {
    root,
    // A file dropped on the window goes to the join card when a code is
    // typed, else to the host card.
    dropFile(path: string) {
      const why = notAFilm(path);
      if (why) return showError(why);
      if (checkCode(codeInput.value).state !== "empty") joinPick.set(...fileChoice(path));
      else hostPick.set(...fileChoice(path));
      showError(null);
    },
    setMedia(target, choice, label) {
      (target === "host" ? hostPick : joinPick).set(choice, label);
      showError(null);
    },
    state() {
      return { host: hostPick.chosen(), join: joinPick.chosen(), code: codeInput.value, relay: relayInput.value };
    },
    restore(s) {
      if (s.host) hostPick.set(...s.host);
      if (s.join) joinPick.set(...s.join);
      if (s.code && !codeInput.value) codeInput.value = s.code;
      if (s.relay && !relayInput.value) relayInput.value = s.relay;
      validate();
    },
  };
}
