import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { formatTime, renderRoom } from "../src/views/room";
import type { RoomInfo } from "../src/types";

afterEach(() => clearMocks());

function room(host: boolean, mode: "host_only" | "shared"): RoomInfo {
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
      { id: 1, nickname: "Ana", host: true, ready: false, buffering: false, reconnecting: false, player_closed: false, joined_ms: 0 },
      { id: 2, nickname: "Bo", host: false, ready: false, buffering: false, reconnecting: false, player_closed: false, joined_ms: 1 },
    ],
    warnings: [],
    media_name: "film.mkv",
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("time and seek bar", () => {
  it("formats times as people read them", () => {
    expect(formatTime(0)).toBe("0:00");
    expect(formatTime(79.6)).toBe("1:20");
    expect(formatTime(3723)).toBe("1:02:03");
  });

  it("shows the player's time and sends a seek from the bar and the arrow keys", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "player_position") return { position: 83.2, duration: 7200, paused: true };
      return null;
    });
    const view = renderRoom(room(true, "host_only"), () => {});
    document.body.replaceChildren(view.root);
    await tick(30);
    const times = [...view.root.querySelectorAll(".timeline .time")].map((t) => t.textContent);
    expect(times).toEqual(["1:23", "2:00:00"]);
    const bar = view.root.querySelector<HTMLInputElement>(".timeline .seek")!;
    expect(bar.disabled).toBe(false);
    bar.value = "600";
    bar.dispatchEvent(new Event("input"));
    bar.dispatchEvent(new Event("change"));
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
    await tick(10);
    const sent = calls.filter((c) => c.cmd === "room_command").map((c) => (c.args as { command: unknown }).command);
    expect(sent).toEqual([{ kind: "seek", position: 600 }, { kind: "seek", position: 605 }, { kind: "play" }]);
  });

  it("is off for a guest in a host-only room", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "player_position") return { position: 10, duration: 60, paused: false };
      return null;
    });
    const view = renderRoom(room(false, "host_only"), () => {});
    document.body.replaceChildren(view.root);
    await tick(30);
    const bar = view.root.querySelector<HTMLInputElement>(".timeline .seek")!;
    expect(bar.disabled).toBe(true);
    expect(bar.title).toContain("Only the host");
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
    await tick(10);
    expect(calls).not.toContain("room_command");
  });
});
