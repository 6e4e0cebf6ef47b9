// An item's details: its poster, what it is, its overview and "Watch
// this" (with Resume); a series with its seasons as tabs and each season's
// episodes.

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
  load: PosterLoader;
  /** The user chose what to watch (`resume` in seconds, or from the start). */
  onPick(item: JellyfinItem, resume: number | null): void;
  /** Back to the grid. */
  onBack(): void;
  fail(e: unknown): void;
}

/** "Watch this", with Resume when the server kept a place. */
function watchBox(item: JellyfinItem, onPick: DetailsHooks["onPick"]): HTMLElement {
  const box = el("div", { class: "watch" });
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
  const episodesOf = async (series: JellyfinItem, season: JellyfinItem, list: HTMLElement) => {
    list.replaceChildren(el("li", { class: "muted", text: "Loading episodes…" }));
    try {
      const eps = await jellyfin.episodes(series.id, season.id);
      list.replaceChildren(
        ...eps.map((ep) => {
          const b = episodeButton(ep);
          b.addEventListener("click", () => describe(ep, [watchBox(ep, hooks.onPick)]));
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
    describe(item, [seasonTabs, list]);
    try {
      for (const s of await jellyfin.seasons(item.id)) {
        const t = el("button", { class: "chip", type: "button", role: "tab", "data-id": s.id, text: s.name });
        t.addEventListener("click", () => {
          for (const o of seasonTabs.querySelectorAll("button")) o.setAttribute("aria-selected", String(o === t));
          void episodesOf(item, s, list);
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
      if (item.playable) describe(item, [watchBox(item, hooks.onPick)]);
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
