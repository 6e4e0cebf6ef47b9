import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { renderRoom } from "../src/views/room";
import { roomInfo } from "./fixtures";

afterEach(() => clearMocks());

const room = roomInfo(false, "shared");

describe("alignment by sound", () => {
  it("says where it stands, and turns off and on", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "room_command") sent.push((args as { command: unknown }).command);
      return null;
    });
    const view = renderRoom(room, () => {});
    const line = view.root.querySelector<HTMLElement>(".align-line")!;
    expect(line.hidden).toBe(true);
    view.handle({ type: "alignment", state: "measuring", message: "Listening…", switchable: false });
    expect(line.hidden).toBe(false);
    const button = line.querySelector("button")!;
    expect(button.hidden).toBe(true);
    view.handle({
      type: "alignment",
      state: "aligned",
      message: "Your copy starts 4.0 s later than Ana's — aligned.",
      switchable: true,
    });
    expect(line.textContent).toContain("4.0 s later");
    expect([button.hidden, button.textContent]).toEqual([false, "Turn off"]);
    button.click();
    view.handle({ type: "alignment", state: "off", message: "Alignment to Ana's copy is off.", switchable: true });
    expect(button.textContent).toBe("Turn on");
    button.click();
    await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual([
      { kind: "set_alignment", on: false },
      { kind: "set_alignment", on: true },
    ]);
    view.handle({
      type: "alignment",
      state: "no_match",
      message: "Could not match your copy's sound to Ana's",
      switchable: false,
    });
    expect([line.dataset.state, button.hidden]).toEqual(["no_match", true]);
  });
});
