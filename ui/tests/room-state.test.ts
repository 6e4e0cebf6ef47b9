import { describe, expect, it } from "vitest";
import { allReady, initialRoomState, isHost, mayControl, reduceRoom, shownConnection } from "../src/views/room/state";
import type { SessionEvent } from "../src/types";
import { roomInfo } from "./fixtures";

const at = 1_000_000;

describe("the room's state", () => {
  it("starts from what the join said", () => {
    const s = initialRoomState(roomInfo(false, "host_only"));
    expect(s.paused).toBe(true);
    expect(s.started).toBe(false);
    expect(isHost(s)).toBe(false);
    expect(mayControl(s)).toBe(false);
    expect(mayControl(initialRoomState(roomInfo(false, "shared")))).toBe(true);
    expect(isHost(initialRoomState(roomInfo(true, "host_only")))).toBe(true);
  });

  it("leaves the state before an event untouched", () => {
    const before = initialRoomState(roomInfo(true, "host_only"));
    const frozen = JSON.stringify({ ...before, playing: [...before.playing] });
    const after = reduceRoom(before, { type: "control_mode", mode: "shared" }, at);
    expect(after.controlMode).toBe("shared");
    expect(JSON.stringify({ ...before, playing: [...before.playing] })).toBe(frozen);
  });

  it("counts the film as started once the room plays, and keeps it so when paused", () => {
    let s = initialRoomState(roomInfo(true, "host_only"));
    const playback = (paused: boolean): SessionEvent => ({
      type: "playback",
      playback: { paused, position: 10, speed: 1, anchor_ms: 0, epoch: 1, waiting_for_buffering: false },
    });
    s = reduceRoom(s, playback(false), at);
    expect([s.paused, s.started]).toEqual([false, true]);
    s = reduceRoom(s, playback(true), at);
    expect([s.paused, s.started]).toEqual([true, true]);
  });

  it("forgets the drift when it is no longer measured", () => {
    let s = initialRoomState(roomInfo(true, "host_only"));
    s = reduceRoom(s, { type: "status", status: "synced" }, at);
    s = reduceRoom(s, { type: "drift", drift_ms: 12, factor: 1 }, at);
    expect(s.drift).toBe(12);
    s = reduceRoom(s, { type: "status", status: "correcting" }, at);
    expect(s.drift).toBe(12);
    s = reduceRoom(s, { type: "status", status: "buffering" }, at);
    expect(s.drift).toBeNull();
  });

  it("counts a reconnect down from when it was announced", () => {
    let s = initialRoomState(roomInfo(true, "host_only"));
    s = reduceRoom(s, { type: "connection", connection: { state: "reconnecting", attempt: 2, retry_in_ms: 3000 } }, at);
    expect(shownConnection(s, at + 1000)).toEqual({ state: "reconnecting", attempt: 2, retry_in_ms: 2000 });
    expect(shownConnection(s, at + 9000)).toEqual({ state: "reconnecting", attempt: 2, retry_in_ms: 0 });
    s = reduceRoom(s, { type: "ended", reason: "the relay could not be reached" }, at);
    expect(s.ended).toBe("the relay could not be reached");
    expect(s.connection).toEqual({ state: "offline", reason: "The party ended" });
  });

  it("keeps what others play, not our own tracks, for the list", () => {
    let s = initialRoomState(roomInfo(true, "host_only"));
    const track = { kind: "audio" as const, id: 1, lang: "fra", external: false, selected: true };
    s = reduceRoom(s, { type: "tracks", participant: 1, tracks: [track], labels: ["French"] }, at);
    expect(s.playing.size).toBe(0);
    s = reduceRoom(s, { type: "tracks", participant: 2, tracks: [track], labels: ["French"] }, at);
    expect(s.playing.get(2)).toContain("French");
  });

  it("knows when everyone is ready, the away not waited for", () => {
    let s = initialRoomState(roomInfo(true, "host_only"));
    expect(allReady(s)).toBe(false);
    const [ana, bo] = s.participants;
    s = reduceRoom(s, { type: "participants", participants: [{ ...ana, ready: true }, { ...bo, reconnecting: true }] }, at);
    expect(allReady(s)).toBe(true);
  });
});
