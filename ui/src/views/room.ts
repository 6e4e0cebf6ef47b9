// The room: who is here, how in sync we are, controls and chat.

import { syncplayLine, syncplayServer } from "../syncplay";
import { api, errorText, type RoomCommand } from "../api";
import { el } from "../dom";
import { renderParticipants } from "../participants";
import { choiceDialog, confirmDialog } from "../confirm";
import { onReachability, reachLine } from "../reach";
import { indicator } from "../status";
import { formatTime } from "../time";
import { playingText, renderTracksCard } from "../tracks";
import type { Connection, Participant, RoomInfo, SessionEvent, SyncStatus } from "../types";

export interface RoomView {
  root: HTMLElement;
  handle(e: SessionEvent): void;
  /** A line in the room's log, from the app itself. */
  note(text: string): void;
  /** A file dropped on the window: a subtitle file is shared. */
  dropFile(path: string): void;
}

const SUBTITLE_FILE = /\.(srt|ass|ssa|vtt)$/i;

/** A reason as a sentence: capitalised, one full stop. */
export function sentence(reason: string): string {
  const text = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

export function renderRoom(
  room: RoomInfo,
  onLeave: (reason: string | null) => void,
  onRetry?: () => Promise<void>,
): RoomView {
  let participants: Participant[] = room.participants;
  let status: SyncStatus = "waiting";
  let connection: Connection = { state: "connected" };
  // When the next reconnect attempt is due (local clock), for a countdown
  // that ticks.
  let retryAt = 0;
  let localPaused = false;
  let drift: number | null = null;
  let paused = !room.playing;
  let controlMode = room.control_mode;
  let playerClosed = false;
  // A film under way has no ready check any more.
  let started = room.playing;

  const send = (cmd: RoomCommand) => api.command(cmd).catch((e) => addLine("error", errorText(e)));

  // Header: code, invite, hosting info.
  const copyBtn = (label: string, text: () => string) => {
    const b = el("button", { class: "secondary small", type: "button", text: label });
    b.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text());
        b.textContent = "Copied";
      } catch {
        b.textContent = "Copy failed";
      }
      setTimeout(() => (b.textContent = label), 1500);
    });
    return b;
  };
  // The invite grows when the router opens a port: copy the newest.
  let inviteLink = room.invite_link;
  let landingUrl = room.landing_url;
  const inviteText = el("code", { class: "invite-text", title: inviteLink, text: inviteLink });
  // Friends with Syncplay join by the same reachable address as the invite.
  const syncplayText = el("span", {});
  const syncplayInfo = el("span", { class: "muted small-text syncplay-line" }, syncplayText, copyBtn("Copy", () => syncplayText.textContent ?? ""));
  // The invite and its buttons share a row; the Syncplay line follows.
  const invite = el(
    "div",
    { class: "invite" },
    ...(room.host ? [inviteText] : []),
    copyBtn("Copy invite", () => inviteLink),
    ...(landingUrl ? [copyBtn("Copy web link", () => landingUrl ?? "")] : []),
    syncplayInfo,
  );
  const showSyncplay = () => {
    const server = syncplayServer(landingUrl ?? room.relay_url);
    syncplayInfo.hidden = server === null;
    syncplayText.textContent = server ? syncplayLine(server, room.code) : "";
  };
  showSyncplay();
  const hostingText = room.hosting_locally ? "Hosting on this computer · encrypted" : `Relay ${room.relay_url}`;
  const reach = reachLine();
  if (room.reachability) {
    reach.show(room.reachability);
    onReachability(
      (r) => {
        if (r.invite_link) {
          inviteLink = r.invite_link;
          inviteText.textContent = inviteLink;
          inviteText.title = inviteLink;
        }
        landingUrl = r.landing_url ?? landingUrl;
        showSyncplay();
      },
      () => reach.root.isConnected,
    );
  }
  const pill = el("div", { class: "status-pill", role: "status", "aria-live": "polite" });
  // Aligning this copy to the host's by sound: a line, and a switch.
  const alignText = el("span", { class: "align-text" });
  const alignBtn = el("button", { class: "ghost small", type: "button", text: "Turn off" });
  let alignOn = true;
  alignBtn.hidden = true;
  alignBtn.addEventListener("click", () => send({ kind: "set_alignment", on: !alignOn }));
  const alignLine = el("div", { class: "muted small-text align-line" }, alignText, alignBtn);
  alignLine.hidden = true;
  const header = el(
    "header",
    { class: "room-header" },
    el("div", {}, el("div", { class: "eyebrow", text: "Room" }), el("div", { class: "room-code", text: room.code, "aria-label": `Room code ${room.code.split("").join(" ")}` })),
    el(
      "div",
      { class: "room-meta" },
      el("div", { class: "media", text: room.media_name }),
      el(
        "div",
        { class: "muted small-text" },
        el("span", { text: `${hostingText} · ` }),
        el("span", {
          class: "sync-mode",
          text: room.controller === "syncplay" ? "Sync: Syncplay's classic thresholds" : "Sync: Matinee (tight)",
        }),
      ),
      alignLine,
      ...(room.reachability ? [reach.root] : []),
      invite,
    ),
    pill,
  );

  // Warnings about the media.
  // One line that opens to the details, so the chat stays on screen.
  const warnings = el("details", { class: "warning", role: "alert" });
  warnings.hidden = room.warnings.length === 0;
  if (room.warnings.length) {
    const n = room.warnings.length;
    warnings.append(
      el("summary", { text: `Your copy may differ from the room’s (${n} difference${n === 1 ? "" : "s"})` }),
      el("ul", {}, ...room.warnings.map((w) => el("li", { text: w.charAt(0).toUpperCase() + w.slice(1) }))),
    );
  }

  // Controls.
  const playBtn = el("button", { class: "primary", type: "button", text: "Play" });
  playBtn.addEventListener("click", () => send(paused ? { kind: "play" } : { kind: "pause" }));
  const readyBtn = el("button", { class: "secondary", type: "button", text: "I’m ready" });
  let ready = false;
  readyBtn.addEventListener("click", () => {
    ready = !ready;
    send({ kind: "ready", ready });
  });
  const startBtn = el("button", { class: "secondary", type: "button", text: "Start for everyone" });
  startBtn.addEventListener("click", () => {
    const all = participants.every((p) => p.ready || p.reconnecting);
    send({ kind: "start", force: !all });
  });
  const modeSelect = el("select", { "aria-label": "Who controls playback" });
  modeSelect.append(el("option", { value: "host_only", text: "Only the host controls" }), el("option", { value: "shared", text: "Everyone controls" }));
  modeSelect.addEventListener("change", () => send({ kind: "set_control_mode", mode: modeSelect.value as "host_only" | "shared" }));
  const reopenBtn = el("button", { class: "primary", type: "button", text: "Reopen player" });
  reopenBtn.addEventListener("click", () => send({ kind: "reopen_player" }));
  const leaveBtn = el("button", { class: "ghost danger", type: "button", text: "Leave room" });
  leaveBtn.addEventListener("click", async () => {
    // Friends watching through this computer lose the party if the host
    // just goes: ask whether to end it or hand it over.
    const friends = participants.filter((p) => p.id !== room.you && !p.reconnecting);
    if (room.hosting_locally && me()?.host && friends.length > 0) {
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
      if (choice === null) return;
      if (choice === "end") await send({ kind: "end_party" });
      if (choice === "hand" && heir) await send({ kind: "pass_host", to: heir.id });
    }
    await api.leave().catch(() => undefined);
    onLeave(null);
  });
  const controls = el("div", { class: "controls" }, playBtn, readyBtn, startBtn, modeSelect);

  // Time and seek bar: this computer's player, polled while the room shows.
  const timeNow = el("span", { class: "time", text: "–:––" });
  const timeTotal = el("span", { class: "time total", text: "–:––" });
  const seekBar = el("input", {
    type: "range",
    class: "seek",
    min: "0",
    max: "0",
    step: "0.1",
    value: "0",
    "aria-label": "Seek",
  });
  let dragging = false;
  seekBar.addEventListener("input", () => {
    dragging = true;
    timeNow.textContent = formatTime(Number(seekBar.value));
  });
  seekBar.addEventListener("change", () => {
    dragging = false;
    send({ kind: "seek", position: Number(seekBar.value) });
  });
  const timeline = el("div", { class: "timeline" }, timeNow, seekBar, timeTotal);
  // One row: the buttons, the seek bar, then Reopen and Leave.
  controls.append(timeline, reopenBtn, leaveBtn);
  let duration = 0;
  // After the room's playback changes, a few quick looks follow the
  // player until it lands; otherwise a still bar is looked at rarely.
  let pollTimer: number | undefined;
  let quickLooks = 0;
  const pollSoon = () => {
    quickLooks = 4;
    window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(poll, 50);
  };
  const poll = async () => {
    if (!root.isConnected) return;
    try {
      const p = await api.playerPosition();
      if (p.duration && p.duration > 0) {
        duration = p.duration;
        seekBar.max = String(duration);
        timeTotal.textContent = formatTime(duration);
      }
      localPaused = p.paused;
      if (!dragging && p.position !== null) {
        const value = String(p.position);
        if (seekBar.value !== value) seekBar.value = value;
        const shown = formatTime(p.position);
        if (timeNow.textContent !== shown) timeNow.textContent = shown;
      }
    } catch {
      // Not in a room any more: the view is about to go.
    }
    // A moving bar is looked at 4 times a second; a still one, or a
    // window nobody sees, every few seconds (an idle room costs next to
    // nothing): a change in the room's playback looks at once.
    let gap = document.hidden || localPaused ? 4000 : 250;
    if (quickLooks > 0) {
      quickLooks -= 1;
      gap = 250;
    }
    window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(poll, gap);
  };
  const mayControlNow = () => (me()?.host ?? false) || controlMode === "shared";
  // Keys, as in mpv: space plays or pauses, arrows jump 5 s.
  const onKey = (e: KeyboardEvent) => {
    if (!root.isConnected) {
      document.removeEventListener("keydown", onKey);
      return;
    }
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && (t as HTMLInputElement).type !== "range"))) return;
    if (!mayControlNow() || playerClosed || connection.state !== "connected") return;
    if (e.key === " ") {
      e.preventDefault();
      send(paused ? { kind: "play" } : { kind: "pause" });
    } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      const now = Number(seekBar.value);
      const to = Math.max(0, Math.min(duration || Infinity, now + (e.key === "ArrowLeft" ? -5 : 5)));
      send({ kind: "seek", position: to });
    }
  };
  document.addEventListener("keydown", onKey);

  // Participants.
  const peopleTitle = el("h2", { id: "people-title", text: "Watching" });
  const people = el("section", { class: "card people", "aria-labelledby": "people-title" }, peopleTitle);
  const peopleList = el("div");
  people.append(peopleList);

  // Subtitles and tracks.
  const shareSubtitle = (path: string) => send({ kind: "share_subtitle", path });
  const tracksCard = renderTracksCard(send, async () => {
    const path = await api.pickSubtitle().catch((e) => {
      addLine("error", errorText(e));
      return null;
    });
    if (path) shareSubtitle(path);
  });
  // What each member's player plays, for the list.
  const playing = new Map<number, string>();
  // Use / Ignore of each shared file, kept in step with the player: in
  // use (the subtitles shown), loaded (another is shown), or taken out.
  type SharedState = "in_use" | "loaded" | "ignored";
  const shared = new Map<number, { use: HTMLButtonElement; ignore: HTMLButtonElement; title: string; state: SharedState }>();
  function sharedLine(id: number, nickname: string, label: string, selected: boolean) {
    const line = addLine("notice", `${nickname} shared ${label}`);
    line.classList.add("shared-subtitle");
    const use = el("button", { class: "secondary small", type: "button", text: "Use" });
    const ignore = el("button", { class: "ghost small", type: "button", text: "Ignore" });
    use.addEventListener("click", () => send({ kind: "use_subtitle", id, used: true }));
    ignore.addEventListener("click", () => send({ kind: "use_subtitle", id, used: false }));
    line.append(el("span", { class: "line-actions" }, use, ignore));
    // The title it has in every player's track list.
    shared.set(id, { use, ignore, title: `${label} · from ${nickname}`, state: "loaded" });
    if (selected) markUsed(id, true);
    else setShared(id, "loaded");
  }
  function setShared(id: number, state: SharedState) {
    const f = shared.get(id);
    if (!f) return;
    f.state = state;
    f.use.textContent = state === "in_use" ? "In use" : "Use";
    f.use.disabled = state === "in_use";
    f.ignore.textContent = state === "ignored" ? "Ignored" : "Ignore";
    f.ignore.disabled = state === "ignored";
  }
  /** One file shows at a time: the one in use, the others are loaded. */
  function markUsed(id: number, used: boolean) {
    if (used) for (const [other, f] of shared) if (other !== id && f.state === "in_use") setShared(other, "loaded");
    setShared(id, used ? "in_use" : "ignored");
  }
  /** The player's own choice (its track list) says which file shows. */
  function followPlayer(tracks: { kind: string; title?: string; selected: boolean }[]) {
    const shown = tracks.find((t) => t.kind === "sub" && t.selected)?.title;
    for (const [id, f] of shared) {
      if (f.title === shown && f.state !== "in_use") setShared(id, "in_use");
      else if (f.title !== shown && f.state === "in_use") setShared(id, "loaded");
    }
  }

  // Chat.
  const log = el("ol", { class: "chat-log", "aria-live": "polite", "aria-label": "Chat and room events" });
  const chatInput = el("input", { placeholder: "Say something…", maxlength: "500", "aria-label": "Chat message" });
  const chatForm = el("form", { class: "chat-form" }, chatInput, el("button", { class: "secondary", type: "submit", text: "Send" }));
  // Chat typed while out of touch waits, marked, and goes when the
  // connection is back (the relay link drops what is sent meanwhile).
  const unsent: { text: string; line: HTMLElement }[] = [];
  chatForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    chatInput.value = "";
    if (connection.state === "connected") {
      send({ kind: "chat", text });
      return;
    }
    const line = addLine("chat", text, me()?.nickname ?? "You");
    line.classList.add("unsent");
    line.append(el("span", { class: "unsent-note", text: " · not sent yet: waiting for the connection" }));
    unsent.push({ text, line });
  });
  function flushUnsent() {
    for (const { text, line } of unsent.splice(0)) {
      line.remove();
      send({ kind: "chat", text });
    }
  }
  const chat = el("section", { class: "card chat", "aria-labelledby": "chat-title" }, el("h2", { id: "chat-title", text: "Chat" }), log, chatForm);
  function addLine(kind: "chat" | "notice" | "error", text: string, who?: string): HTMLElement {
    const li = el("li", { class: `line ${kind}` });
    const now = new Date();
    li.append(el("time", { class: "at", text: `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")} ` }));
    if (who) li.append(el("b", { class: "who-said", text: who }));
    // The text sits in its own column: a line break inside it cannot start
    // a line that looks like another speaker's.
    li.append(el("span", { class: "said", text }));
    log.append(li);
    while (log.children.length > 300) log.firstElementChild?.remove();
    log.scrollTop = log.scrollHeight;
    return li;
  }

  const me = () => participants.find((p) => p.id === room.you);
  // What the pill and the list show now, to leave them be when unchanged.
  let shownPill = "";
  let shownPeople = "";
  function refresh() {
    const shown: Connection =
      connection.state === "reconnecting" ? { ...connection, retry_in_ms: Math.max(0, retryAt - Date.now()) } : connection;
    const i = indicator(status, shown, drift, paused, localPaused);
    const away = connection.state !== "connected";
    people.classList.toggle("away", away);
    peopleTitle.textContent = away ? "Watching (out of touch: shown as away)" : "Watching";
    const pillKey = `${i.tone}\n${i.label}\n${i.detail}`;
    if (pillKey !== shownPill) {
      shownPill = pillKey;
      pill.className = `status-pill tone-${i.tone}`;
      pill.replaceChildren(el("span", { class: "dot" }), el("span", { class: "label", text: i.label }), el("span", { class: "detail", text: i.detail }));
    }
    const host = me()?.host ?? false;
    const mayControl = host || controlMode === "shared";
    playBtn.textContent = paused ? (status === "ended" ? "Watch again" : "Play") : "Pause";
    playBtn.disabled = !mayControl || playerClosed;
    playBtn.title = mayControl ? "" : "Only the host controls playback";
    const offline = connection.state !== "connected";
    seekBar.disabled = !mayControl || playerClosed || offline;
    if (offline) {
      playBtn.disabled = true;
      playBtn.title = "Out of touch with the room: controls come back with the connection";
    }
    seekBar.title = mayControl ? "Seek (← and → jump 5 s, space plays or pauses)" : "Only the host controls playback";
    // Ready and Start are for before the film: once it has started they go.
    if (!paused) started = true;
    readyBtn.hidden = started;
    startBtn.hidden = !host || started;
    const allReady = participants.every((p) => p.ready || p.reconnecting);
    startBtn.textContent = allReady ? "Start for everyone" : "Start anyway";
    startBtn.title = allReady
      ? "Everyone is ready: start the film for all at the same moment"
      : "Not everyone is ready: start for all at the same moment anyway";
    playBtn.title ||= "Play or pause for everyone (space)";
    readyBtn.title = "Tell the host you have your copy open and are ready to start";
    tracksCard.setMayPropose(mayControl);
    modeSelect.hidden = !host;
    modeSelect.value = controlMode;
    ready = me()?.ready ?? false;
    readyBtn.textContent = ready ? "Not ready after all" : "I’m ready";
    reopenBtn.hidden = !playerClosed;
    // The list is built again only when what it shows changed.
    const peopleKey = JSON.stringify([participants, paused, host, [...playing]]);
    if (peopleKey === shownPeople) return;
    shownPeople = peopleKey;
    peopleList.replaceChildren(
      renderParticipants(participants, room.you, {
        roomPaused: paused,
        canManage: host,
        onPassHost: (to) => send({ kind: "pass_host", to }),
        onStopWaiting: (participant) => send({ kind: "stop_waiting_for", participant }),
        tracks: playing,
        onKick: async (participant) => {
          const name = participants.find((p) => p.id === participant)?.nickname ?? "them";
          const sure = await confirmDialog(
            `Remove ${name} from the room?`,
            `${name} leaves the room at once and is told they were removed.`,
            "Remove",
          );
          if (sure) send({ kind: "kick", participant });
        },
      }),
    );
  }

  function handle(e: SessionEvent) {
    if (e.type === "playback" || e.type === "notice") pollSoon();
    switch (e.type) {
      case "participants":
        participants = e.participants;
        break;
      case "playback":
        paused = e.playback.paused;
        break;
      case "status":
        if (e.status === "ended" && status !== "ended" && !paused) {
          // Said as it is: the room's film is longer and runs on to its
          // end (then the room says the film has ended).
          const roomLength = participants.find((p) => p.host)?.media?.duration ?? null;
          addLine(
            "notice",
            roomLength !== null && roomLength > duration
              ? `Your copy ended at ${formatTime(duration)}; the room's film runs on to ${formatTime(roomLength)}.`
              : `Your copy ended at ${formatTime(duration)}; the room plays on.`,
          );
        }
        status = e.status;
        if (status !== "synced" && status !== "correcting") drift = null;
        break;
      case "drift":
        drift = e.drift_ms;
        break;
      case "connection":
        connection = e.connection;
        if (connection.state === "reconnecting") retryAt = Date.now() + connection.retry_in_ms;
        if (connection.state === "connected") flushUnsent();
        break;
      case "chat":
        addLine("chat", e.text, e.nickname);
        break;
      case "control_mode":
        controlMode = e.mode;
        break;
      case "notice":
        addLine("notice", e.text);
        break;
      case "refused":
        addLine("error", e.message);
        break;
      case "tracks":
        if (e.participant === room.you) {
          tracksCard.setMine(e.tracks, e.labels);
          followPlayer(e.tracks);
        }
        else playing.set(e.participant, playingText(e.tracks, e.labels));
        break;
      case "subtitle_shared":
        sharedLine(e.id, e.nickname, e.label, e.selected);
        tracksCard.open();
        break;
      case "subtitle_use":
        markUsed(e.id, e.used);
        break;
      case "alignment":
        // Copies matched by their sound are the same film: differences in
        // name, size or length no longer need a warning.
        warnings.hidden = room.warnings.length === 0 || e.state === "aligned";
        alignLine.hidden = false;
        alignLine.dataset.state = e.state;
        alignText.textContent = e.message;
        alignOn = e.state !== "off";
        alignBtn.hidden = !e.switchable;
        alignBtn.textContent = alignOn ? "Turn off" : "Turn on";
        alignBtn.title = alignOn
          ? "Sync positions as plain numbers instead of by the film's sound"
          : "Align your copy to the host's by its sound";
        break;
      case "track_proposal":
        tracksCard.open();
        addLine("notice", `${e.nickname} suggested ${e.description}. ${e.outcome.join(" ")}`);
        break;
      case "player_closed":
        playerClosed = true;
        addLine("error", "mpv was closed. Reopen it to get back in sync.");
        break;
      case "player_reopened":
        playerClosed = false;
        addLine("notice", "mpv is open again and joins the room where it is.");
        break;
      case "ended":
        showEnded(e.reason);
        return;
      default:
        break;
    }
    refresh();
  }

  const root = el(
    "main",
    { class: "room" },
    header,
    warnings,
    controls,
    // The list has the left column to itself (a host sees every friend);
    // subtitles and the chat share the right one.
    el("div", { class: "room-grid" }, el("div", { class: "room-side" }, people), el("div", { class: "room-side" }, tracksCard.root, chat)),
  );
  // The party is over (not by our choice): say why, offer to try again.
  function showEnded(reason: string) {
    const back = el("button", { class: "secondary", type: "button", text: "Back to the lobby" });
    back.addEventListener("click", () => onLeave(reason));
    const buttons: HTMLElement[] = [back];
    const problem = el("p", { class: "error", hidden: "" });
    if (onRetry) {
      const retry = el("button", { class: "primary", type: "button", text: "Try again" });
      retry.addEventListener("click", async () => {
        retry.disabled = true;
        retry.textContent = "Trying…";
        try {
          await onRetry();
        } catch (e) {
          problem.hidden = false;
          problem.textContent = errorText(e);
          retry.disabled = false;
          retry.textContent = "Try again";
        }
      });
      buttons.unshift(retry);
    }
    const panel = el(
      "section",
      { class: "card ended", role: "alert" },
      el("h2", { text: "The party ended" }),
      el("p", { text: sentence(reason) }),
      problem,
      el("div", { class: "actions" }, ...buttons),
    );
    controls.replaceWith(panel);
    timeline.remove();
    // The reason is in the panel; the indicator says it in two words.
    connection = { state: "offline", reason: "The party ended" };
    refresh();
  }

  refresh();
  pollTimer = window.setTimeout(poll, 0);
  // The reconnect countdown ticks.
  const ticker = setInterval(() => {
    if (!root.isConnected) clearInterval(ticker);
    else if (connection.state === "reconnecting") refresh();
  }, 1000);
  addLine("notice", room.host ? `Room ${room.code} is open. Copy the invite and send it to your friends.` : `You joined room ${room.code}.`);
  return {
    root,
    handle,
    note: (text: string) => addLine("notice", text),
    dropFile: (path: string) => {
      if (SUBTITLE_FILE.test(path)) shareSubtitle(path);
      else addLine("error", "Only subtitle files (.srt, .ass, .ssa, .vtt) can be shared with the room; to watch another film, leave the room first.");
    },
  };
}
