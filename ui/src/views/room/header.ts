// The room's header: its code, what plays, where it is hosted, the invite
// (with the web link and the line for Syncplay friends), how reachable this
// computer is, the alignment line, and the sync indicator. Also the
// warnings about this copy, which follow it.

import { syncplayLine, syncplayServer } from "../../syncplay";
import type { RoomCommand } from "../../api";
import { el } from "../../dom";
import { onReachability, reachLine } from "../../reach";
import { indicator } from "../../status";
import type { RoomInfo, SessionEvent } from "../../types";
import { shownConnection, type RoomState } from "./state";

type AlignmentEvent = Extract<SessionEvent, { type: "alignment" }>;

export interface Header {
  root: HTMLElement;
  /** Redraws the indicator (only when what it says changed). */
  update(s: RoomState, now: number): void;
  alignment(e: AlignmentEvent): void;
}

/** A button that copies `text()` and says whether it did. */
function copyButton(label: string, text: () => string): HTMLButtonElement {
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
}

/** The invite and its buttons in a row, then the line for Syncplay friends. */
function renderInvite(room: RoomInfo): { root: HTMLElement; reach: HTMLElement | null } {
  // The invite grows when the router opens a port: copy the newest.
  let inviteLink = room.invite_link;
  let landingUrl = room.landing_url;
  const inviteText = el("code", { class: "invite-text", title: inviteLink, text: inviteLink });
  // Friends with Syncplay join by the same reachable address as the invite.
  const syncplayText = el("span", {});
  const syncplayInfo = el(
    "span",
    { class: "muted small-text syncplay-line" },
    syncplayText,
    copyButton("Copy", () => syncplayText.textContent ?? ""),
  );
  const root = el(
    "div",
    { class: "invite" },
    ...(room.host ? [inviteText] : []),
    copyButton("Copy invite", () => inviteLink),
    ...(landingUrl ? [copyButton("Copy web link", () => landingUrl ?? "")] : []),
    syncplayInfo,
  );
  const showSyncplay = () => {
    const server = syncplayServer(landingUrl ?? room.relay_url);
    syncplayInfo.hidden = server === null;
    syncplayText.textContent = server ? syncplayLine(server, room.code) : "";
  };
  showSyncplay();
  if (!room.reachability) return { root, reach: null };
  const reach = reachLine();
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
  return { root, reach: reach.root };
}

export function renderHeader(room: RoomInfo, send: (cmd: RoomCommand) => void): Header {
  const invite = renderInvite(room);
  const hostingText = room.hosting_locally ? "Hosting on this computer · encrypted" : `Relay ${room.relay_url}`;
  const pill = el("div", { class: "status-pill", role: "status", "aria-live": "polite" });
  // Aligning this copy to the host's by sound: a line, and a switch.
  const alignText = el("span", { class: "align-text" });
  const alignBtn = el("button", { class: "ghost small", type: "button", text: "Turn off" });
  let alignOn = true;
  alignBtn.hidden = true;
  alignBtn.addEventListener("click", () => send({ kind: "set_alignment", on: !alignOn }));
  const alignLine = el("div", { class: "muted small-text align-line" }, alignText, alignBtn);
  alignLine.hidden = true;
  const root = el(
    "header",
    { class: "room-header" },
    el(
      "div",
      {},
      el("div", { class: "eyebrow", text: "Room" }),
      el("div", { class: "room-code", text: room.code, "aria-label": `Room code ${room.code.split("").join(" ")}` }),
    ),
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
      ...(invite.reach ? [invite.reach] : []),
      invite.root,
    ),
    pill,
  );
  let shownPill = "";
  return {
    root,
    update(s, now) {
      const i = indicator(s.status, shownConnection(s, now), s.drift, s.paused, s.localPaused);
      const key = `${i.tone}\n${i.label}\n${i.detail}`;
      if (key === shownPill) return;
      shownPill = key;
      pill.className = `status-pill tone-${i.tone}`;
      pill.replaceChildren(
        el("span", { class: "dot" }),
        el("span", { class: "label", text: i.label }),
        el("span", { class: "detail", text: i.detail }),
      );
    },
    alignment(e) {
      alignLine.hidden = false;
      alignLine.dataset.state = e.state;
      alignText.textContent = e.message;
      alignOn = e.state !== "off";
      alignBtn.hidden = !e.switchable;
      alignBtn.textContent = alignOn ? "Turn off" : "Turn on";
      alignBtn.title = alignOn
        ? "Sync positions as plain numbers instead of by the film's sound"
        : "Align your copy to the host's by its sound";
    },
  };
}

/** What differs between this copy and the room's: one line that opens to
 * the details, so the chat stays on screen. */
export function renderWarnings(room: RoomInfo): { root: HTMLElement; alignment(e: AlignmentEvent): void } {
  const root = el("details", { class: "warning", role: "alert" });
  root.hidden = room.warnings.length === 0;
  if (room.warnings.length) {
    const n = room.warnings.length;
    root.append(
      el("summary", { text: `Your copy may differ from the room’s (${n} difference${n === 1 ? "" : "s"})` }),
      el("ul", {}, ...room.warnings.map((w) => el("li", { text: w.charAt(0).toUpperCase() + w.slice(1) }))),
    );
  }
  return {
    root,
    // Copies matched by their sound are the same film: differences in
    // name, size or length no longer need a warning.
    alignment: (e) => (root.hidden = room.warnings.length === 0 || e.state === "aligned"),
  };
}
