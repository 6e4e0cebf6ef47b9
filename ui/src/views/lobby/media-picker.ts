// Choosing a film: from this computer (a dialog or a drop) or from
// Jellyfin; a file that cannot be the film is refused with the reason.
// Hosting, several episodes can be chosen: they are the room's queue.

import { api } from "../../api";
import { el, fileName } from "../../dom";
import type { MediaChoice } from "../../types";

export interface MediaPicker {
  root: HTMLElement;
  set(choice: MediaChoice, label: string): void;
  choice(): MediaChoice | null;
  /** The choice with the label it shows, if any. */
  chosen(): [MediaChoice, string] | null;
}

const SUBTITLES = /\.(srt|ass|ssa|vtt|sub|idx)$/i;
const NOT_FILMS = /\.(txt|md|pdf|docx?|odt|rtf|nfo|html?|json|xml|csv|jpe?g|png|gif|webp|bmp|svg|zip|rar|7z|tar|gz|exe|msi|deb|iso|torrent)$/i;

/** Why a dropped file cannot be the film, if it cannot. */
export function notAFilm(path: string): string | null {
  const name = fileName(path);
  if (SUBTITLES.test(path)) return `${name} is a subtitle file: choose the film here, then share subtitles from the room.`;
  if (NOT_FILMS.test(path)) return `${name} is not a film: choose a video file.`;
  return null;
}

/** Several local files as the room's queue, with what it shows. */
export function filesChoice(paths: string[]): [MediaChoice, string] {
  if (paths.length === 1) return fileChoice(paths[0]);
  const names = paths.map(fileName);
  const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
  return [{ kind: "files", paths }, `${paths.length} episodes, one after another: ${shown}`];
}

/** A local file as a choice, with the name it shows. */
export const fileChoice = (path: string): [MediaChoice, string] => [{ kind: "file", path }, fileName(path)];

export function mediaPicker(
  label: string,
  onJellyfin: (() => void) | undefined,
  onRefused: (why: string) => void,
  /** Hosting: "Episodes…" starts the room from a queue. */
  several = false,
): MediaPicker {
  let chosen: MediaChoice | null = null;
  const name = el("span", { class: "file-name", text: "Nothing chosen yet" });
  const fileBtn = el("button", { class: "secondary", type: "button", text: label });
  const buttons = el("div", { class: "pick-buttons" }, fileBtn);
  const severalBtn = el("button", { class: "secondary", type: "button", text: "Episodes…" });
  severalBtn.title = "Choose the evening's episodes: the room plays them one after another, each friend from their own copies";
  if (several) buttons.append(severalBtn);
  if (onJellyfin) {
    const jf = el("button", { class: "secondary jf-button", type: "button", text: "From Jellyfin…" });
    jf.addEventListener("click", onJellyfin);
    buttons.append(jf);
  }
  const root = el("div", { class: "drop-zone", tabindex: "-1" }, el("span", { class: "drop-hint", text: "Drop a film here, or" }), buttons, name);
  const set = (choice: MediaChoice, text: string) => {
    chosen = choice;
    name.textContent = text;
    name.title = choice.kind === "file" ? choice.path : choice.kind === "files" ? choice.paths.join("\n") : text;
    root.classList.add("has-file");
    root.classList.toggle("from-jellyfin", choice.kind === "jellyfin");
  };
  severalBtn.addEventListener("click", async () => {
    const paths = await api.pickFilms().catch(() => [] as string[]);
    const why = paths.map(notAFilm).find((w) => w !== null);
    if (why) return onRefused(why);
    if (paths.length > 0) set(...filesChoice(paths));
  });
  fileBtn.addEventListener("click", async () => {
    const path = await api.pickFile().catch(() => null);
    if (!path) return;
    const why = notAFilm(path);
    if (why) return onRefused(why);
    set(...fileChoice(path));
  });
  return {
    root,
    set,
    choice: () => chosen,
    chosen: () => (chosen ? [chosen, name.textContent ?? ""] : null),
  };
}
