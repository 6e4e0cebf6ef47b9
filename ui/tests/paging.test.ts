import { describe, expect, it } from "vitest";
import { nextRequest, PAGE_SIZE, pagingView, restart, startPaging, withPage } from "../src/views/library/paging";
import type { JellyfinItem } from "../src/types";

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `i${i}` }) as unknown as JellyfinItem);

describe("the library's paging", () => {
  it("asks page after page, and stops at the end", () => {
    let p = restart(startPaging(), { library: "films" });
    expect(nextRequest(p)).toEqual({ library: "films", search: null, start: 0, limit: PAGE_SIZE });
    p = withPage(p, { items: items(PAGE_SIZE), total: 30, start: 0 });
    expect(nextRequest(p).start).toBe(PAGE_SIZE);
    expect(pagingView(p, PAGE_SIZE, "Home")).toEqual({ empty: null, count: `Showing ${PAGE_SIZE} of 30`, more: true });
    p = withPage(p, { items: items(6), total: 30, start: PAGE_SIZE });
    expect(pagingView(p, 6, "Home")).toEqual({ empty: null, count: "Showing 30 of 30", more: false });
  });

  it("searches the whole server, and a new list outdates the old one's pages", () => {
    const films = restart(startPaging(), { library: "films" });
    const found = restart(films, { term: "show" });
    expect(found.generation).toBeGreaterThan(films.generation);
    expect(nextRequest(found)).toEqual({ library: null, search: "show", start: 0, limit: PAGE_SIZE });
    expect(pagingView(withPage(found, { items: [], total: 0, start: 0 }), 0, "Home").empty).toBe("Nothing on Home matches “show”.");
    expect(pagingView(withPage(films, { items: [], total: 0, start: 0 }), 0, "Home").empty).toBe("This library is empty.");
  });
});
