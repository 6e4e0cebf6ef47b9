// Typed wrappers around the app's Tauri commands.

import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AppError,
  ErrorKind,
  AppInfo,
  JellyfinItem,
  JellyfinPage,
  JellyfinStatus,
  LaunchRequest,
  MediaChoice,
  PlayerPosition,
  ReachReport,
  RoomCommand,
  RoomInfo,
  SessionEvent,
  Settings,
} from "./types";

export type { RoomCommand };

function channel(onEvent: (e: SessionEvent) => void): Channel<SessionEvent> {
  const ch = new Channel<SessionEvent>();
  ch.onmessage = onEvent;
  return ch;
}

/** A readable message from whatever a command rejected with. */
export function errorText(e: unknown): string {
  if (typeof e === "string") return e;
  if (e && typeof e === "object" && "message" in e) return String((e as AppError).message);
  return "Something went wrong.";
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  loadSettings: () => invoke<Settings>("load_settings"),
  saveSettings: (settings: Settings) => invoke<Settings>("save_settings", { settings }),
  pickFile: () => invoke<string | null>("pick_file"),
  /** Asks for films or episodes to add to the room's queue. */
  pickFilms: () => invoke<string[]>("pick_films"),
  /** Asks for a folder where this member's films are. */
  pickFolder: () => invoke<string | null>("pick_folder"),
  /** Asks for a subtitle file to share with the room. */
  pickSubtitle: () => invoke<string | null>("pick_subtitle"),
  hostRoom: (media: MediaChoice, onEvent: (e: SessionEvent) => void) =>
    invoke<RoomInfo>("host_room", { media, events: channel(onEvent) }),
  joinRoom: (
    code: string,
    media: MediaChoice,
    relay: string | null,
    invite: string | null,
    onEvent: (e: SessionEvent) => void,
  ) => invoke<RoomInfo>("join_room", { code, media, relay, invite, events: channel(onEvent) }),
  /** Starts the relay on this computer (when no relay is set) and says who can reach it. */
  prepareHosting: () => invoke<ReachReport>("prepare_hosting"),
  command: (command: RoomCommand) => invoke<void>("room_command", { command }),
  /** Where this computer's player is: for the time and the seek bar. */
  playerPosition: () => invoke<PlayerPosition>("player_position"),
  leave: () => invoke<void>("leave_room"),
  /** Friends still watching through this computer's relay (after handing a room over). */
  relayedFriends: () => invoke<number>("relayed_friends"),
  takeLaunchRequest: () => invoke<LaunchRequest>("take_launch_request"),
  /** End the party for everyone and close the window. */
  confirmClose: () => invoke<void>("confirm_close"),
  /** Give up a join (or host) in progress. */
  cancelStart: () => invoke<void>("cancel_start"),
};

/** The user's Jellyfin server. */
export const jellyfin = {
  status: () => invoke<JellyfinStatus>("jellyfin_status"),
  connect: (url: string) => invoke<JellyfinStatus>("jellyfin_connect", { url }),
  signIn: (username: string, password: string) => invoke<JellyfinStatus>("jellyfin_sign_in", { username, password }),
  quickConnectStart: () => invoke<string>("jellyfin_quick_connect_start"),
  quickConnectPoll: () => invoke<JellyfinStatus | null>("jellyfin_quick_connect_poll"),
  signOut: () => invoke<JellyfinStatus>("jellyfin_sign_out"),
  libraries: () => invoke<JellyfinItem[]>("jellyfin_libraries"),
  items: (request: { library: string | null; search: string | null; start: number; limit: number }) =>
    invoke<JellyfinPage>("jellyfin_items", { request }),
  item: (id: string) => invoke<JellyfinItem>("jellyfin_item", { id }),
  seasons: (series: string) => invoke<JellyfinItem[]>("jellyfin_seasons", { series }),
  episodes: (series: string, season: string) => invoke<JellyfinItem[]>("jellyfin_episodes", { series, season }),
  poster: (id: string, height: number) => invoke<string>("jellyfin_poster", { id, height }),
};

/** The error's kind, when a command rejected with a typed error. */
export function errorKind(e: unknown): ErrorKind | null {
  return e && typeof e === "object" && "kind" in e ? (e as AppError).kind : null;
}
