// The controls row: Play/Pause, the ready check, Start, who controls, the
// time and seek bar (this computer's player, as the session tells where it
// is), Reopen and Leave; and the keys, as in mpv.

import { api } from "../../api";
import type { RoomCommand } from "../../api";
import { choiceDialog } from "../../confirm";
import { el } from "../../dom";
import { formatTime } from "../../time";
import type { PlayerPosition, RoomInfo } from "../../types";
import { allReady, isHost, mayControl, me, type RoomState } from "./state";

export type Send = (cmd: RoomCommand) => Promise<unknown>;

export interface Controls {
  root: HTMLElement;
  /** The time and seek bar (gone when the party ends). */
  timeline: HTMLElement;
  update(s: RoomState): void;
  /** Where this computer's player is, as the session says. */
  position(p: PlayerPosition): void;
  /** The length of this copy, as the player last said (0 when unknown). */
  duration(): number;
}

interface Hooks {
  send: Send;
  state: () => RoomState;
  /** What this computer's player says: paused or not. */
  onLocalPaused: (paused: boolean) => void;
  onLeave: (reason: string | null) => void;
}

/** Leaving as the host of friends who watch through this computer: end
 * the party for them, or hand it over first. False when cancelled. */
async function askBeforeLeaving(room: RoomInfo, s: RoomState, send: Send): Promise<boolean> {
  const friends = s.participants.filter((p) => p.id !== room.you && !p.reconnecting);
  if (!room.hosting_locally || !isHost(s) || friends.length === 0) return true;
  const heir = friends.find((p) => !p.via);
  const names = friends.map((p) => p.nickname);
  const who = names.length === 1 ? `${names[0]} is` : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are`;
  const choices = [{ label: "End the party", value: "end", danger: true }];
  if (heir) choices.unshift({ label: `Hand it over to ${heir.nickname}`, value: "hand", danger: false });
  const choice = await choiceDialog(
    `${who} still watching through your computer`,
    heir
      ? `End the party for everyone, or make ${heir.nickname} the host and leave: the party then goes on through this computer while Matinee stays open.`
      : "Leaving ends the party for everyone.",
    choices,
  );
  if (choice === null) return false;
  if (choice === "end") await send({ kind: "end_party" });
  if (choice === "hand" && heir) await send({ kind: "pass_host", to: heir.id });
  return true;
}

/** The time, the seek bar and the length, as the session tells where the
 * player is (asked once at first). */
function renderTimeline(hooks: Hooks) {
  const timeNow = el("span", { class: "time", text: "–:––" });
  const timeTotal = el("span", { class: "time total", text: "–:––" });
  const seekBar = el("input", { type: "range", class: "seek", min: "0", max: "0", step: "0.1", value: "0", "aria-label": "Seek" });
  let dragging = false;
  seekBar.addEventListener("input", () => {
    dragging = true;
    timeNow.textContent = formatTime(Number(seekBar.value));
  });
  seekBar.addEventListener("change", () => {
    dragging = false;
    hooks.send({ kind: "seek", position: Number(seekBar.value) });
  });
  const root = el("div", { class: "timeline" }, timeNow, seekBar, timeTotal);
  let duration = 0;
  const show = (p: PlayerPosition) => {
    if (p.duration && p.duration > 0 && p.duration !== duration) {
      duration = p.duration;
      seekBar.max = String(duration);
      timeTotal.textContent = formatTime(duration);
    }
    hooks.onLocalPaused(p.paused);
    if (!dragging && p.position !== null) {
      const value = String(p.position);
      if (seekBar.value !== value) seekBar.value = value;
      const shown = formatTime(p.position);
      if (timeNow.textContent !== shown) timeNow.textContent = shown;
    }
  };
  // Where the player is now; from then on the session says when it moves.
  api
    .playerPosition()
    .then((p) => p && show(p))
    .catch(() => undefined);
  return { root, seekBar, duration: () => duration, show };
}

export function renderControls(room: RoomInfo, hooks: Hooks): Controls {
  const { send } = hooks;
  const playBtn = el("button", { class: "primary", type: "button", text: "Play" });
  playBtn.addEventListener("click", () => send(hooks.state().paused ? { kind: "play" } : { kind: "pause" }));
  const readyBtn = el("button", { class: "secondary", type: "button", text: "I’m ready" });
  readyBtn.title = "Tell the host you have your copy open and are ready to start";
  readyBtn.addEventListener("click", () => send({ kind: "ready", ready: !(me(hooks.state())?.ready ?? false) }));
  const startBtn = el("button", { class: "secondary", type: "button", text: "Start for everyone" });
  startBtn.addEventListener("click", () => send({ kind: "start", force: !allReady(hooks.state()) }));
  const modeSelect = el("select", { "aria-label": "Who controls playback" });
  modeSelect.append(el("option", { value: "host_only", text: "Only the host controls" }), el("option", { value: "shared", text: "Everyone controls" }));
  modeSelect.addEventListener("change", () => send({ kind: "set_control_mode", mode: modeSelect.value as "host_only" | "shared" }));
  const reopenBtn = el("button", { class: "primary", type: "button", text: "Reopen player" });
  reopenBtn.addEventListener("click", () => send({ kind: "reopen_player" }));
  const leaveBtn = el("button", { class: "ghost danger", type: "button", text: "Leave room" });
  leaveBtn.addEventListener("click", async () => {
    if (!(await askBeforeLeaving(room, hooks.state(), send))) return;
    await api.leave().catch(() => undefined);
    hooks.onLeave(null);
  });
  const timeline = renderTimeline(hooks);
  const { seekBar } = timeline;
  // One row: the buttons, the seek bar, then Reopen and Leave.
  const root = el("div", { class: "controls" }, playBtn, readyBtn, startBtn, modeSelect, timeline.root, reopenBtn, leaveBtn);

  // Keys, as in mpv: space plays or pauses, arrows jump 5 s.
  const onKey = (e: KeyboardEvent) => {
    if (!root.isConnected) {
      document.removeEventListener("keydown", onKey);
      return;
    }
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && (t as HTMLInputElement).type !== "range"))) return;
    const s = hooks.state();
    if (!mayControl(s) || s.playerClosed || s.connection.state !== "connected") return;
    if (e.key === " ") {
      e.preventDefault();
      send(s.paused ? { kind: "play" } : { kind: "pause" });
    } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      const now = Number(seekBar.value);
      const to = Math.max(0, Math.min(timeline.duration() || Infinity, now + (e.key === "ArrowLeft" ? -5 : 5)));
      send({ kind: "seek", position: to });
    }
  };
  document.addEventListener("keydown", onKey);

  return {
    root,
    timeline: timeline.root,
    position: timeline.show,
    duration: timeline.duration,
    update(s) {
      const host = isHost(s);
      const may = mayControl(s);
      const offline = s.connection.state !== "connected";
      playBtn.textContent = s.paused ? (s.status === "ended" ? "Watch again" : "Play") : "Pause";
      playBtn.disabled = !may || s.playerClosed || offline;
      playBtn.title = offline
        ? "Out of touch with the room: controls come back with the connection"
        : may
          ? "Play or pause for everyone (space)"
          : "Only the host controls playback";
      seekBar.disabled = !may || s.playerClosed || offline;
      seekBar.title = may ? "Seek (← and → jump 5 s, space plays or pauses)" : "Only the host controls playback";
      // Ready and Start are for before the film: once it has started they go.
      readyBtn.hidden = s.started;
      startBtn.hidden = !host || s.started;
      const ready = allReady(s);
      startBtn.textContent = ready ? "Start for everyone" : "Start anyway";
      startBtn.title = ready
        ? "Everyone is ready: start the film for all at the same moment"
        : "Not everyone is ready: start for all at the same moment anyway";
      modeSelect.hidden = !host;
      modeSelect.value = s.controlMode;
      readyBtn.textContent = me(s)?.ready ? "Not ready after all" : "I’m ready";
      reopenBtn.hidden = !s.playerClosed;
    },
  };
}
