// The participant list, as DOM.

import { formatTime } from "./time";
import type { Participant } from "./types";

function badge(text: string, kind: string): HTMLElement {
  const b = document.createElement("span");
  b.className = `badge badge-${kind}`;
  b.textContent = text;
  return b;
}

export function formatRtt(rtt?: number): string {
  return rtt === undefined ? "–" : `${Math.round(rtt)} ms`;
}

/** Which way a member's connection reaches the room's relay, in words. */
export function formatLink(link?: Participant["link"]): string | null {
  switch (link) {
    case "direct":
      return "direct";
    case "peer_to_peer":
      return "peer-to-peer";
    case "relayed":
      return "relayed";
    default:
      return null;
  }
}

const LINK_TITLE: Record<string, string> = {
  direct: "connected straight to the room's relay",
  peer_to_peer: "connected peer-to-peer, straight between the two computers",
  relayed: "connected peer-to-peer through an iroh relay, which passes on encrypted packets",
};

export function formatDrift(d?: number): string {
  if (d === undefined) return "–";
  const sign = d >= 0 ? "+" : "−";
  return `${sign}${Math.abs(d).toFixed(0)} ms`;
}

/** A copy whose length differs from the host's by more than this differs. */
const COPY_TOLERANCE_S = 2.5;

export interface ParticipantActions {
  canManage: boolean;
  /** The room is paused (or ended): drift means nothing then. */
  roomPaused?: boolean;
  onPassHost(id: number): void;
  onKick(id: number): void;
  /** Play on without waiting while this participant buffers. */
  onStopWaiting?(id: number): void;
  /** What each member plays: "Audio: Japanese · Subtitles: English". */
  tracks?: Map<number, string>;
}

export function renderParticipants(list: Participant[], you: number, actions: ParticipantActions): HTMLElement {
  const ul = document.createElement("ul");
  ul.className = "participants";
  ul.setAttribute("aria-label", "Participants");
  const sorted = [...list].sort((a, b) => Number(b.host) - Number(a.host) || a.joined_ms - b.joined_ms);
  const roomLength = list.find((p) => p.host)?.media?.duration ?? null;
  for (const p of sorted) {
    const li = document.createElement("li");
    li.className = "participant";
    li.dataset.id = String(p.id);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = p.nickname + (p.id === you ? " (you)" : "");
    li.append(name);
    const badges = document.createElement("span");
    badges.className = "badges";
    if (p.host) badges.append(badge("Host", "host"));
    if (p.ready) badges.append(badge("Ready", "ready"));
    if (p.via) {
      // A friend who joined with another program (Syncplay): shown, with
      // its version, so the host knows why they lack Matinee's tools.
      const b = badge(`via ${p.via.split(" ")[0]}`, "via");
      b.title = `${p.nickname} joined with ${p.via}; their player follows the room within Syncplay's own tolerance`;
      badges.append(b);
    }
    if (p.catching_up) badges.append(badge("Catching up", "warn"));
    else if (p.buffering) badges.append(badge("Buffering", "warn"));
    if (p.reconnecting) badges.append(badge("Reconnecting", "warn"));
    if (p.player_closed) badges.append(badge("Player closed", "bad"));
    const length = p.media?.duration ?? null;
    if (!p.host && roomLength !== null && length !== null && Math.abs(length - roomLength) > COPY_TOLERANCE_S) {
      const b = badge(length < roomLength ? `Shorter copy (${formatTime(length)})` : `Longer copy (${formatTime(length)})`, "warn");
      b.title = `${p.nickname}’s copy is ${formatTime(length)} long; the host’s is ${formatTime(roomLength)}`;
      badges.append(b);
    }
    li.append(badges);
    const stats = document.createElement("span");
    stats.className = "stats";
    const drift = actions.roomPaused || p.player_closed ? undefined : p.drift_ms;
    // The host's own link (to the relay on this computer) says nothing.
    const link = p.id === you ? null : formatLink(p.link);
    stats.textContent = `RTT ${formatRtt(p.rtt_ms)}${link ? ` (${link})` : ""} · drift ${formatDrift(drift)}`;
    const playing = actions.tracks?.get(p.id);
    if (playing) stats.textContent += ` · ${playing}`;
    stats.title = p.link && link ? `${p.nickname} is ${LINK_TITLE[p.link]}. ${stats.textContent}` : stats.textContent;
    li.append(stats);
    // The host's tools sit on the name's line, after the badges: a row
    // a friend, so a host sees many at once.
    const manage = document.createElement("span");
    manage.className = "manage";
    if (actions.canManage && p.id !== you) {
      // A friend on Syncplay has no host tools to take the role with.
      if (!p.via) {
        const host = document.createElement("button");
        host.className = "ghost small";
        host.textContent = "Make host";
        host.addEventListener("click", () => actions.onPassHost(p.id));
        manage.append(host);
      }
      const kick = document.createElement("button");
      kick.className = "ghost small danger";
      kick.textContent = "Remove";
      kick.addEventListener("click", () => actions.onKick(p.id));
      manage.append(kick);
      if (p.buffering && !p.catching_up && actions.onStopWaiting) {
        const onStop = actions.onStopWaiting;
        const playOn = document.createElement("button");
        playOn.className = "ghost small";
        playOn.textContent = "Don’t wait";
        playOn.title = `Play on without waiting for ${p.nickname}; they catch up on their own`;
        playOn.addEventListener("click", () => onStop(p.id));
        manage.append(playOn);
      }
    }
    if (manage.childElementCount) badges.append(manage);
    ul.append(li);
  }
  return ul;
}
