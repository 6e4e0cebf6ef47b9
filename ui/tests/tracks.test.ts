import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { proposalOf } from "../src/tracks";
import { renderRoom } from "../src/views/room";
import { roomInfo } from "./fixtures";
import type { TrackInfo } from "../src/types";

afterEach(() => clearMocks());

const room = roomInfo;

const tracks: TrackInfo[] = [
  { kind: "audio", id: 1, lang: "eng", codec: "aac", external: false, selected: false },
  { kind: "audio", id: 2, lang: "jpn", codec: "aac", external: false, selected: true },
  { kind: "sub", id: 1, lang: "eng", title: "Full", codec: "subrip", external: false, selected: true },
];
const labels = ["English (aac)", "Japanese (aac)", "English · Full (subrip)"];
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sentCommands(calls: { cmd: string; args: unknown }[]) {
  return calls.filter((c) => c.cmd === "room_command").map((c) => (c.args as { command: unknown }).command);
}

describe("subtitles and tracks", () => {
  it("proposes the selected tracks by language and title, and the delay when set", () => {
    expect(proposalOf(tracks[1], tracks[2], 0)).toEqual({
      audio: { lang: "jpn", title: undefined },
      subtitles: { kind: "track", lang: "eng", title: "Full" },
    });
    expect(proposalOf(tracks[1], undefined, -0.5)).toEqual({
      audio: { lang: "jpn", title: undefined },
      subtitles: { kind: "off" },
      sub_delay: -0.5,
    });
  });

  it("lists this player's tracks, picks one, and lets the host suggest them to everyone", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "player_position") return { position: 1, duration: 60, paused: true };
      return null;
    });
    const view = renderRoom(room(true, "host_only"), () => {});
    document.body.replaceChildren(view.root);
    const card = view.root.querySelector<HTMLDetailsElement>("details.card.tracks")!;
    expect(card.textContent).toContain("has not listed its tracks yet");
    expect(card.open).toBe(false);
    view.handle({ type: "tracks", participant: 1, tracks, labels });
    expect(card.querySelector("summary")!.textContent).toBe(
      "Subtitles & audioAudio: Japanese (aac) · Subtitles: English · Full (subrip)",
    );
    const [audio, subs] = [...card.querySelectorAll("select")];
    expect([...audio.options].map((o) => o.text)).toEqual(["English (aac)", "Japanese (aac)"]);
    expect(audio.value).toBe("2");
    expect([...subs.options].map((o) => o.text)).toEqual(["Off", "English · Full (subrip)"]);
    subs.value = "off";
    subs.dispatchEvent(new Event("change"));
    const suggest = [...card.querySelectorAll("button")].find((b) => b.textContent === "Suggest to everyone")!;
    expect(suggest.hidden).toBe(false);
    suggest.click();
    await tick(10);
    expect(sentCommands(calls)).toEqual([
      { kind: "select_track", track: "sub", id: null },
      { kind: "propose_tracks", proposal: { audio: { lang: "jpn" }, subtitles: { kind: "off" } } },
    ]);
  });

  it("hides the suggestion from a guest in a host-only room", () => {
    mockIPC(() => null);
    const view = renderRoom(room(false, "host_only"), () => {});
    view.handle({ type: "tracks", participant: 2, tracks, labels });
    const suggest = [...view.root.querySelectorAll<HTMLButtonElement>(".card.tracks button")].find(
      (b) => b.textContent === "Suggest to everyone",
    )!;
    expect(suggest.hidden).toBe(true);
    // Someone else's tracks do not fill this player's lists; the list
    // says what they play.
    view.handle({ type: "tracks", participant: 1, tracks: tracks.slice(0, 2), labels: labels.slice(0, 2) });
    expect(view.root.querySelectorAll(".card.tracks option").length).toBe(4);
    view.handle({ type: "participants", participants: roomInfo(false, "host_only").participants });
    const ana = view.root.querySelector('.participant[data-id="1"] .stats')!;
    expect(ana.textContent).toContain("Audio: Japanese (aac) · Subtitles: off");
  });

  it("shows a shared file with Use and Ignore, shares a dropped subtitle file, refuses a dropped film", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return null;
    });
    const view = renderRoom(room(false, "shared"), () => {});
    view.handle({ type: "subtitle_shared", id: 3, from: 1, nickname: "Ana", label: "English (SRT)", selected: true });
    const line = view.root.querySelector<HTMLElement>(".line.shared-subtitle")!;
    expect(view.root.querySelector<HTMLDetailsElement>("details.card.tracks")!.open).toBe(true);
    expect(line.querySelector(".said")!.textContent).toBe("Ana shared English (SRT)");
    const [use, ignore] = [...line.querySelectorAll("button")];
    expect([use.textContent, use.disabled, ignore.textContent]).toEqual(["In use", true, "Ignore"]);
    ignore.click();
    view.handle({ type: "subtitle_use", id: 3, used: false });
    expect([use.textContent, use.disabled, ignore.disabled]).toEqual(["Use", false, true]);
    view.dropFile("/home/bo/film.fr.srt");
    view.dropFile("/home/bo/other film.mkv");
    await tick(10);
    expect(sentCommands(calls)).toEqual([
      { kind: "use_subtitle", id: 3, used: false },
      { kind: "share_subtitle", path: "/home/bo/film.fr.srt" },
    ]);
    expect(view.root.querySelector(".chat-log")!.textContent).toContain("Only subtitle files");
    view.handle({
      type: "track_proposal",
      nickname: "Ana",
      proposal: { audio: { lang: "ja" } },
      description: "audio: Japanese",
      outcome: ["Your copy has no Japanese audio; yours stays as it is."],
    });
    expect(view.root.querySelector(".chat-log")!.textContent).toContain(
      "Ana suggested audio: Japanese. Your copy has no Japanese audio",
    );
  });
});
