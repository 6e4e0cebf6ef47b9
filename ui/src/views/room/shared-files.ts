// Subtitle files shared in the room: a line in the log for each, with Use
// and Ignore kept in step with the player (in use: the subtitles shown;
// loaded: another is shown; ignored: taken out).

import type { RoomCommand } from "../../api";
import { el } from "../../dom";
import type { LineKind } from "./chat";

type SharedState = "in_use" | "loaded" | "ignored";

interface SharedFile {
  use: HTMLButtonElement;
  ignore: HTMLButtonElement;
  /** The title it has in every player's track list. */
  title: string;
  state: SharedState;
}

export function sharedFiles(send: (cmd: RoomCommand) => unknown, addLine: (kind: LineKind, text: string) => HTMLElement) {
  const files = new Map<number, SharedFile>();
  function set(id: number, state: SharedState) {
    const f = files.get(id);
    if (!f) return;
    f.state = state;
    f.use.textContent = state === "in_use" ? "In use" : "Use";
    f.use.disabled = state === "in_use";
    f.ignore.textContent = state === "ignored" ? "Ignored" : "Ignore";
    f.ignore.disabled = state === "ignored";
  }
  /** One file shows at a time: the one in use, the others are loaded. */
  function markUsed(id: number, used: boolean) {
    if (used) for (const [other, f] of files) if (other !== id && f.state === "in_use") set(other, "loaded");
    set(id, used ? "in_use" : "ignored");
  }
  return {
    /** A file someone shared (this member included). */
    add(id: number, nickname: string, label: string, selected: boolean) {
      const line = addLine("notice", `${nickname} shared ${label}`);
      line.classList.add("shared-subtitle");
      const use = el("button", { class: "secondary small", type: "button", text: "Use" });
      const ignore = el("button", { class: "ghost small", type: "button", text: "Ignore" });
      use.addEventListener("click", () => send({ kind: "use_subtitle", id, used: true }));
      ignore.addEventListener("click", () => send({ kind: "use_subtitle", id, used: false }));
      line.append(el("span", { class: "line-actions" }, use, ignore));
      files.set(id, { use, ignore, title: `${label} · from ${nickname}`, state: "loaded" });
      if (selected) markUsed(id, true);
      else set(id, "loaded");
    },
    markUsed,
    /** The player's own choice (its track list) says which file shows. */
    followPlayer(tracks: { kind: string; title?: string; selected: boolean }[]) {
      const shown = tracks.find((t) => t.kind === "sub" && t.selected)?.title;
      for (const [id, f] of files) {
        if (f.title === shown && f.state !== "in_use") set(id, "in_use");
        else if (f.title !== shown && f.state === "in_use") set(id, "loaded");
      }
    },
  };
}
