// The events the app sends the window, by name with their payloads. The
// names are the app's (src-tauri/src/events.rs): a Rust test checks that
// this interface lists exactly those.

import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ReachReport } from "./types";

export interface AppEvents {
  invite: string;
  "open-file": string;
  "confirm-close": number;
  reachability: ReachReport;
}

/** Calls `f` with each `name` event's payload. */
export function onAppEvent<K extends keyof AppEvents>(name: K, f: (payload: AppEvents[K]) => void): Promise<UnlistenFn> {
  return listen<AppEvents[K]>(name, (e) => f(e.payload));
}
