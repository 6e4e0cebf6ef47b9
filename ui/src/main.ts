// Matinee's window: first run, lobby, room, settings.

import { onAppEvent } from "./events";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { api, errorText } from "./api";
import { parseInvite, type Invite } from "./code";
import { el } from "./dom";
import { SessionFeed } from "./feed";
import type { AppInfo, RoomInfo, Settings } from "./types";
import { renderJellyfin } from "./views/jellyfin";
import { renderLobby, type Lobby, type LobbyState, type MediaTarget } from "./views/lobby";
import { renderRoom, type RoomView } from "./views/room";
import { openSettings } from "./views/settings";
import "./styles.css";

const app = document.getElementById("app")!;
let settings: Settings = { nickname: "", relay_url: "", mpv_path: "", control_mode: "host_only", controller: "matinee", iroh_relay: "" };
let info: AppInfo | null = null;
let room: RoomView | null = null;
let lobbyDrop: ((path: string) => void) | null = null;
// The lobby on screen, if it is.
let lobbyNow: Lobby | null = null;
let banner: string | null = null;
// The films chosen in the lobby before a room, for the lobby after it
// (a party that ends does not make people choose their film again).
let lobbyBeforeRoom: LobbyState | null = null;
// A film the app was opened with, until the lobby can take it.
let openedFile: string | null = null;
// An invite link that arrived before the nickname was chosen.
let openedInvite: string | null = null;

function topBar(): HTMLElement {
  const gear = el("button", { class: "ghost", type: "button", "aria-label": "Settings", text: "Settings" });
  gear.addEventListener("click", () =>
    openSettings(settings, info, async (s) => {
      settings = s;
      // The mpv banner and About follow the new settings at once.
      info = await api.appInfo().catch(() => info);
      // The lobby is drawn again for the new settings, keeping the films
      // chosen and the code typed.
      if (!room) {
        const kept = lobbyNow?.state();
        showLobby(null);
        if (kept) lobbyNow?.restore(kept);
      }
    }, room !== null),
  );
  return el(
    "nav",
    { class: "topbar" },
    el("div", { class: "brand" }, el("span", { class: "logo", "aria-hidden": "true", text: "▶" }), "Matinee"),
    el("div", { class: "who muted", text: settings.nickname ? `You are ${settings.nickname}` : "" }),
    gear,
  );
}

function mpvBanner(): HTMLElement | null {
  if (!info || info.mpv.ok) return null;
  const again = el("button", { class: "secondary small", type: "button", text: "Check again" });
  again.addEventListener("click", async () => {
    again.disabled = true;
    again.textContent = "Checking…";
    info = await api.appInfo().catch(() => info);
    if (!room) showLobby(null);
  });
  return el("div", { class: "warning", role: "alert" }, el("b", { text: "mpv is needed to play films. " }), info.mpv.error, " ", again);
}

function showFirstRun() {
  const input = el("input", { id: "first-nick", placeholder: "Your name", maxlength: "32", autocomplete: "nickname" });
  const go = el("button", { class: "primary", type: "submit", text: "Continue" });
  const error = el("div", { class: "error", role: "alert", hidden: "" });
  const form = el(
    "form",
    { class: "card welcome" },
    el("h1", { text: "Welcome to Matinee" }),
    el("p", { class: "muted", text: "Watch films together, each on your own copy, perfectly in sync." }),
    el("label", { for: "first-nick", text: "What should friends call you?" }),
    input,
    error,
    go,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      settings = await api.saveSettings({ ...settings, nickname: input.value.trim() });
      const invite = openedInvite;
      openedInvite = null;
      if (invite) openInvite(invite);
      else showLobby(null);
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });
  app.replaceChildren(topBar(), ...[mpvBanner()].filter((n): n is HTMLElement => n !== null), el("main", { class: "lobby" }, form));
  input.focus();
}

function showLobby(prefill: Invite | null) {
  room = null;
  const lobby = renderLobby({
    settings,
    prefill,
    onEntered: showRoom,
    onBrowseJellyfin: (target) => showJellyfin(lobby, target),
  });
  lobbyDrop = lobby.dropFile;
  lobbyNow = lobby;
  if (lobbyBeforeRoom && !prefill) lobby.restore({ ...lobbyBeforeRoom, code: "", relay: "" });
  lobbyBeforeRoom = null;
  if (openedFile) lobby.dropFile(openedFile);
  openedFile = null;
  const notice = banner ? el("div", { class: "notice-banner", role: "status", text: banner }) : null;
  banner = null;
  app.replaceChildren(topBar(), ...[mpvBanner(), notice].filter((n): n is HTMLElement => n !== null), lobby.root);
  // Keyboard users land on the first thing to do, not on nothing.
  const first = prefill ? lobby.root.querySelector<HTMLElement>("#join-code") : lobby.root.querySelector<HTMLElement>("button.primary");
  first?.focus();
}

// The library replaces the lobby, which is kept as it was (code typed,
// films chosen) and gets the pick back.
function showJellyfin(lobby: Lobby, target: MediaTarget) {
  const back = () => {
    lobbyDrop = lobby.dropFile;
    app.replaceChildren(topBar(), lobby.root);
  };
  const view = renderJellyfin({
    mode: target === "host" ? "host" : "watch",
    backTo: "the lobby",
    onPick: (choice, label) => {
      view.stop();
      lobby.setMedia(target, choice, label);
      back();
    },
    onClose: back,
  });
  lobbyDrop = null;
  app.replaceChildren(topBar(), view.root);
}

function showRoom(info: RoomInfo, feed: SessionFeed, again?: (feed: SessionFeed) => Promise<RoomInfo>) {
  lobbyDrop = null;
  lobbyBeforeRoom = lobbyNow?.state() ?? lobbyBeforeRoom;
  lobbyNow = null;
  const view = renderRoom(
    info,
    (reason) => {
      feed.close();
      if (room !== view) return;
      // Leaving by choice needs no explanation; anything else does.
      banner = reason ? `The party ended: ${reason.replace(/[.!?…]+$/, "")}.` : null;
      showLobby(null);
    },
    again &&
      (async () => {
        feed.close();
        const next = new SessionFeed();
        try {
          showRoom(await again(next), next, again);
        } catch (e) {
          next.close();
          throw e;
        }
      }),
    () => showJellyfinForQueue(view),
  );
  room = view;
  app.replaceChildren(topBar(), view.root);
  feed.attach(view.handle);
}

// The library over the room (which plays on behind it): what is picked
// goes into the room's queue, then back to the room.
function showJellyfinForQueue(view: RoomView) {
  const back = () => {
    if (room === view) app.replaceChildren(topBar(), view.root);
  };
  const library = renderJellyfin({
    mode: "queue",
    backTo: "the room",
    onPick: (choice, label) => {
      library.stop();
      back();
      if (choice.kind !== "jellyfin") return;
      api
        .command({ kind: "queue_add_jellyfin", item: choice.item, play: false })
        .then(() => view.note(`Adding ${label} to the queue…`))
        .catch((e) => view.note(`Could not add ${label}: ${errorText(e)}`));
    },
    onClose: back,
  });
  app.replaceChildren(topBar(), library.root);
}

function openInvite(link: string) {
  if (!settings.nickname) {
    openedInvite = link; // first run: after the nickname
    return;
  }
  const invite = parseInvite(link);
  if ("error" in invite) {
    banner = invite.error;
    if (!room) showLobby(null);
    return;
  }
  if (room) {
    // Already in a room: keep it, and say what arrived.
    room.note(`An invite to room ${invite.code} arrived. Leave this room to join it (open the invite again then).`);
    return;
  }
  showLobby(invite);
}

/** Closing the window would end the party for friends: ask first. */
function askBeforeClosing(friends: number) {
  if (document.querySelector("dialog.confirm-close")) return;
  const dialog = el("dialog", { class: "confirm-close", "aria-labelledby": "close-title" });
  const who = friends === 1 ? "A friend is" : `${friends} friends are`;
  const stay = el("button", { class: "secondary", type: "button", text: "Keep watching" });
  const end = el("button", { class: "danger primary", type: "button", text: "End the party" });
  stay.addEventListener("click", () => dialog.close());
  end.addEventListener("click", () => api.confirmClose().catch(() => dialog.close()));
  dialog.append(
    el("h2", { id: "close-title", text: `${who} still watching — end the party?` }),
    el("p", { class: "muted", text: "The room runs on this computer: closing Matinee ends it for everyone." }),
    el("div", { class: "actions" }, stay, end),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  stay.focus();
}

function openFile(path: string) {
  if (lobbyDrop) lobbyDrop(path);
  else openedFile = path; // first run or in a room: the lobby takes it later
}

async function start() {
  [settings, info] = await Promise.all([api.loadSettings(), api.appInfo().catch(() => null)]);
  await onAppEvent("invite", openInvite);
  await onAppEvent("open-file", openFile);
  await onAppEvent("confirm-close", askBeforeClosing);
  await getCurrentWebview().onDragDropEvent((e) => {
    if (e.payload.type !== "drop" || !e.payload.paths.length) return;
    if (lobbyDrop) lobbyDrop(e.payload.paths[0]);
    else if (room) room.dropFile(e.payload.paths[0]);
  });
  const launch = await api.takeLaunchRequest().catch(() => ({ invite: null, file: null }));
  openedFile = launch.file;
  if (!settings.nickname) {
    openedInvite = launch.invite;
    showFirstRun();
  } else if (launch.invite) openInvite(launch.invite);
  else showLobby(null);
}

start().catch((e) => app.replaceChildren(el("div", { class: "error", text: errorText(e) })));
