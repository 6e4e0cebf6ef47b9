// Typed wrappers around the app's Tauri commands.

import { Channel, invoke } from "@tauri-apps/api/core";
import type { AppError, AppInfo, LaunchRequest, RoomInfo, SessionEvent, Settings } from "./types";

export type RoomCommand =
  | { kind: "play" }
  | { kind: "pause" }
  | { kind: "seek"; position: number }
  | { kind: "ready"; ready: boolean }
  | { kind: "start"; force: boolean }
  | { kind: "chat"; text: string }
  | { kind: "set_control_mode"; mode: "host_only" | "shared" }
  | { kind: "pass_host"; to: number }
  | { kind: "kick"; participant: number }
  | { kind: "reopen_player" };

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
  hostRoom: (file: string, onEvent: (e: SessionEvent) => void) =>
    invoke<RoomInfo>("host_room", { file, events: channel(onEvent) }),
  joinRoom: (code: string, file: string, relay: string | null, onEvent: (e: SessionEvent) => void) =>
    invoke<RoomInfo>("join_room", { code, file, relay, events: channel(onEvent) }),
  command: (command: RoomCommand) => invoke<void>("room_command", { command }),
  leave: () => invoke<void>("leave_room"),
  takeLaunchRequest: () => invoke<LaunchRequest>("take_launch_request"),
};
