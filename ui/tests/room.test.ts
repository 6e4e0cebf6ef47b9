import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { formatTime } from "../src/time";
import { renderRoom, sentence } from "../src/views/room";
import { roomInfo } from "./fixtures";

afterEach(() => clearMocks());

const room = roomInfo;

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

  it("follows the player as the session tells, asking only once", async () => {
    let asked = 0;
    mockIPC((cmd) => {
      if (cmd === "player_position") {
        asked += 1;
        return { position: 1, duration: 600, paused: false };
      }
      return null;
    });
    const view = renderRoom(room(true, "host_only"), () => {});
    document.body.replaceChildren(view.root);
    await tick(20);
    view.handle({ type: "position", position: 125.4, duration: 600, paused: false });
    const times = () => [...view.root.querySelectorAll(".timeline .time")].map((t) => t.textContent);
    expect(times()).toEqual(["2:05", "10:00"]);
    expect(view.root.querySelector<HTMLInputElement>(".timeline .seek")!.value).toBe("125.4");
    view.handle({ type: "position", position: 3723, duration: 7200, paused: true });
    expect(times()).toEqual(["1:02:03", "2:00:00"]);
    await tick(600);
    expect(asked).toBe(1);
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

describe("when the room is out of reach", () => {
  it("counts down, shows everyone as away, and ends with Try again", async () => {
    const chats: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "room_command") chats.push((args as { command: unknown }).command);
      return cmd === "player_position" ? { position: 12, duration: 60, paused: true } : null;
    });
    let retried = 0;
    let left: string | null | undefined;
    const view = renderRoom(room(false, "shared"), (r) => (left = r), async () => {
      retried += 1;
    });
    document.body.replaceChildren(view.root);
    await tick(30);
    view.handle({ type: "connection", connection: { state: "reconnecting", attempt: 3, retry_in_ms: 4000 } });
    const detail = () => view.root.querySelector(".status-pill .detail")!.textContent!;
    expect(detail()).toMatch(/^Paused here; retrying in 4\.0 s \(attempt 3\)$/);
    expect(view.root.querySelector(".people")!.classList.contains("away")).toBe(true);
    await tick(1100);
    expect(detail()).toMatch(/retrying in [23]\.\d s/);
    const play = view.root.querySelector<HTMLButtonElement>(".controls button.primary")!;
    expect(play.disabled).toBe(true);

    // Chat written meanwhile waits, marked, and goes once back.
    const input = view.root.querySelector<HTMLInputElement>(".chat-form input")!;
    input.value = "still there?";
    view.root.querySelector<HTMLFormElement>(".chat-form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(view.root.querySelector(".chat-log .unsent")!.textContent).toContain("not sent yet");
    view.handle({ type: "connection", connection: { state: "connected" } });
    expect(view.root.querySelector(".chat-log .unsent")).toBeNull();
    expect(play.disabled).toBe(false);
    view.handle({ type: "connection", connection: { state: "reconnecting", attempt: 4, retry_in_ms: 8000 } });

    view.handle({ type: "ended", reason: "the host's computer or the relay could not be reached for 45 s, so the party ended" });
    const panel = view.root.querySelector(".ended")!;
    expect(panel.textContent).toContain("The host's computer or the relay could not be reached");
    const [again, back] = [...panel.querySelectorAll("button")];
    expect(again.textContent).toBe("Try again");
    again.click();
    await tick(10);
    expect(retried).toBe(1);
    expect(chats).toContainEqual({ kind: "chat", text: "still there?" });
    back.click();
    expect(left).toContain("could not be reached");
  });
});

describe("removing someone", () => {
  it("asks first, and removes only on yes", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "room_command") sent.push((args as { command: unknown }).command);
      return cmd === "player_position" ? { position: 1, duration: 60, paused: true } : null;
    });
    const view = renderRoom(room(true, "host_only"), () => {});
    document.body.replaceChildren(view.root);
    const remove = () => [...view.root.querySelectorAll("button")].find((b) => b.textContent === "Remove")!;
    remove().click();
    let dialog = document.querySelector("dialog.confirm")!;
    expect(dialog.textContent).toContain("Remove Bo from the room?");
    [...dialog.querySelectorAll("button")].find((b) => b.textContent === "Cancel")!.click();
    await tick(10);
    expect(sent).toEqual([]);
    remove().click();
    dialog = document.querySelector("dialog.confirm")!;
    [...dialog.querySelectorAll("button")].find((b) => b.textContent === "Remove")!.click();
    await tick(10);
    expect(sent).toEqual([{ kind: "kick", participant: 2 }]);
  });
});

describe("leaving as host while friends watch through this computer", () => {
  const leaving = async (choice: string | null) => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return cmd === "player_position" ? { position: 1, duration: 60, paused: true } : null;
    });
    let left: string | null | undefined;
    const view = renderRoom(room(true, "host_only"), (reason) => (left = reason));
    document.body.replaceChildren(view.root);
    [...view.root.querySelectorAll("button")].find((b) => b.textContent === "Leave room")!.click();
    const dialog = document.querySelector("dialog.confirm")!;
    expect(dialog.textContent).toContain("Bo is still watching through your computer");
    const buttons = [...dialog.querySelectorAll("button")].map((b) => b.textContent);
    expect(buttons).toEqual(["Cancel", "Hand it over to Bo", "End the party"]);
    const pick = choice === null ? "Cancel" : choice;
    [...dialog.querySelectorAll("button")].find((b) => b.textContent === pick)!.click();
    await tick(20);
    const sent = calls.filter((c) => c.cmd === "room_command").map((c) => (c.args as { command: unknown }).command);
    return { sent, left: calls.some((c) => c.cmd === "leave_room"), view: left };
  };

  it("asks, and Cancel stays", async () => {
    const r = await leaving(null);
    expect(r.sent).toEqual([]);
    expect(r.left).toBe(false);
  });

  it("ends the party for everyone", async () => {
    const r = await leaving("End the party");
    expect(r.sent).toEqual([{ kind: "end_party" }]);
    expect(r.left).toBe(true);
    expect(r.view).toBeNull();
  });

  it("hands the host role over, then leaves", async () => {
    const r = await leaving("Hand it over to Bo");
    expect(r.sent).toEqual([{ kind: "pass_host", to: 2 }]);
    expect(r.left).toBe(true);
  });
});

describe("shared subtitle files", () => {
  it("show one file in use at a time, as the player shows it", () => {
    mockIPC((cmd) => (cmd === "player_position" ? { position: 1, duration: 60, paused: true } : null));
    const view = renderRoom(room(true, "shared"), () => {});
    document.body.replaceChildren(view.root);
    const states = () =>
      [...view.root.querySelectorAll(".shared-subtitle")].map((l) =>
        [...l.querySelectorAll("button")].map((b) => `${b.textContent}${b.disabled ? "!" : ""}`).join(","),
      );
    view.handle({ type: "subtitle_shared", id: 1, from: 2, nickname: "Bo", label: "English (SRT)", selected: true });
    view.handle({ type: "subtitle_shared", id: 2, from: 2, nickname: "Bo", label: "French (SRT)", selected: false });
    expect(states()).toEqual(["In use!,Ignore", "Use,Ignore"]);
    view.handle({ type: "subtitle_use", id: 2, used: true });
    expect(states()).toEqual(["Use,Ignore", "In use!,Ignore"]);
    // The person picks the English file in mpv itself.
    view.handle({
      type: "tracks",
      participant: 1,
      tracks: [{ kind: "sub", id: 1, title: "English (SRT) · from Bo", external: true, selected: true }],
      labels: {},
    } as never);
    expect(states()).toEqual(["In use!,Ignore", "Use,Ignore"]);
    view.handle({ type: "subtitle_use", id: 1, used: false });
    expect(states()).toEqual(["Use,Ignored!", "Use,Ignore"]);
  });
});

describe("reasons", () => {
  it("read as one sentence with one full stop", () => {
    expect(sentence("no room K7MQ2X: check the code, or the room may have ended.")).toBe(
      "No room K7MQ2X: check the code, or the room may have ended.",
    );
    expect(sentence("you ended the party")).toBe("You ended the party.");
  });
});

describe("joining a film under way", () => {
  it("shows Pause and no ready check", () => {
    mockIPC((cmd) => (cmd === "player_position" ? { position: 600, duration: 7200, paused: false } : null));
    const view = renderRoom({ ...room(false, "shared"), playing: true }, () => {});
    document.body.replaceChildren(view.root);
    const buttons = [...view.root.querySelectorAll<HTMLButtonElement>(".controls button")].filter((b) => !b.hidden);
    expect(buttons.map((b) => b.textContent)).toContain("Pause");
    expect(buttons.map((b) => b.textContent)).not.toContain("I’m ready");
  });
});

describe("a shorter copy", () => {
  it("says where this copy ended while the room plays on", async () => {
    mockIPC((cmd) => (cmd === "player_position" ? { position: 60, duration: 60, paused: true } : null));
    const view = renderRoom(room(false, "shared"), () => {});
    document.body.replaceChildren(view.root);
    await tick(30);
    view.handle({ type: "playback", playback: { position: 0, paused: false, speed: 1, anchor_ms: 0, epoch: 1, waiting_for_buffering: false } });
    view.handle({ type: "status", status: "ended" });
    expect(view.root.querySelector(".chat-log")!.textContent).toContain("Your copy ended at 1:00; the room plays on.");
    expect(view.root.querySelector(".status-pill .label")!.textContent).toBe("Your copy ended");
  });

  it("names the room's end when the host's copy is known to be longer", async () => {
    mockIPC((cmd) => (cmd === "player_position" ? { position: 180, duration: 180, paused: true } : null));
    const info = room(false, "shared");
    info.participants[0].media = { name: "film.mkv", duration: 184 };
    const view = renderRoom(info, () => {});
    document.body.replaceChildren(view.root);
    await tick(30);
    view.handle({ type: "playback", playback: { position: 0, paused: false, speed: 1, anchor_ms: 0, epoch: 1, waiting_for_buffering: false } });
    view.handle({ type: "status", status: "ended" });
    expect(view.root.querySelector(".chat-log")!.textContent).toContain("Your copy ended at 3:00; the room's film runs on to 3:04.");
  });
});

describe("chat", () => {
  it("keeps a line break inside the speaker's own text, so it cannot fake another speaker", async () => {
    mockIPC(() => null);
    const view = renderRoom(room(false, "shared"), () => {});
    document.body.replaceChildren(view.root);
    view.handle({ type: "chat", from: 1, nickname: "Ana", text: "see you\nBo: I'm leaving, bye" });
    const lines = [...view.root.querySelectorAll(".chat-log .line.chat")];
    expect(lines).toHaveLength(1);
    const speakers = [...lines[0].querySelectorAll("b")].map((b) => b.textContent);
    expect(speakers).toEqual(["Ana"]);
    const said = lines[0].querySelector(".said")!;
    expect(said.textContent).toBe("see you\nBo: I'm leaving, bye");
    // The text is one element in its own column, after the time and name.
    expect(lines[0].lastElementChild).toBe(said);
  });
});

describe("sync mode", () => {
  it("says which correction keeps this player in step", () => {
    mockIPC(() => null);
    const tight = renderRoom(room(false, "shared"), () => {});
    expect(tight.root.querySelector(".sync-mode")!.textContent).toBe("Sync: Matinee (tight)");
    const classic = renderRoom({ ...room(false, "shared"), controller: "syncplay" }, () => {});
    expect(classic.root.querySelector(".sync-mode")!.textContent).toBe("Sync: Syncplay's classic thresholds");
  });
});

describe("control mode", () => {
  it("follows the room's mode from its event, not from a notice's wording", () => {
    mockIPC(() => null);
    const view = renderRoom(room(false, "host_only"), () => {});
    document.body.replaceChildren(view.root);
    const play = () => view.root.querySelector<HTMLButtonElement>(".controls .primary")!;
    expect(play().disabled).toBe(true);
    // A notice alone (in any wording) changes nothing.
    view.handle({ type: "notice", event: "control_mode_changed", text: "Everyone can control playback now" });
    expect(play().disabled).toBe(true);
    view.handle({ type: "control_mode", mode: "shared" });
    expect(play().disabled).toBe(false);
    view.handle({ type: "control_mode", mode: "host_only" });
    expect(play().disabled).toBe(true);
  });
});

describe("friends on Syncplay", () => {
  it("are told the server (the invite's reachable address) and the room code", () => {
    mockIPC(() => null);
    const info = { ...room(true, "host_only"), landing_url: "http://203.0.113.7:7878/join/K7MQ2X?h=203.0.113.7:7878&fp=x" };
    const view = renderRoom(info, () => {});
    const line = view.root.querySelector<HTMLElement>(".syncplay-line")!;
    expect(line.hidden).toBe(false);
    expect(line.querySelector("span")!.textContent).toBe("Friends with Syncplay: server 203.0.113.7:7878, room K7MQ2X");
    expect(line.querySelector("button")!.textContent).toBe("Copy");
    // A guest on a standalone relay: its address.
    const guest = renderRoom({ ...room(false, "host_only"), relay_url: "wss://relay.example.org/ws" }, () => {});
    expect(guest.root.querySelector(".syncplay-line span")!.textContent).toBe("Friends with Syncplay: server relay.example.org:443, room K7MQ2X");
  });
});
