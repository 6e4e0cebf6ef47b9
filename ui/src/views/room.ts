// The room: who is here, how in sync we are, controls and chat. The state
// is a pure function of the session's events (room/state.ts); each part of
// the page is a sub-view in room/ that redraws from it; this file wires
// them and says in the log what events mean.

import { api, errorText, type RoomCommand } from "../api";
import { formatTime } from "../time";
import { el } from "../dom";
import { renderTracksCard } from "../tracks";
import type { RoomInfo, SessionEvent } from "../types";
import { renderChat, type Chat } from "./room/chat";
import { renderControls, type Controls } from "./room/controls";
import { renderEnded } from "./room/ended";
import { renderHeader, renderWarnings, type Header } from "./room/header";
import { renderPeople } from "./room/people";
import { renderQueue } from "./room/queue";
import { sharedFiles } from "./room/shared-files";
import { initialRoomState, me, mayControl, reduceRoom, type RoomState } from "./room/state";

export { sentence } from "./room/ended";

export interface RoomView {
  root: HTMLElement;
  handle(e: SessionEvent): void;
  /** A line in the room's log, from the app itself. */
  note(text: string): void;
  /** A file dropped on the window: a subtitle file is shared. */
  dropFile(path: string): void;
}

const SUBTITLE_FILE = /\.(srt|ass|ssa|vtt)$/i;

/** The room view's parts, for what an event does beside the state. */
interface RoomParts {
  room: RoomInfo;
  chat: Chat;
  files: ReturnType<typeof sharedFiles>;
  tracksCard: ReturnType<typeof renderTracksCard>;
  header: Header;
  warnings: ReturnType<typeof renderWarnings>;
  controls: Controls;
  onLeave: (reason: string | null) => void;
  onRetry?: () => Promise<void>;
}

/** What an event says in the log and does beside the state. */
function tell(e: SessionEvent, before: RoomState, parts: RoomParts) {
  const { room, chat, files, tracksCard, header, warnings, controls, onLeave, onRetry } = parts;
  switch (e.type) {
    case "status":
      if (e.status === "ended" && before.status !== "ended" && !before.paused) {
        // Said as it is: the room's film is longer and runs on to its end
        // (then the room says the film has ended).
        const duration = controls.duration();
        const roomLength = before.participants.find((p) => p.host)?.media?.duration ?? null;
        chat.addLine(
          "notice",
          roomLength !== null && roomLength > duration
            ? `Your copy ended at ${formatTime(duration)}; the room's film runs on to ${formatTime(roomLength)}.`
            : `Your copy ended at ${formatTime(duration)}; the room plays on.`,
        );
      }
      break;
    case "connection":
      if (e.connection.state === "connected") chat.flushUnsent();
      break;
    case "chat":
      chat.addLine("chat", e.text, e.nickname);
      break;
    case "notice":
      chat.addLine("notice", e.text);
      break;
    case "refused":
      chat.addLine("error", e.message);
      break;
    case "tracks":
      if (e.participant === room.you) {
        tracksCard.setMine(e.tracks, e.labels);
        files.followPlayer(e.tracks);
      }
      break;
    case "subtitle_shared":
      files.add(e.id, e.nickname, e.label, e.selected);
      tracksCard.open();
      break;
    case "subtitle_use":
      files.markUsed(e.id, e.used);
      break;
    case "alignment":
      warnings.alignment(e);
      header.alignment(e);
      break;
    case "track_proposal":
      tracksCard.open();
      chat.addLine("notice", `${e.nickname} suggested ${e.description}. ${e.outcome.join(" ")}`);
      break;
    case "player_closed":
      chat.addLine("error", "mpv was closed. Reopen it to get back in sync.");
      break;
    case "player_reopened":
      chat.addLine("notice", "mpv is open again and joins the room where it is.");
      break;
    case "ended":
      controls.root.replaceWith(renderEnded(e.reason, onLeave, onRetry));
      controls.timeline.remove();
      break;
    default:
      break;
  }
}

export function renderRoom(
  room: RoomInfo,
  onLeave: (reason: string | null) => void,
  onRetry?: () => Promise<void>,
  /** The queue's "From Jellyfin…": the library, to add from it. */
  onBrowseJellyfin?: () => void,
): RoomView {
  let state: RoomState = initialRoomState(room);
  const send = (cmd: RoomCommand) => api.command(cmd).catch((e) => chat.addLine("error", errorText(e)));

  const chat = renderChat(send, () => ({ connected: state.connection.state === "connected", myName: me(state)?.nickname ?? "You" }));
  const header = renderHeader(room, send);
  const warnings = renderWarnings(room);
  const controls = renderControls(room, {
    send,
    state: () => state,
    onLocalPaused: (localPaused) => (state = { ...state, localPaused }),
    onLeave,
  });
  const people = renderPeople(send);
  const queue = renderQueue(send, (text) => chat.addLine("error", text), onBrowseJellyfin);
  const files = sharedFiles(send, chat.addLine);
  const shareSubtitle = (path: string) => send({ kind: "share_subtitle", path });
  const tracksCard = renderTracksCard(send, async () => {
    const path = await api.pickSubtitle().catch((e) => {
      chat.addLine("error", errorText(e));
      return null;
    });
    if (path) shareSubtitle(path);
  });

  const parts: RoomParts = { room, chat, files, tracksCard, header, warnings, controls, onLeave, onRetry };

  function refresh() {
    const now = Date.now();
    header.update(state, now);
    controls.update(state);
    people.update(state);
    queue.update(state);
    tracksCard.setMayPropose(mayControl(state));
  }

  function handle(e: SessionEvent) {
    if (e.type === "position") return controls.position(e);
    const before = state;
    state = reduceRoom(state, e, Date.now());
    tell(e, before, parts);
    refresh();
  }

  const root = el(
    "main",
    { class: "room" },
    header.root,
    warnings.root,
    controls.root,
    // The list has the left column to itself (a host sees every friend);
    // the queue, subtitles and the chat share the right one.
    el("div", { class: "room-grid" }, el("div", { class: "room-side" }, people.root), el("div", { class: "room-side" }, queue.root, tracksCard.root, chat.root)),
  );
  refresh();
  // The reconnect countdown ticks.
  const ticker = setInterval(() => {
    if (!root.isConnected) clearInterval(ticker);
    else if (state.connection.state === "reconnecting") refresh();
    else queue.tick();
  }, 1000);
  chat.addLine("notice", room.host ? `Room ${room.code} is open. Copy the invite and send it to your friends.` : `You joined room ${room.code}.`);
  return {
    root,
    handle,
    note: (text: string) => chat.addLine("notice", text),
    dropFile: (path: string) => {
      if (SUBTITLE_FILE.test(path)) shareSubtitle(path);
      else chat.addLine("error", "Only subtitle files (.srt, .ass, .ssa, .vtt) can be shared with the room; to watch another film, leave the room first.");
    },
  };
}
