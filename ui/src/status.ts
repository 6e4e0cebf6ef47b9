// The sync indicator: what it says comes from measured drift and the
// connection, never from a timer.

import type { Connection, SyncStatus } from "./types";

export interface Indicator {
  tone: "good" | "busy" | "warn" | "bad" | "idle";
  label: string;
  detail: string;
}

export function indicator(
  status: SyncStatus,
  connection: Connection,
  driftMs: number | null,
  roomPaused = true,
  localPaused = false,
): Indicator {
  if (connection.state === "offline") {
    return { tone: "bad", label: "Offline", detail: connection.reason };
  }
  if (connection.state === "reconnecting") {
    const secs = (connection.retry_in_ms / 1000).toFixed(1);
    const here = localPaused ? "Paused here" : "Playing on";
    return { tone: "warn", label: "Reconnecting", detail: `${here}; retrying in ${secs} s (attempt ${connection.attempt})` };
  }
  const drift = driftMs === null ? "" : `${driftMs >= 0 ? "+" : "−"}${Math.abs(driftMs).toFixed(0)} ms`;
  switch (status) {
    case "synced":
      return { tone: "good", label: "In sync", detail: drift ? `Drift ${drift}` : "" };
    case "correcting":
      return { tone: "busy", label: "Correcting", detail: drift ? `Drift ${drift}, adjusting speed` : "Adjusting speed" };
    case "seeking":
      return { tone: "busy", label: "Catching up", detail: "Jumping to the room position" };
    case "buffering":
      return { tone: "warn", label: "Buffering", detail: "The room waits for you" };
    case "ended":
      return roomPaused
        ? { tone: "idle", label: "Film ended", detail: "Watch again starts it from the beginning" }
        : { tone: "warn", label: "Your copy ended", detail: "Your file is shorter than the room’s; the room plays on" };
    case "player_closed":
      return { tone: "bad", label: "Player closed", detail: "Reopen mpv to rejoin playback" };
    case "waiting":
      return { tone: "idle", label: "Paused", detail: "Waiting for the room to play" };
    default:
      return { tone: "idle", label: "Not in a room", detail: "" };
  }
}
