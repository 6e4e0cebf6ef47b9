// The Jellyfin library: libraries, search, a poster grid with paging, and
// details (films, series → seasons → episodes) with "Watch this".

import { errorKind, errorText, jellyfin } from "../api";
import { clock, el, runtime } from "../dom";
import type { JellyfinItem, JellyfinStatus } from "../types";

/** Items per page of the grid. */
export const PAGE_SIZE = 24;
/** Posters fetched at once. */
const POSTERS_AT_ONCE = 4;
const SEARCH_DELAY_MS = 300;

export interface LibraryHooks {
  /** The user chose what to watch (`resume` in seconds, or from the start). */
  onPick(item: JellyfinItem, resume: number | null): void;
  /** Signed out here, or the server ended the sign-in. */
  onSignedOut(status: JellyfinStatus): void;
}

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

/** Fetches posters a few at a time, in the order they were asked for. */
function posterLoader() {
  const queue: { img: HTMLImageElement; id: string; height: number }[] = [];
  let running = 0;
  const pump = () => {
    while (running < POSTERS_AT_ONCE && queue.length) {
      const job = queue.shift()!;
      running++;
      jellyfin
        .poster(job.id, job.height)
        .then((url) => {
          job.img.src = url;
          job.img.classList.add("loaded");
        })
        .catch(() => job.img.classList.add("missing"))
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  return (img: HTMLImageElement, id: string, height: number) => {
    queue.push({ img, id, height });
    pump();
  };
}

function poster(item: JellyfinItem, height: number, load: ReturnType<typeof posterLoader>): HTMLElement {
  const frame = el("div", { class: "poster-frame" }, el("span", { class: "poster-initial", "aria-hidden": "true", text: item.name.slice(0, 1) }));
  if (item.has_poster) {
    const img = el("img", { alt: "", class: "poster-img" });
    frame.append(img);
    load(img, item.id, height);
  }
  return frame;
}

export function renderLibrary(status: JellyfinStatus, hooks: LibraryHooks): { root: HTMLElement; ready: Promise<void> } {
  const load = posterLoader();
  let relisting = false;
  const error = el("div", { class: "error", role: "alert", hidden: "" });
  const fail = async (e: unknown) => {
    if (errorKind(e) === "jellyfin_signed_out") {
      hooks.onSignedOut(await jellyfin.status().catch(() => ({ ...status, user: null })));
      return;
    }
    error.hidden = false;
    error.textContent = errorText(e);
    // A library the admin hid: still signed in; list what is left (once:
    // a server that keeps refusing is not asked in a loop).
    if (errorKind(e) === "jellyfin_no_access" && !relisting) {
      relisting = true;
      await loadLibraries(false).finally(() => (relisting = false));
    }
  };

  // Header: who, where, sign out.
  const signOut = el("button", { class: "ghost small", type: "button", text: "Sign out" });
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    try {
      hooks.onSignedOut(await jellyfin.signOut());
    } catch (e) {
      // Not told the server, but signed out here: say so, then go on.
      const s = await jellyfin.status().catch(() => ({ ...status, user: null }));
      if (!s.user) hooks.onSignedOut(s);
      else void fail(e);
    } finally {
      signOut.disabled = false;
    }
  });
  const header = el(
    "div",
    { class: "jf-header" },
    el("div", {}, el("h2", { text: status.server?.name ?? "Jellyfin" }), el("div", { class: "muted small-text", text: `Signed in as ${status.user}` })),
    signOut,
  );

  // Toolbar: libraries and search.
  const tabs = el("div", { class: "chips", role: "tablist", "aria-label": "Libraries" });
  const search = el("input", { id: "jf-search", type: "search", placeholder: "Search films and shows", "aria-label": "Search" });
  const toolbar = el("div", { class: "jf-toolbar" }, tabs, search);

  // Grid and paging.
  const grid = el("div", { class: "poster-grid", "aria-live": "polite" });
  const count = el("span", { class: "muted small-text" });
  const more = el("button", { class: "secondary", type: "button", text: "Load more", hidden: "" });
  const empty = el("p", { class: "muted empty", hidden: "" });
  const browse = el("div", { class: "jf-browse" }, grid, empty, el("div", { class: "paging" }, count, more));
  const details = el("div", { class: "jf-details", hidden: "" });

  let library: string | null = null;
  let term = "";
  let loaded = 0;
  let total = 0;
  let generation = 0;

  const showGrid = () => {
    details.hidden = true;
    details.replaceChildren();
    browse.hidden = false;
    toolbar.hidden = false;
  };

  const card = (item: JellyfinItem) => {
    const b = el(
      "button",
      { class: "poster-card", type: "button", "data-id": item.id, title: item.name },
      poster(item, 300, load),
      el("span", { class: "poster-title", text: item.name }),
      el("span", { class: "poster-meta", text: [item.year, item.kind === "Series" ? "Series" : null].filter(Boolean).join(" · ") }),
    );
    if (item.resume_seconds) b.append(el("span", { class: "poster-progress", "aria-label": `Stopped at ${clock(item.resume_seconds)}` }));
    b.addEventListener("click", () => void open(item));
    return b;
  };

  const page = async (reset: boolean) => {
    const mine = reset ? ++generation : generation;
    if (reset) {
      loaded = 0;
      grid.replaceChildren();
    }
    more.disabled = true;
    more.textContent = "Loading…";
    try {
      const p = await jellyfin.items({ library: term ? null : library, search: term || null, start: loaded, limit: PAGE_SIZE });
      if (mine !== generation) return;
      error.hidden = true;
      total = p.total;
      loaded += p.items.length;
      grid.append(...p.items.map(card));
      empty.hidden = loaded > 0;
      empty.textContent = term ? `Nothing on ${status.server?.name ?? "the server"} matches “${term}”.` : "This library is empty.";
      count.textContent = loaded ? `Showing ${loaded} of ${total}` : "";
      more.hidden = loaded >= total || p.items.length === 0;
    } catch (e) {
      if (mine === generation) void fail(e);
    } finally {
      more.disabled = false;
      more.textContent = "Load more";
    }
  };
  more.addEventListener("click", () => void page(false));

  let searchTimer: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener("input", () => {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      term = search.value.trim();
      showGrid();
      void page(true);
    }, SEARCH_DELAY_MS);
  });

  const selectLibrary = (id: string) => {
    library = id;
    for (const t of tabs.querySelectorAll("button")) t.setAttribute("aria-selected", String(t.dataset.id === id));
    search.value = "";
    term = "";
    showGrid();
    return page(true);
  };

  // Details.
  const back = () => {
    const b = el("button", { class: "ghost small back", type: "button", text: "← Back to the library" });
    b.addEventListener("click", showGrid);
    return b;
  };
  const watchBox = (item: JellyfinItem) => {
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
    watch.addEventListener("click", () => hooks.onPick(item, resume?.checked ? item.resume_seconds : null));
    box.append(watch);
    return box;
  };
  const describe = (item: JellyfinItem, extra: HTMLElement[]) => {
    details.replaceChildren(
      back(),
      el(
        "div",
        { class: "details-body" },
        poster(item, 600, load),
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
    browse.hidden = true;
    toolbar.hidden = true;
    details.hidden = false;
  };
  const episodesOf = async (series: JellyfinItem, season: JellyfinItem, list: HTMLElement) => {
    list.replaceChildren(el("li", { class: "muted", text: "Loading episodes…" }));
    try {
      const eps = await jellyfin.episodes(series.id, season.id);
      list.replaceChildren(
        ...eps.map((ep) => {
          const b = el(
            "button",
            { class: "episode", type: "button", "data-id": ep.id },
            el("span", { class: "ep-num", text: ep.episode != null ? String(ep.episode) : "•" }),
            el("span", { class: "ep-name", text: ep.name }),
            el("span", { class: "muted small-text", text: [ep.runtime_seconds ? runtime(ep.runtime_seconds) : "", ep.played ? "Watched" : ep.resume_seconds ? `Stopped at ${clock(ep.resume_seconds)}` : ""].filter(Boolean).join(" · ") }),
          );
          b.addEventListener("click", () => describe(ep, [watchBox(ep)]));
          return el("li", {}, b);
        }),
      );
      if (!eps.length) list.replaceChildren(el("li", { class: "muted", text: "No episodes in this season." }));
    } catch (e) {
      list.replaceChildren();
      void fail(e);
    }
  };
  const open = async (item: JellyfinItem) => {
    if (item.playable) {
      describe(item, [watchBox(item)]);
      return;
    }
    if (item.kind === "Series") {
      const seasonTabs = el("div", { class: "chips", role: "tablist", "aria-label": "Seasons" });
      const list = el("ul", { class: "episodes" });
      describe(item, [seasonTabs, list]);
      try {
        const seasons = await jellyfin.seasons(item.id);
        for (const s of seasons) {
          const t = el("button", { class: "chip", type: "button", role: "tab", "data-id": s.id, text: s.name });
          t.addEventListener("click", () => {
            for (const o of seasonTabs.querySelectorAll("button")) o.setAttribute("aria-selected", String(o === t));
            void episodesOf(item, s, list);
          });
          seasonTabs.append(t);
        }
        (seasonTabs.querySelector("button") as HTMLButtonElement | null)?.click();
      } catch (e) {
        void fail(e);
      }
      return;
    }
    // A folder or collection: browse into it.
    library = item.id;
    showGrid();
    void page(true);
  };

  /** The library tabs, then the first library (`clearError`: a fresh
   * start; false keeps the error that made us look again). */
  async function loadLibraries(clearError: boolean): Promise<void> {
    try {
      const libs = await jellyfin.libraries();
      tabs.replaceChildren();
      for (const l of libs) {
        const t = el("button", { class: "chip", type: "button", role: "tab", "data-id": l.id, text: l.name });
        t.addEventListener("click", () => void selectLibrary(l.id));
        tabs.append(t);
      }
      const shown = error.textContent;
      if (libs.length) await selectLibrary(libs[0].id);
      else {
        showGrid();
        grid.replaceChildren();
        empty.hidden = false;
        empty.textContent = "This account sees no libraries.";
      }
      if (!clearError && shown) {
        error.hidden = false;
        error.textContent = shown;
      }
    } catch (e) {
      if (errorKind(e) !== "jellyfin_no_access") await fail(e);
    }
  }
  const ready = loadLibraries(true);

  const root = el("section", { class: "library", "aria-label": "Jellyfin library" }, header, error, toolbar, browse, details);
  return { root, ready };
}
