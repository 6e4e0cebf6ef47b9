// The lobby: host a room from a film, or join one by code or invite. The
// cards are in lobby/ (host-card, join-card with its pure join-form, the
// media picker); this file puts them together with the error line and the
// note about friends still watching through this computer.

import { api } from "../api";
import type { Invite } from "../code";
import { el } from "../dom";
import type { SessionFeed } from "../feed";
import type { MediaChoice, RoomInfo, Settings } from "../types";
import { renderHostCard } from "./lobby/host-card";
import { renderJoinCard } from "./lobby/join-card";
import { fileChoice, notAFilm } from "./lobby/media-picker";

export { notAFilm } from "./lobby/media-picker";

export type MediaTarget = "host" | "join";

export interface LobbyHooks {
  settings: Settings;
  prefill: Invite | null;
  /** A room was entered; its events come through `feed`. */
  onEntered(room: RoomInfo, feed: SessionFeed, again: (feed: SessionFeed) => Promise<RoomInfo>): void;
  /** Open the Jellyfin library to choose for the host or the join card. */
  onBrowseJellyfin?(target: MediaTarget): void;
}

/** What a person has put into the lobby, to carry over a redraw. */
export interface LobbyState {
  host: [MediaChoice, string] | null;
  join: [MediaChoice, string] | null;
  code: string;
  relay: string;
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

/** A room handed over still runs here: say so, and that closing ends it. */
function relayingNote(): HTMLElement {
  const note = el("p", { class: "relaying", role: "status", hidden: "" });
  api
    .relayedFriends()
    .then((n) => {
      if (n <= 0) return;
      const who = n === 1 ? "A friend is" : `${n} friends are`;
      note.textContent = `${who} still watching through this computer. Keep Matinee open until they are done: closing it ends their party.`;
      note.hidden = false;
    })
    .catch(() => undefined);
  return note;
}

export function renderLobby(hooks: LobbyHooks): Lobby {
  const error = el("div", { class: "error", role: "alert", hidden: "" });
  const showError = (msg: string | null) => {
    error.hidden = msg === null;
    error.textContent = msg ?? "";
  };
  const browse = hooks.onBrowseJellyfin;
  const host = renderHostCard({
    relayUrl: hooks.settings.relay_url,
    onBrowse: browse && (() => browse("host")),
    showError,
    onEntered: hooks.onEntered,
  });
  const join = renderJoinCard({
    settingsRelay: hooks.settings.relay_url,
    prefill: hooks.prefill,
    onBrowse: browse && (() => browse("join")),
    showError,
    onEntered: hooks.onEntered,
  });
  const root = el("main", { class: "lobby" }, error, relayingNote(), el("div", { class: "cards" }, host.root, join.root));
  return {
    root,
    // A file dropped on the window goes to the join card when a code is
    // typed, else to the host card.
    dropFile(path: string) {
      const why = notAFilm(path);
      if (why) return showError(why);
      (join.hasCode() ? join.pick : host.pick).set(...fileChoice(path));
      showError(null);
    },
    setMedia(target, choice, label) {
      (target === "host" ? host.pick : join.pick).set(choice, label);
      showError(null);
    },
    state() {
      const f = join.form();
      return { host: host.pick.chosen(), join: join.pick.chosen(), code: f.code, relay: f.relay };
    },
    restore(s) {
      if (s.host) host.pick.set(...s.host);
      if (s.join) join.pick.set(...s.join);
      join.restore(s.code, s.relay);
    },
  };
}
