// The Jellyfin library: libraries, search, a poster grid with paging, and
// details (films, series → seasons → episodes) with "Watch this". The
// paging is a pure function (library/paging.ts); posters and details are
// their own sub-views.

import { errorKind, errorText, jellyfin } from "../api";
import { el } from "../dom";
import type { JellyfinItem, JellyfinStatus } from "../types";
import { renderDetails, type LibraryMode } from "./library/details";
import { renderGrid } from "./library/grid";
import { posterLoader } from "./library/posters";

export { itemMeta, type LibraryMode } from "./library/details";
export { PAGE_SIZE } from "./library/paging";

const SEARCH_DELAY_MS = 300;

export interface LibraryHooks {
  mode: LibraryMode;
  /** The user chose what to watch (`resume` in seconds, or from the start). */
  onPick(item: JellyfinItem, resume: number | null): void;
  /** Signed out here, or the server ended the sign-in. */
  onSignedOut(status: JellyfinStatus): void;
}

/** Who is signed in where, and Sign out. */
function renderHeader(status: JellyfinStatus, hooks: LibraryHooks, fail: (e: unknown) => void): HTMLElement {
  const signOut = el("button", { class: "ghost small", type: "button", text: "Sign out" });
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    try {
      hooks.onSignedOut(await jellyfin.signOut());
    } catch (e) {
      // Not told the server, but signed out here: say so, then go on.
      const s = await jellyfin.status().catch(() => ({ ...status, user: null }));
      if (!s.user) hooks.onSignedOut(s);
      else fail(e);
    } finally {
      signOut.disabled = false;
    }
  });
  return el(
    "div",
    { class: "jf-header" },
    el("div", {}, el("h2", { text: status.server?.name ?? "Jellyfin" }), el("div", { class: "muted small-text", text: `Signed in as ${status.user}` })),
    signOut,
  );
}

export function renderLibrary(status: JellyfinStatus, hooks: LibraryHooks): { root: HTMLElement; ready: Promise<void> } {
  const load = posterLoader();
  const serverName = status.server?.name ?? "the server";
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

  // Toolbar: libraries and search.
  const tabs = el("div", { class: "chips", role: "tablist", "aria-label": "Libraries" });
  const search = el("input", { id: "jf-search", type: "search", placeholder: "Search films and shows", "aria-label": "Search" });
  const toolbar = el("div", { class: "jf-toolbar" }, tabs, search);

  const grid = renderGrid({
    load,
    serverName,
    open: (item) => open(item),
    onPage: () => (error.hidden = true),
    fail: (e) => void fail(e),
  });
  const details = renderDetails({
    mode: hooks.mode,
    load,
    onPick: hooks.onPick,
    onBack: () => showGrid(),
    fail: (e) => void fail(e),
  });
  const showGrid = () => {
    details.hide();
    grid.root.hidden = false;
    toolbar.hidden = false;
  };
  const open = (item: JellyfinItem) => {
    if (details.show(item)) {
      grid.root.hidden = true;
      toolbar.hidden = true;
      return;
    }
    // A folder or collection: browse into it.
    showGrid();
    void grid.show({ library: item.id });
  };

  let searchTimer: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener("input", () => {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      showGrid();
      void grid.show({ term: search.value.trim() });
    }, SEARCH_DELAY_MS);
  });

  const selectLibrary = (id: string) => {
    for (const t of tabs.querySelectorAll("button")) t.setAttribute("aria-selected", String(t.dataset.id === id));
    search.value = "";
    showGrid();
    return grid.show({ library: id, term: "" });
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
        grid.none("This account sees no libraries.");
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

  const header = renderHeader(status, hooks, (e) => void fail(e));
  const root = el("section", { class: "library", "aria-label": "Jellyfin library" }, header, error, toolbar, grid.root, details.root);
  return { root, ready };
}
