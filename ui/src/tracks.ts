// The room's "Subtitles & audio" card: this player's own tracks to pick
// from, a subtitle file to share, and (for whoever may control playback)
// a proposal of the chosen tracks for everyone.

import { el } from "./dom";
import type { RoomCommand, SubtitleChoice, TrackChoice, TrackInfo, TrackProposal } from "./types";

export interface TracksCard {
  root: HTMLElement;
  /** This player's tracks and how to read each. */
  setMine(tracks: TrackInfo[], labels: string[]): void;
  /** Whether this member may propose (host, or anyone in shared mode). */
  setMayPropose(may: boolean): void;
  /** Opens the card (it starts folded, one line, to leave room for the list). */
  open(): void;
}

/** A track as a proposal names it: by language and title. */
export function choiceOf(t: TrackInfo): TrackChoice {
  return { lang: t.lang, title: t.title };
}

/** The proposal of these tracks (no `sub`: subtitles off), and of the
 * delay when one is set. */
export function proposalOf(audio: TrackInfo | undefined, sub: TrackInfo | undefined, delay: number): TrackProposal | null {
  const subtitles: SubtitleChoice = sub ? { kind: "track", ...choiceOf(sub) } : { kind: "off" };
  const p: TrackProposal = { subtitles };
  if (audio && (audio.lang || audio.title)) p.audio = choiceOf(audio);
  if (subtitles.kind === "track" && !subtitles.lang && !subtitles.title) delete p.subtitles;
  if (Number.isFinite(delay) && delay !== 0) p.sub_delay = Math.max(-600, Math.min(600, delay));
  return p.audio || p.subtitles || p.sub_delay !== undefined ? p : null;
}

/** "Audio: Japanese (aac) · Subtitles: off": what a member's player plays. */
export function playingText(tracks: TrackInfo[], labels: string[]): string {
  const label = (kind: "audio" | "sub") => {
    const i = tracks.findIndex((t) => t.kind === kind && t.selected);
    return i < 0 ? (kind === "sub" ? "off" : "none") : (labels[i] ?? `track ${tracks[i].id}`);
  };
  return `Audio: ${label("audio")} · Subtitles: ${label("sub")}`;
}

export function renderTracksCard(send: (cmd: RoomCommand) => void, share: () => void): TracksCard {
  let mine: TrackInfo[] = [];
  let mayPropose = false;
  const audio = el("select", { "aria-label": "Your audio track" });
  const subs = el("select", { "aria-label": "Your subtitles" });
  const delay = el("input", {
    type: "number",
    step: "0.1",
    min: "-600",
    max: "600",
    value: "0",
    class: "delay",
    "aria-label": "Subtitle delay for everyone, in seconds",
    title: "Subtitle delay for everyone (positive: later), in seconds",
  });
  const pick = (track: "audio" | "sub", select: HTMLSelectElement) => {
    select.addEventListener("change", () => {
      const id = select.value === "off" ? null : Number(select.value);
      send({ kind: "select_track", track, id });
    });
  };
  pick("audio", audio);
  pick("sub", subs);
  const shareBtn = el("button", { class: "secondary small", type: "button", text: "Share a subtitle file…" });
  shareBtn.title = "Send an .srt, .ass, .ssa or .vtt file (up to 2 MiB) to everyone in the room, or drop it on the window";
  shareBtn.addEventListener("click", share);
  const proposeBtn = el("button", { class: "primary small", type: "button", text: "Suggest to everyone" });
  // What the lists show now (the player's own list follows a moment later).
  const shown = (kind: "audio" | "sub", select: HTMLSelectElement) =>
    mine.find((t) => t.kind === kind && String(t.id) === select.value);
  proposeBtn.addEventListener("click", () => {
    const proposal = proposalOf(shown("audio", audio), shown("sub", subs), Number(delay.value));
    if (proposal) send({ kind: "propose_tracks", proposal });
  });
  const empty = el("p", { class: "muted small-text", text: "The player has not listed its tracks yet." });
  const row = (label: string, control: HTMLElement) =>
    el("label", { class: "track-row" }, el("span", { class: "track-label", text: label }), control);
  const delayRow = el("label", { class: "delay-row" }, el("span", { class: "track-label", text: "Delay" }), delay, el("span", { class: "muted", text: "s" }));
  const summaryText = el("span", { class: "muted small-text tracks-summary" });
  const root = el(
    "details",
    { class: "card tracks" },
    el("summary", {}, el("h2", { id: "tracks-title", text: "Subtitles & audio" }), summaryText),
    empty,
    row("Audio", audio),
    row("Subtitles", subs),
    el("div", { class: "actions" }, shareBtn, el("span", { class: "spacer" }), delayRow, proposeBtn),
  );

  function fill(select: HTMLSelectElement, kind: "audio" | "sub", labels: string[]) {
    const options: HTMLOptionElement[] = [];
    if (kind === "sub") options.push(el("option", { value: "off", text: "Off" }));
    mine.forEach((t, i) => {
      if (t.kind === kind) options.push(el("option", { value: String(t.id), text: labels[i] ?? `Track ${t.id}` }));
    });
    if (kind === "audio" && options.length === 0) options.push(el("option", { value: "off", text: "None" }));
    select.replaceChildren(...options);
    const chosen = mine.find((t) => t.kind === kind && t.selected);
    select.value = chosen ? String(chosen.id) : "off";
  }

  function refresh() {
    const listed = mine.length > 0;
    empty.hidden = listed;
    proposeBtn.hidden = !mayPropose;
    delayRow.hidden = !mayPropose;
    proposeBtn.disabled = !listed;
    proposeBtn.title = "Everyone's player picks its own best match for your audio and subtitles (and the delay, if set)";
  }

  refresh();
  return {
    root,
    setMine(tracks, labels) {
      mine = tracks;
      fill(audio, "audio", labels);
      fill(subs, "sub", labels);
      summaryText.textContent = playingText(mine, labels);
      refresh();
    },
    open() {
      root.open = true;
    },
    setMayPropose(may) {
      mayPropose = may;
      refresh();
    },
  };
}
