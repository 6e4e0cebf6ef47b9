import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { QueueEntry, QueueState } from "../src/types";
import { renderRoom } from "../src/views/room";
import { countdownText } from "../src/views/room/queue";
import { roomInfo } from "./fixtures";

afterEach(() => clearMocks());

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function entry(id: number, title: string, without: number[] = []): QueueEntry {
  return { id, title, media: { name: `${title}.mkv` }, added_by: "Ana", without };
}

/** A room (seen by Ana the host, or by Bo) with three episodes, the first on. */
function withQueue(host: boolean, queue: QueueState, copies: Record<number, string>, onJellyfin?: () => void) {
  const sent: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "room_command") sent.push((args as { command: unknown }).command);
    if (cmd === "player_position") return { position: 0, duration: 600, paused: true };
    if (cmd === "pick_films") return ["/films/Show.S01E04.mkv", "/films/Show.S01E05.mkv"];
    if (cmd === "pick_file") return "/elsewhere/my copy.mkv";
    return null;
  });
  const view = renderRoom({ ...roomInfo(host, "host_only"), queue, own_copies: copies }, () => {}, undefined, onJellyfin);
  document.body.replaceChildren(view.root);
  return { view, sent };
}

const three: QueueState = {
  entries: [entry(1, "The Show · S01E01"), entry(2, "The Show · S01E02", [2]), entry(3, "The Show · S01E03")],
  current: 1,
};

describe("the queue card", () => {
  it("lists the entries, the one on now, and who has no copy", () => {
    const { view } = withQueue(true, three, { 1: "a.mkv", 2: "b.mkv", 3: "c.mkv" });
    const rows = [...view.root.querySelectorAll(".queue-entry")];
    expect(rows.map((r) => r.querySelector(".queue-title")!.textContent)).toEqual([
      "The Show · S01E01",
      "The Show · S01E02",
      "The Show · S01E03",
    ]);
    expect(rows[0].classList.contains("current")).toBe(true);
    expect(rows[0].querySelector(".queue-place")!.textContent).toBe("▶");
    expect(rows[1].textContent).toContain("Bo has no copy");
    expect(rows[2].textContent).toContain("Your copy: c.mkv");
    expect(view.root.querySelector(".card.queue .queue-count")!.textContent).toBe("3 · now The Show · S01E01");
  });

  it("lets the host add, start, take out and reorder entries", async () => {
    const { view, sent } = withQueue(true, three, { 1: "a.mkv", 2: "b.mkv", 3: "c.mkv" });
    const buttons = (text: string) =>
      [...view.root.querySelectorAll<HTMLButtonElement>(".card.queue button")].filter((b) => b.textContent === text);
    buttons("Add films or episodes…")[0].click();
    await tick(10);
    buttons("Play now")[1].click();
    view.root.querySelectorAll<HTMLButtonElement>(".queue-entry")[1].querySelector<HTMLButtonElement>("button[aria-label]")!.click();
    // Drag the third onto the second place.
    const rows = view.root.querySelectorAll<HTMLLIElement>(".queue-entry");
    rows[2].dispatchEvent(new Event("dragstart"));
    rows[1].dispatchEvent(new Event("drop"));
    await tick(10);
    expect(sent).toEqual([
      { kind: "queue_add", paths: ["/films/Show.S01E04.mkv", "/films/Show.S01E05.mkv"], play: false },
      { kind: "queue_play", id: 3 },
      { kind: "queue_remove", id: 2 },
      { kind: "queue_move", id: 3, to: 1 },
    ]);
  });

  it("opens the Jellyfin library from the queue for whoever may add", () => {
    let opened = 0;
    const jf = (host: boolean) => {
      const { view } = withQueue(host, three, {}, () => opened++);
      return [...view.root.querySelectorAll<HTMLButtonElement>(".card.queue .actions button")].find((b) => b.textContent === "From Jellyfin…")!;
    };
    jf(true).click();
    expect(opened).toBe(1);
    expect(jf(false).hidden).toBe(true);
  });

  it("shows a friend the queue without the host's buttons, and lets them pick a copy", async () => {
    const { view, sent } = withQueue(false, three, { 1: "a.mkv", 3: "c.mkv" }, () => {});
    const texts = [...view.root.querySelectorAll(".card.queue button")].map((b) => b.textContent);
    expect(texts).not.toContain("Play now");
    for (const b of view.root.querySelectorAll<HTMLButtonElement>(".card.queue .actions button")) expect(b.hidden).toBe(true);
    const second = view.root.querySelectorAll(".queue-entry")[1];
    expect(second.textContent).toContain("You have no copy");
    second.querySelector<HTMLButtonElement>("button")!.click();
    await tick(10);
    expect(sent).toEqual([{ kind: "choose_copy", id: 2, path: "/elsewhere/my copy.mkv" }]);
  });

  it("counts down to the next entry with Start now and Wait", () => {
    const { view, sent } = withQueue(true, { ...three, next_at_ms: Date.now() + 8_500 }, {});
    const banner = view.root.querySelector<HTMLElement>(".queue-next")!;
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain("Next: The Show · S01E02 in 9 s");
    const [now, wait] = [...banner.querySelectorAll("button")];
    now.click();
    wait.click();
    expect(sent).toEqual([{ kind: "queue_play", id: 2 }, { kind: "queue_wait" }]);
    view.handle({ type: "queue", queue: three });
    expect(banner.hidden).toBe(true);
    expect(countdownText("X", 10_000, 9_001)).toBe("Next: X in 1 s");
    expect(countdownText("X", 10_000, 12_000)).toBe("Next: X in 0 s");
  });
});
