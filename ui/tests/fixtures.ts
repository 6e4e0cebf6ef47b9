// Shapes the room tests share.

import type { RoomInfo } from "../src/types";

/** A room with Ana (host, id 1) and Bo (id 2), seen by the host or by Bo. */
export function roomInfo(host: boolean, mode: "host_only" | "shared"): RoomInfo {
  return {
    code: "K7MQ2X",
    you: host ? 1 : 2,
    host,
    control_mode: mode,
    relay_url: "wss://127.0.0.1:7878/ws",
    invite_link: "matinee://join/K7MQ2X?h=127.0.0.1:7878&fp=x",
    landing_url: null,
    hosting_locally: host,
    reachability: null,
    participants: [
      { id: 1, nickname: "Ana", host: true, ready: false, buffering: false, catching_up: false, reconnecting: false, player_closed: false, joined_ms: 0 },
      { id: 2, nickname: "Bo", host: false, ready: false, buffering: false, catching_up: false, reconnecting: false, player_closed: false, joined_ms: 1 },
    ],
    warnings: [],
    media_name: "film.mkv",
    controller: "matinee",
    playing: false,
    queue: { entries: [] },
    own_copies: {},
  };
}
