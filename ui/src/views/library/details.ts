// An item's details: its poster, what it is, its overview and "Watch
// this" (with Resume); a series with its seasons as tabs and each season's
// episodes. Hosting, a whole series or season can be watched (its episodes
// are the room's queue); from the room's queue, anything is added.

/** Watch one thing (joining), host (a series or season too), or add to
 * the room's queue. */
export type LibraryMode = "watch" | "host" | "queue";

import { jellyfin } from "../../api";
import { clock, el, runtime } from "../../dom";
import type { JellyfinItem } from "../../types";
import { poster, type PosterLoader } from "./posters";

/** "2008 · 1 h 30 min" */
export function itemMeta(item: JellyfinItem): string {
  const parts: string[] = [];
  if (item.kind === "Episode" && item.series_name) {
    parts.push(`${item.series_name} · S${item.season ?? "?"}E${item.episode ?? "?"}`);
  }
  if (item.year) parts.push(String(item.year));
  if (item.runtime_seconds) parts.push(runtime(item.runtime_seconds));
  if (item.played) parts.push("Watched");
  return parts.join(" · ");
}

interface DetailsHooks {
  mode: LibraryMode;
  load: PosterLoader;
  /** The user chose what to watch (`resume` in seconds, or from the start). */
  onPick(item: JellyfinItem, resume: number | null): void;
  /** Back to the grid. */
  onBack(): void;
  fail(e: unknown): void;
}

/** A season's or a whole series' button (hosting, or adding to the queue). */
function groupButton(item: JellyfinItem, mode: LibraryMode, onPick: DetailsHooks["onPick"]): HTMLElement | null {
  if (mode === "watch") return null;
  const what = item.kind === "Season" ? "this season" : "the whole series";
  const b = el("button", {
    class: mode === "host" ? "secondary group-pick" : "primary group-pick",
    type: "button",
    text: mode === "host" ? `Watch ${what}` : `Add ${what} to the queue`,
  });
  b.title = "Its episodes, in order: each friend plays them from their own copies, one after another";
  b.addEventListener("click", () => onPick(item, null));
  return b;
}

/** "Watch this", with Resume when the server kept a place ("Add to the
 * queue" from the room). */
function watchBox(item: JellyfinItem, mode: LibraryMode, onPick: DetailsHooks["onPick"]): HTMLElement {
  const box = el("div", { class: "watch" });
  if (mode === "queue") {
    const add = el("button", { class: "primary", type: "button", text: "Add to the queue" });
    add.addEventListener("click", () => onPick(item, null));
    box.append(add);
    return box;
  }
  let resume: HTMLInputElement | null = null;
  if (item.resume_seconds) {
    resume = el("input", { id: "jf-resume", type: "checkbox", checked: "" });
    box.append(el("label", { class: "check", for: "jf-resume" }, resume, ` Resume from ${clock(item.resume_seconds)}`));
  }
  if (!item.keeps_resume_point) {
    box.append(
      el("p", {
        class: "hint no-resume",
        text: "This video has no length on the server: Jellyfin marks it watched as soon as it starts and keeps no place to resume from.",
      }),
    );
  }
  const watch = el("button", { class: "primary", type: "button", text: "Watch this" });
  watch.addEventListener("click", () => onPick(item, resume?.checked ? item.resume_seconds : null));
  box.append(watch);
  return box;
}

/** One episode's line: number, name, length and where it stopped. */
function episodeButton(ep: JellyfinItem): HTMLButtonElement {
  const state = ep.played ? "Watched" : ep.resume_seconds ? `Stopped at ${clock(ep.resume_seconds)}` : "";
  return el(
    "button",
    { class: "episode", type: "button", "data-id": ep.id },
    el("span", { class: "ep-num", text: ep.episode != null ? String(ep.episode) : "•" }),
    el("span", { class: "ep-name", text: ep.name }),
    el("span", { class: "muted small-text", text: [ep.runtime_seconds ? runtime(ep.runtime_seconds) : "", state].filter(Boolean).join(" · ") }),
  );
}

export function renderDetails(hooks: DetailsHooks) {
  const root = el("div", { class: "jf-details", hidden: "" });
  const back = () => {
    const b = el("button", { class: "ghost small back", type: "button", text: "← Back to the library" });
    b.addEventListener("click", hooks.onBack);
    return b;
  };
  const describe = (item: JellyfinItem, extra: HTMLElement[]) => {
    root.replaceChildren(
      back(),
      el(
        "div",
        { class: "details-body" },
        poster(item, 600, hooks.load),
        el(
          "div",
          { class: "details-text" },
          el("h2", { text: item.name }),
          el("div", { class: "muted", text: itemMeta(item) }),
          el("p", { class: "overview", text: item.overview ?? "" }),
          ...extra,
        ),
      ),
    );
    root.hidden = false;
  };
  const watch = (item: JellyfinItem) => watchBox(item, hooks.mode, hooks.onPick);
  const episodesOf = async (series: JellyfinItem, season: JellyfinItem, list: HTMLElement, seasonSlot: HTMLElement) => {
    seasonSlot.replaceChildren(...[groupButton(season, hooks.mode, hooks.onPick)].filter((b): b is HTMLElement => b !== null));
    list.replaceChildren(el("li", { class: "muted", text: "Loading episodes…" }));
    try {
      const eps = await jellyfin.episodes(series.id, season.id);
      list.replaceChildren(
        ...eps.map((ep) => {
          const b = episodeButton(ep);
          b.addEventListener("click", () => describe(ep, [watch(ep)]));
          return el("li", {}, b);
        }),
      );
      if (!eps.length) list.replaceChildren(el("li", { class: "muted", text: "No episodes in this season." }));
    } catch (e) {
      list.replaceChildren();
      hooks.fail(e);
    }
  };
  const series = async (item: JellyfinItem) => {
    const seasonTabs = el("div", { class: "chips", role: "tablist", "aria-label": "Seasons" });
    const list = el("ul", { class: "episodes" });
    const seasonSlot = el("div", { class: "season-pick" });
    const whole = groupButton(item, hooks.mode, hooks.onPick);
    describe(item, [...(whole ? [el("div", { class: "watch" }, whole)] : []), seasonTabs, seasonSlot, list]);
    try {
      for (const s of await jellyfin.seasons(item.id)) {
        const t = el("button", { class: "chip", type: "button", role: "tab", "data-id": s.id, text: s.name });
        t.addEventListener("click", () => {
          for (const o of seasonTabs.querySelectorAll("button")) o.setAttribute("aria-selected", String(o === t));
          void episodesOf(item, s, list, seasonSlot);
        });
        seasonTabs.append(t);
      }
      (seasonTabs.querySelector("button") as HTMLButtonElement | null)?.click();
    } catch (e) {
      hooks.fail(e);
    }
  };
  return {
    root,
    /** Shows a playable item, or a series with its seasons; false for a
     * folder (the grid browses into it). */
    show(item: JellyfinItem): boolean {
      if (item.playable) describe(item, [watch(item)]);
      else if (item.kind === "Series") void series(item);
      else return false;
      return true;
    },
    hide() {
      root.hidden = true;
      root.replaceChildren();
    },
  };
}
