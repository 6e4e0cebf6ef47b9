// What the grid shows, as a pure function of the library or search and the
// pages that came: what to ask for next, and what the count, the empty
// note and "Load more" say.

import type { JellyfinPage } from "../../types";

/** Items per page of the grid. */
export const PAGE_SIZE = 24;

export interface Paging {
  library: string | null;
  /** What is searched for (the whole server), or "" for the library. */
  term: string;
  loaded: number;
  total: number;
  /** Bumped on every new list, so a late page of an old one is dropped. */
  generation: number;
}

export const startPaging = (): Paging => ({ library: null, term: "", loaded: 0, total: 0, generation: 0 });

/** A fresh list: another library, another search. */
export function restart(p: Paging, change: { library?: string; term?: string }): Paging {
  return { ...p, ...change, loaded: 0, total: 0, generation: p.generation + 1 };
}

/** What to ask the server for next. */
export function nextRequest(p: Paging) {
  return { library: p.term ? null : p.library, search: p.term || null, start: p.loaded, limit: PAGE_SIZE };
}

/** After a page came. */
export function withPage(p: Paging, page: JellyfinPage): Paging {
  return { ...p, total: page.total, loaded: p.loaded + page.items.length };
}

/** What the paging row and the empty note say. */
export function pagingView(p: Paging, lastPageSize: number, serverName: string) {
  return {
    empty: p.loaded === 0 ? (p.term ? `Nothing on ${serverName} matches “${p.term}”.` : "This library is empty.") : null,
    count: p.loaded ? `Showing ${p.loaded} of ${p.total}` : "",
    more: p.loaded < p.total && lastPageSize > 0,
  };
}
