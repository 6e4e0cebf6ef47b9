// The Jellyfin screen: connect a server, sign in, then browse and pick
// what to watch (or what to add to the room's queue).

import { errorText, jellyfin } from "../api";
import { clock, el } from "../dom";
import type { JellyfinItem, JellyfinStatus, MediaChoice } from "../types";
import { renderServerForm, renderSignIn } from "./jellyfin-login";
import { itemMeta, renderLibrary, type LibraryMode } from "./library";

export interface JellyfinHooks {
  mode: LibraryMode;
  /** Where the back button goes ("the lobby", "the room"). */
  backTo: string;
  /** What to watch, and how the lobby should name it. */
  onPick(choice: MediaChoice, label: string): void;
  onClose(): void;
}

/** "Big Buck Bunny · 2008 · 1 h 30 min · from 12:34" */
export function choiceLabel(item: JellyfinItem, resume: number | null): string {
  if (item.kind === "Series") return `${item.name} · every episode, one after another`;
  if (item.kind === "Season") return `${[item.series_name, item.name].filter(Boolean).join(" · ")} · its episodes, one after another`;
  const meta = itemMeta(item);
  return [item.name, meta, resume ? `from ${clock(resume)}` : null].filter(Boolean).join(" · ");
}

export function renderJellyfin(hooks: JellyfinHooks): { root: HTMLElement; ready: Promise<void>; stop(): void } {
  const slot = el("div", { class: "jf-slot" });
  let stopCurrent = () => {};
  const close = el("button", { class: "ghost small back", type: "button", text: `← Back to ${hooks.backTo}` });
  close.addEventListener("click", () => {
    stopCurrent();
    hooks.onClose();
  });

  const show = async (status: JellyfinStatus): Promise<void> => {
    stopCurrent();
    stopCurrent = () => {};
    if (!status.server) {
      slot.replaceChildren(renderServerForm("", (s) => void show(s)));
      slot.querySelector<HTMLInputElement>("#jf-url")?.focus();
    } else if (!status.user) {
      const signIn = renderSignIn(status, {
        onSignedIn: (s) => void show(s),
        onChangeServer: () => slot.replaceChildren(renderServerForm(status.server!.url, (s) => void show(s))),
      });
      stopCurrent = signIn.stop;
      slot.replaceChildren(signIn.root);
      slot.querySelector<HTMLInputElement>("#jf-user")?.focus();
    } else {
      const library = renderLibrary(status, {
        mode: hooks.mode,
        onPick: (item, resume) => hooks.onPick({ kind: "jellyfin", item: item.id, resume }, choiceLabel(item, resume)),
        onSignedOut: (s) => void show(s),
      });
      slot.replaceChildren(library.root);
      await library.ready;
    }
  };

  const ready = jellyfin
    .status()
    .then(show)
    .catch((e) => slot.replaceChildren(el("div", { class: "error", role: "alert", text: errorText(e) })));
  const root = el("main", { class: "jellyfin" }, close, slot);
  return { root, ready, stop: () => stopCurrent() };
}
