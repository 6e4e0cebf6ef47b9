// The room as this window knows it: a pure function from the state before
// and a session event to the state after. The sub-views draw from it; the
// effects an event has besides (a line in the log, the tracks card) are the
// room view's.

import type { Connection, Participant, QueueState, RoomInfo, SessionEvent, SyncStatus } from "../../types";
import { playingText } from "../../tracks";

export interface RoomState {
  readonly you: number;
  readonly participants: Participant[];
  readonly status: SyncStatus;
  readonly connection: Connection;
  /** When the next reconnect attempt is due (local clock, ms), for a countdown that ticks. */
  readonly retryAt: number;
  readonly drift: number | null;
  /** The room's playback is paused. */
  readonly paused: boolean;
  /** This computer's player is paused (as last looked at). */
  readonly localPaused: boolean;
  readonly controlMode: RoomInfo["control_mode"];
  readonly playerClosed: boolean;
  /** The film is under way: no ready check any more. */
  readonly started: boolean;
  /** What each other member's player plays, for the list. */
  readonly playing: ReadonlyMap<number, string>;
  /** The party is over (not by our choice). */
  readonly ended: string | null;
  /** Series night: the room's queue. */
  readonly queue: QueueState;
  /** This member's copy of each queue entry (entry id → file name). */
  readonly ownCopies: Readonly<Partial<Record<number, string>>>;
}

export function initialRoomState(room: RoomInfo): RoomState {
  return {
    you: room.you,
    participants: room.participants,
    status: "waiting",
    connection: { state: "connected" },
    retryAt: 0,
    drift: null,
    paused: !room.playing,
    localPaused: false,
    controlMode: room.control_mode,
    playerClosed: false,
    started: room.playing,
    playing: new Map(),
    ended: null,
    queue: room.queue,
    ownCopies: room.own_copies,
  };
}

/** The state after `e`, at local time `now` (ms). */
export function reduceRoom(s: RoomState, e: SessionEvent, now: number): RoomState {
  switch (e.type) {
    case "participants":
      return { ...s, participants: e.participants };
    case "playback":
      return { ...s, paused: e.playback.paused, started: s.started || !e.playback.paused };
    case "status": {
      const measuring = e.status === "synced" || e.status === "correcting";
      return { ...s, status: e.status, drift: measuring ? s.drift : null };
    }
    case "drift":
      return { ...s, drift: e.drift_ms };
    case "connection":
      return {
        ...s,
        connection: e.connection,
        retryAt: e.connection.state === "reconnecting" ? now + e.connection.retry_in_ms : s.retryAt,
      };
    case "control_mode":
      return { ...s, controlMode: e.mode };
    case "tracks": {
      if (e.participant === s.you) return s;
      const playing = new Map(s.playing);
      playing.set(e.participant, playingText(e.tracks, e.labels));
      return { ...s, playing };
    }
    case "queue":
      return { ...s, queue: e.queue };
    case "own_copies":
      return { ...s, ownCopies: e.copies };
    case "player_closed":
      return { ...s, playerClosed: true };
    case "player_reopened":
      return { ...s, playerClosed: false };
    case "ended":
      // The reason is in the panel; the indicator says it in two words.
      return { ...s, ended: e.reason, connection: { state: "offline", reason: "The party ended" } };
    default:
      return s;
  }
}

/** This member, as the room lists them. */
export const me = (s: RoomState): Participant | undefined => s.participants.find((p) => p.id === s.you);

export const isHost = (s: RoomState): boolean => me(s)?.host ?? false;

/** Whether this member may play, pause and seek for the room now. */
export const mayControl = (s: RoomState): boolean => isHost(s) || s.controlMode === "shared";

/** Everyone is ready (or away, not waited for). */
export const allReady = (s: RoomState): boolean => s.participants.every((p) => p.ready || p.reconnecting);

/** The connection as the indicator shows it: a countdown that ticks. */
export function shownConnection(s: RoomState, now: number): Connection {
  return s.connection.state === "reconnecting" ? { ...s.connection, retry_in_ms: Math.max(0, s.retryAt - now) } : s.connection;
}
