// Shapes shared with the Rust side (serde JSON of matinee-client-core and
// the app's commands).

export type SyncStatus =
  | "no_room"
  | "waiting"
  | "synced"
  | "correcting"
  | "seeking"
  | "buffering"
  | "player_closed"
  | "ended";

export interface Participant {
  id: number;
  nickname: string;
  host: boolean;
  ready: boolean;
  buffering: boolean;
  /** Buffering, and the room plays on without waiting for them. */
  catching_up?: boolean;
  reconnecting: boolean;
  player_closed: boolean;
  rtt_ms?: number;
  position?: number;
  drift_ms?: number;
  /** What this participant plays: its own copy's name, size and length. */
  media?: { name: string; size_bytes?: number | null; duration?: number | null };
  joined_ms: number;
}

export interface Playback {
  position: number;
  paused: boolean;
  speed: number;
  anchor_ms: number;
  epoch: number;
  waiting_for_buffering: boolean;
}

export type Connection =
  | { state: "connected" }
  | { state: "reconnecting"; attempt: number; retry_in_ms: number }
  | { state: "offline"; reason: string };

export type SessionEvent =
  | { type: "joined"; code: string; you: number; warnings: unknown[] }
  | { type: "participants"; participants: Participant[] }
  | { type: "playback"; playback: Playback }
  | { type: "control_mode"; mode: "host_only" | "shared" }
  | { type: "status"; status: SyncStatus }
  | { type: "drift"; drift_ms: number; factor: number }
  | { type: "connection"; connection: Connection }
  | { type: "chat"; from: number; nickname: string; text: string }
  | { type: "notice"; event: string; text: string }
  | { type: "refused"; message: string }
  | { type: "player_closed" }
  | { type: "player_reopened" }
  | { type: "ended"; reason: string };

/** What the window shows about friends reaching the relay on this computer. */
export interface ReachReport {
  kind: "checking" | "anywhere" | "ipv6" | "local_network" | "carrier_nat" | "this_computer" | "relay";
  message: string;
  invite_link: string | null;
  landing_url: string | null;
}

export interface RoomInfo {
  code: string;
  you: number;
  host: boolean;
  control_mode: "host_only" | "shared";
  relay_url: string;
  invite_link: string;
  landing_url: string | null;
  hosting_locally: boolean;
  /** Whether friends elsewhere can reach this host (hosting here only). */
  reachability: ReachReport | null;
  participants: Participant[];
  warnings: string[];
  media_name: string;
  /** How this player is kept in step. */
  controller: Controller;
}

/** Matinee's tight correction, or Syncplay's classic thresholds. */
export type Controller = "matinee" | "syncplay";

export interface Settings {
  nickname: string;
  relay_url: string;
  mpv_path: string;
  control_mode: "host_only" | "shared";
  controller: Controller;
}

export interface AppInfo {
  version: string;
  log_dir: string;
  mpv: { ok: true; path: string; version: string } | { ok: false; error: string };
}

/** What kind of failure (src-tauri/src/error.rs `ErrorKind`). */
export type ErrorKind =
  | "settings"
  | "dialog"
  | "mpv"
  | "media"
  | "cancelled"
  | "invite"
  | "code"
  | "relay"
  | "relay_unreachable"
  | "not_your_host"
  | "relay_incompatible"
  | "refused"
  | "ended"
  | "no_room"
  | "window"
  | "jellyfin"
  | "jellyfin_url"
  | "jellyfin_unreachable"
  | "jellyfin_not_jellyfin"
  | "jellyfin_busy"
  | "jellyfin_too_old"
  | "jellyfin_moved"
  | "jellyfin_credentials"
  | "jellyfin_signed_out"
  | "jellyfin_no_server"
  | "jellyfin_quick_connect"
  | "jellyfin_keyring";

export interface AppError {
  kind: ErrorKind;
  message: string;
}

/** What the app was opened with: an invite link, a film ("Open with"). */
export interface LaunchRequest {
  invite: string | null;
  file: string | null;
}

/** What to watch: a film on this computer, or an item on the user's
 * Jellyfin server (from `resume` seconds when hosting). */
export type MediaChoice =
  | { kind: "file"; path: string }
  | { kind: "jellyfin"; item: string; resume: number | null };

export interface JellyfinStatus {
  server: { url: string; name: string; version: string } | null;
  user: string | null;
}

export interface JellyfinItem {
  id: string;
  name: string;
  kind: string;
  year: number | null;
  runtime_seconds: number | null;
  resume_seconds: number | null;
  played: boolean;
  overview: string | null;
  series_name: string | null;
  series_id: string | null;
  season: number | null;
  episode: number | null;
  has_poster: boolean;
  playable: boolean;
}

export interface JellyfinPage {
  items: JellyfinItem[];
  total: number;
  start: number;
}
