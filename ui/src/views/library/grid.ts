// The poster grid: a library's items or a search's, a page at a time, with
// the count, the empty note and "Load more". What to ask for and what the
// row says come from paging.ts; a late page of an outdated list is dropped.

import { jellyfin } from "../../api";
import { clock, el } from "../../dom";
import type { JellyfinItem } from "../../types";
import { nextRequest, pagingView, restart, startPaging, withPage, type Paging } from "./paging";
import { poster, type PosterLoader } from "./posters";

interface GridHooks {
  load: PosterLoader;
  serverName: string;
  open(item: JellyfinItem): void;
  /** A page came: older errors are past. */
  onPage(): void;
  fail(e: unknown): void;
}

export function renderGrid(hooks: GridHooks) {
  const grid = el("div", { class: "poster-grid", "aria-live": "polite" });
  const count = el("span", { class: "muted small-text" });
  const more = el("button", { class: "secondary", type: "button", text: "Load more", hidden: "" });
  const empty = el("p", { class: "muted empty", hidden: "" });
  const root = el("div", { class: "jf-browse" }, grid, empty, el("div", { class: "paging" }, count, more));
  let paging: Paging = startPaging();

  const card = (item: JellyfinItem) => {
    const b = el(
      "button",
      { class: "poster-card", type: "button", "data-id": item.id, title: item.name },
      poster(item, 300, hooks.load),
      el("span", { class: "poster-title", text: item.name }),
      el("span", { class: "poster-meta", text: [item.year, item.kind === "Series" ? "Series" : null].filter(Boolean).join(" · ") }),
    );
    if (item.resume_seconds) b.append(el("span", { class: "poster-progress", "aria-label": `Stopped at ${clock(item.resume_seconds)}` }));
    b.addEventListener("click", () => hooks.open(item));
    return b;
  };

  /** The next page of `from` (a fresh list when its generation is new). */
  const page = async (from: Paging) => {
    const fresh = from.generation !== paging.generation;
    paging = from;
    if (fresh) grid.replaceChildren();
    more.disabled = true;
    more.textContent = "Loading…";
    try {
      const p = await jellyfin.items(nextRequest(from));
      if (from.generation !== paging.generation) return;
      hooks.onPage();
      paging = withPage(paging, p);
      grid.append(...p.items.map(card));
      const v = pagingView(paging, p.items.length, hooks.serverName);
      empty.hidden = v.empty === null;
      empty.textContent = v.empty ?? "";
      count.textContent = v.count;
      more.hidden = !v.more;
    } catch (e) {
      if (from.generation === paging.generation) hooks.fail(e);
    } finally {
      more.disabled = false;
      more.textContent = "Load more";
    }
  };
  more.addEventListener("click", () => void page(paging));

  return {
    root,
    /** A fresh list: another library, a search, a folder browsed into. */
    show: (change: { library?: string; term?: string }) => page(restart(paging, change)),
    /** Nothing to list (the account sees no library). */
    none(text: string) {
      grid.replaceChildren();
      empty.hidden = false;
      empty.textContent = text;
    },
  };
}
