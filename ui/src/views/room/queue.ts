// Series night: the room's queue. Everyone sees the entries, which one is
// on, whose copy is missing and whether this member has one ("Choose a
// file…" picks it by hand). Whoever may control playback adds films or
// episodes, drags entries into another order, takes them out and starts
// one now; when an entry ends, the card counts down to the next with
// Start now and Wait.

import { api, errorText, type RoomCommand } from "../../api";
import { el } from "../../dom";
import type { QueueEntry } from "../../types";
import { mayControl, type RoomState } from "./state";

type Send = (cmd: RoomCommand) => unknown;

/** Who sits an entry out, by name ("Bo", "Bo and Cy"). */
function names(ids: number[], s: RoomState): string {
  const list = ids.map((id) => s.participants.find((p) => p.id === id)?.nickname).filter((n): n is string => !!n);
  return list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

/** The countdown's words: "Next: … in 8 s". */
export function countdownText(title: string, nextAtMs: number, serverNowMs: number): string {
  const secs = Math.max(0, Math.ceil((nextAtMs - serverNowMs) / 1000));
  return `Next: ${title} in ${secs} s`;
}

export function renderQueue(send: Send, onError: (text: string) => void, onJellyfin?: () => void) {
  const count = el("span", { class: "muted small-text queue-count" });
  const addBtn = el("button", { class: "secondary small", type: "button", text: "Add films or episodes…" });
  addBtn.title = "Pick files on this computer; each friend's own copy is found in the folders they chose in Settings";
  const jfBtn = el("button", { class: "secondary small jf-button", type: "button", text: "From Jellyfin…" });
  jfBtn.title = "An episode, a season or a whole series from your Jellyfin server; each friend's copy is found on theirs";
  jfBtn.hidden = !onJellyfin;
  if (onJellyfin) jfBtn.addEventListener("click", onJellyfin);
  const banner = el("div", { class: "queue-next", role: "status", hidden: "" });
  const list = el("ol", { class: "queue-list" });
  const empty = el("p", {
    class: "muted small-text",
    text: "Nothing queued. Add the episodes of the evening: each friend plays them from their own copies, one after another.",
  });
  const root = el(
    "details",
    { class: "card queue" },
    el("summary", {}, el("h2", { id: "queue-title", text: "Queue" }), count),
    banner,
    empty,
    list,
    el("div", { class: "actions" }, addBtn, jfBtn),
  );
  addBtn.addEventListener("click", async () => {
    try {
      const paths = await api.pickFilms();
      if (paths.length > 0) await send({ kind: "queue_add", paths, play: false });
    } catch (e) {
      onError(errorText(e));
    }
  });

  let last: RoomState | null = null;
  let shownKey = "";
  let dragged: number | null = null;

  function row(entry: QueueEntry, place: number, s: RoomState, may: boolean): HTMLLIElement {
    const current = s.queue.current === entry.id;
    const mine = s.ownCopies[entry.id];
    const without = entry.without.filter((id) => id !== s.you);
    const title = el("span", { class: "queue-title", text: entry.title });
    const meta = el("span", { class: "muted small-text queue-meta" });
    meta.append(`Added by ${entry.added_by} · `);
    if (mine) meta.append(el("span", { class: "queue-copy", text: `Your copy: ${mine}` }));
    else meta.append(el("span", { class: "queue-missing", text: "You have no copy" }));
    if (without.length > 0) meta.append(el("span", { class: "queue-missing", text: ` · ${names(without, s)} ${without.length === 1 ? "has" : "have"} no copy` }));
    meta.title = meta.textContent ?? "";
    const actions = el("span", { class: "queue-actions" });
    if (!mine) {
      const choose = el("button", { class: "ghost small", type: "button", text: "Choose a file…" });
      choose.title = "Pick your copy of this entry by hand";
      choose.addEventListener("click", async () => {
        const path = await api.pickFile().catch((e) => {
          onError(errorText(e));
          return null;
        });
        if (path) send({ kind: "choose_copy", id: entry.id, path });
      });
      actions.append(choose);
    }
    if (may && !current) {
      const play = el("button", { class: "secondary small", type: "button", text: "Play now" });
      play.title = "Everyone goes to this entry now; it starts when all with a copy are ready";
      play.addEventListener("click", () => send({ kind: "queue_play", id: entry.id }));
      const remove = el("button", { class: "ghost small", type: "button", text: "✕", "aria-label": `Take ${entry.title} out of the queue` });
      remove.addEventListener("click", () => send({ kind: "queue_remove", id: entry.id }));
      actions.append(play, remove);
    }
    const li = el(
      "li",
      { class: "queue-entry", "data-id": String(entry.id) },
      el("span", { class: "queue-place", text: current ? "▶" : String(place) }),
      el("span", { class: "queue-text" }, title, meta),
      actions,
    );
    li.classList.toggle("current", current);
    if (current) li.setAttribute("aria-current", "true");
    if (may) {
      // Drag an entry onto another to put it in that place.
      li.draggable = true;
      li.title = "Drag to change the order";
      li.addEventListener("dragstart", (ev) => {
        dragged = entry.id;
        ev.dataTransfer?.setData("text/plain", String(entry.id));
        li.classList.add("dragging");
      });
      li.addEventListener("dragend", () => li.classList.remove("dragging"));
      li.addEventListener("dragover", (ev) => {
        ev.preventDefault();
        li.classList.add("drop-here");
      });
      li.addEventListener("dragleave", () => li.classList.remove("drop-here"));
      li.addEventListener("drop", (ev) => {
        ev.preventDefault();
        li.classList.remove("drop-here");
        if (dragged !== null && dragged !== entry.id) send({ kind: "queue_move", id: dragged, to: place - 1 });
        dragged = null;
      });
    }
    return li;
  }

  function drawBanner(s: RoomState, may: boolean) {
    const next = s.queue.next_at_ms;
    const idx = s.queue.entries.findIndex((e) => e.id === s.queue.current);
    const upcoming = s.queue.entries[idx + 1];
    if (next === undefined || !upcoming) {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
    // The relay's clock is the wall clock; computers' clocks agree to well
    // under a second, enough for a countdown in seconds.
    const text = el("span", { text: countdownText(upcoming.title, next, Date.now()) });
    const parts: HTMLElement[] = [text];
    if (may) {
      const now = el("button", { class: "primary small", type: "button", text: "Start now" });
      now.addEventListener("click", () => send({ kind: "queue_play", id: upcoming.id }));
      const wait = el("button", { class: "ghost small", type: "button", text: "Wait" });
      wait.title = "Stay on this one; the next starts when someone starts it";
      wait.addEventListener("click", () => send({ kind: "queue_wait" }));
      parts.push(now, wait);
    }
    banner.replaceChildren(...parts);
  }

  function update(s: RoomState) {
    last = s;
    const may = mayControl(s);
    const entries = s.queue.entries;
    const current = entries.find((e) => e.id === s.queue.current);
    count.textContent =
      entries.length === 0
        ? may
          ? "Series night: queue the evening's episodes"
          : "empty"
        : `${entries.length} · ${current ? `now ${current.title}` : "not started"}`;
    addBtn.hidden = !may;
    jfBtn.hidden = !may || !onJellyfin;
    empty.hidden = entries.length > 0;
    if (entries.length > 0 && shownKey === "") root.open = true;
    const key = JSON.stringify([s.queue, s.ownCopies, may, s.participants.map((p) => [p.id, p.nickname])]);
    if (key !== shownKey) {
      shownKey = key;
      list.replaceChildren(...entries.map((e, i) => row(e, i + 1, s, may)));
    }
    drawBanner(s, may);
  }

  return {
    root,
    update,
    /** Once a second: the countdown ticks. */
    tick() {
      if (last && last.queue.next_at_ms !== undefined) drawBanner(last, mayControl(last));
    },
  };
}
