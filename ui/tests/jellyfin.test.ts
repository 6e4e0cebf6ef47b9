import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JellyfinItem, JellyfinStatus } from "../src/types";
import { QUICK_CONNECT_POLL_MS, STARTING_RETRIES, renderServerForm, renderSignIn } from "../src/views/jellyfin-login";
import { PAGE_SIZE, renderLibrary } from "../src/views/library";
import { choiceLabel } from "../src/views/jellyfin";

const server = { url: "http://media.lan:8096/", name: "Home", version: "10.11.11" };
const signedOut: JellyfinStatus = { server, user: null };
const signedIn: JellyfinStatus = { server, user: "ana" };

type Handler = (args: Record<string, unknown>) => unknown;
let calls: { cmd: string; args: Record<string, unknown> }[] = [];
function backend(handlers: Record<string, Handler>) {
  calls = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const h = handlers[cmd];
    if (!h) throw { kind: "test", message: `unexpected ${cmd}` };
    return h(a);
  });
}
const last = <T>(list: T[]): T => list[list.length - 1];
const settle = () => new Promise((r) => setTimeout(r, 10));
const button = (root: HTMLElement, text: string) =>
  [...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent === text)!;
function type(root: HTMLElement, selector: string, value: string) {
  const input = root.querySelector<HTMLInputElement>(selector)!;
  input.value = value;
  input.dispatchEvent(new Event("input"));
}
function submit(form: HTMLElement) {
  form.dispatchEvent(new Event("submit", { cancelable: true }));
}

function item(n: number, extra: Partial<JellyfinItem> = {}): JellyfinItem {
  return {
    id: `id${n}`,
    name: `Film ${n}`,
    kind: "Movie",
    year: 2000 + n,
    runtime_seconds: 5400,
    resume_seconds: null,
    played: false,
    overview: `About film ${n}`,
    series_name: null,
    series_id: null,
    season: null,
    episode: null,
    has_poster: true,
    playable: true,
    keeps_resume_point: true,
    ...extra,
  };
}

afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});

describe("server and sign-in forms", () => {
  it("checks the server address and shows why it failed", async () => {
    backend({
      jellyfin_connect: (a) => {
        if (a.url === "http://nas:8096") throw { kind: "jellyfin_not_jellyfin", message: "http://nas:8096/ answered, but it is not a Jellyfin server." };
        return signedOut;
      },
    });
    const connected: JellyfinStatus[] = [];
    const form = renderServerForm("", (s) => connected.push(s));
    document.body.replaceChildren(form);
    submit(form);
    expect(form.querySelector(".error")!.textContent).toBe("Enter your server's address.");
    expect(calls).toEqual([]);

    type(form, "#jf-url", " http://nas:8096 ");
    submit(form);
    await settle();
    expect(calls[0]).toEqual({ cmd: "jellyfin_connect", args: { url: "http://nas:8096" } });
    expect(form.querySelector<HTMLElement>(".error")!.hidden).toBe(false);
    expect(form.querySelector(".error")!.textContent).toContain("not a Jellyfin server");
    expect(connected).toEqual([]);

    type(form, "#jf-url", "http://media.lan:8096");
    submit(form);
    await settle();
    expect(connected).toEqual([signedOut]);
  });

  it("asks a server that is still starting again by itself, counting down", async () => {
    vi.useFakeTimers();
    let starting = 2;
    backend({
      jellyfin_connect: () => {
        if (starting-- > 0) throw { kind: "jellyfin_starting", message: "The server is still starting.", retry_after_s: 3 };
        return signedOut;
      },
    });
    const connected: JellyfinStatus[] = [];
    const form = renderServerForm("http://nas:8096", (s) => connected.push(s));
    document.body.replaceChildren(form);
    submit(form);
    await vi.advanceTimersByTimeAsync(0);
    const said = () => form.querySelector(".error")!.textContent;
    expect(said()).toContain("still starting");
    expect(said()).toContain("Trying again in 3 s");
    await vi.advanceTimersByTimeAsync(1000);
    expect(said()).toContain("Trying again in 2 s");
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls.filter((c) => c.cmd === "jellyfin_connect")).toHaveLength(2);
    expect(connected).toEqual([]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls.filter((c) => c.cmd === "jellyfin_connect")).toHaveLength(3);
    expect(connected).toEqual([signedOut]);
    expect(form.querySelector<HTMLElement>(".error")!.hidden).toBe(true);
  });

  it("stops asking a starting server when the address changes, and gives up in time", async () => {
    vi.useFakeTimers();
    backend({
      jellyfin_connect: () => {
        throw { kind: "jellyfin_starting", message: "The server is still starting.", retry_after_s: 1 };
      },
    });
    const form = renderServerForm("http://nas:8096", () => {});
    document.body.replaceChildren(form);
    submit(form);
    await vi.advanceTimersByTimeAsync(0);
    type(form, "#jf-url", "http://other:8096");
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(1);

    submit(form);
    await vi.advanceTimersByTimeAsync((STARTING_RETRIES + 5) * 1000);
    expect(calls).toHaveLength(1 + STARTING_RETRIES + 1);
    expect(form.querySelector(".error")!.textContent).toContain("starting for a long time");
  });

  it("signs in with a password and says when it is wrong", async () => {
    backend({
      jellyfin_sign_in: (a) => {
        if (a.password !== "correct horse") throw { kind: "jellyfin_credentials", message: "Wrong username or password." };
        return signedIn;
      },
    });
    const done: JellyfinStatus[] = [];
    const view = renderSignIn(signedOut, { onSignedIn: (s) => done.push(s), onChangeServer: () => {} });
    document.body.replaceChildren(view.root);
    // The address in use (the one a redirecting server led to) is shown.
    expect(view.root.textContent).toContain("Home · Jellyfin 10.11.11 · http://media.lan:8096/");
    const form = view.root.querySelector<HTMLFormElement>(".jf-password")!;
    submit(form);
    expect(view.root.querySelector(".error")!.textContent).toBe("Enter your Jellyfin username.");

    type(view.root, "#jf-user", "ana");
    type(view.root, "#jf-pass", "nope");
    submit(form);
    await settle();
    expect(view.root.querySelector(".error")!.textContent).toBe("Wrong username or password.");
    expect(done).toEqual([]);

    type(view.root, "#jf-pass", "correct horse");
    submit(form);
    await settle();
    expect(last(calls)).toEqual({ cmd: "jellyfin_sign_in", args: { username: "ana", password: "correct horse" } });
    expect(done).toEqual([signedIn]);
  });

  it("shows the Quick Connect code big and signs in once it is approved", async () => {
    vi.useFakeTimers();
    let approved = false;
    backend({
      jellyfin_quick_connect_start: () => "482913",
      jellyfin_quick_connect_poll: () => (approved ? signedIn : null),
    });
    const done: JellyfinStatus[] = [];
    const view = renderSignIn(signedOut, { onSignedIn: (s) => done.push(s), onChangeServer: () => {} });
    document.body.replaceChildren(view.root);
    button(view.root, "Use Quick Connect").click();
    await vi.advanceTimersByTimeAsync(0);
    const code = view.root.querySelector<HTMLElement>(".qc-code")!;
    expect(code.hidden).toBe(false);
    expect(code.textContent).toBe("482913");
    expect(view.root.textContent).toContain("Waiting for approval");

    await vi.advanceTimersByTimeAsync(QUICK_CONNECT_POLL_MS * 2);
    expect(calls.filter((c) => c.cmd === "jellyfin_quick_connect_poll").length).toBe(2);
    expect(done).toEqual([]);
    approved = true;
    await vi.advanceTimersByTimeAsync(QUICK_CONNECT_POLL_MS);
    expect(done).toEqual([signedIn]);
    // Polling stops once signed in.
    await vi.advanceTimersByTimeAsync(QUICK_CONNECT_POLL_MS * 3);
    expect(calls.filter((c) => c.cmd === "jellyfin_quick_connect_poll").length).toBe(3);
  });

  it("says when Quick Connect is off or the code expired", async () => {
    vi.useFakeTimers();
    let started = 0;
    backend({
      jellyfin_quick_connect_start: () => {
        if (started++ === 0) throw { kind: "jellyfin_quick_connect", message: "Quick Connect is turned off on this server." };
        return "111111";
      },
      jellyfin_quick_connect_poll: () => {
        throw { kind: "jellyfin_quick_connect", message: "The Quick Connect code expired: start again." };
      },
    });
    const view = renderSignIn(signedOut, { onSignedIn: () => {}, onChangeServer: () => {} });
    document.body.replaceChildren(view.root);
    button(view.root, "Use Quick Connect").click();
    await vi.advanceTimersByTimeAsync(0);
    expect(view.root.querySelector(".error")!.textContent).toContain("turned off");
    button(view.root, "Use Quick Connect").click();
    await vi.advanceTimersByTimeAsync(QUICK_CONNECT_POLL_MS);
    expect(view.root.querySelector(".error")!.textContent).toContain("expired");
    expect(view.root.querySelector<HTMLElement>(".qc-code")!.hidden).toBe(true);
  });
});

describe("library grid", () => {
  const films = Array.from({ length: 30 }, (_, i) => item(i + 1));
  const series = item(99, { kind: "Series", name: "The Show", playable: false, runtime_seconds: null });
  const season = item(100, { kind: "Season", name: "Season 1", playable: false });
  const episode = item(101, { kind: "Episode", name: "Pilot", series_name: "The Show", season: 1, episode: 1, resume_seconds: 754 });

  beforeEach(() => {
    backend({
      jellyfin_libraries: () => [item(0, { id: "lib-films", name: "Films", kind: "CollectionFolder", playable: false }), item(0, { id: "lib-shows", name: "Shows", kind: "CollectionFolder", playable: false })],
      jellyfin_items: (a) => {
        const r = a.request as { library: string | null; search: string | null; start: number; limit: number };
        if (r.search) return { items: [series], total: 1, start: 0 };
        if (r.library === "lib-shows") return { items: [], total: 0, start: 0 };
        return { items: films.slice(r.start, r.start + r.limit), total: films.length, start: r.start };
      },
      jellyfin_poster: (a) => `data:image/png;base64,${a.id}`,
      jellyfin_seasons: () => [season],
      jellyfin_episodes: () => [episode],
    });
  });

  it("shows a page of posters, then more on demand", async () => {
    const lib = renderLibrary(signedIn, { mode: "watch", onPick: () => {}, onSignedOut: () => {} });
    document.body.replaceChildren(lib.root);
    await lib.ready;
    await settle();
    const tabs = [...lib.root.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
    expect(tabs.map((t) => t.textContent)).toEqual(["Films", "Shows"]);
    expect(tabs[0].getAttribute("aria-selected")).toBe("true");
    let cards = lib.root.querySelectorAll(".poster-card");
    expect(cards.length).toBe(PAGE_SIZE);
    expect(cards[0].textContent).toContain("Film 1");
    expect(cards[0].textContent).toContain("2001");
    expect(lib.root.textContent).toContain(`Showing ${PAGE_SIZE} of 30`);
    const img = cards[0].querySelector("img")!;
    expect(img.src).toBe("data:image/png;base64,id1");
    expect(calls.find((c) => c.cmd === "jellyfin_poster")!.args).toEqual({ id: "id1", height: 300 });

    button(lib.root, "Load more").click();
    await settle();
    cards = lib.root.querySelectorAll(".poster-card");
    expect(cards.length).toBe(30);
    expect(button(lib.root, "Load more").hidden).toBe(true);
    expect(last(calls.filter((c) => c.cmd === "jellyfin_items")).args).toEqual({ request: { library: "lib-films", search: null, start: PAGE_SIZE, limit: PAGE_SIZE } });

    tabs[1].click();
    await settle();
    expect(lib.root.querySelectorAll(".poster-card").length).toBe(0);
    expect(lib.root.querySelector(".empty")!.textContent).toBe("This library is empty.");
  });

  it("searches as you type, and goes from a series to an episode to watch", async () => {
    const picked: [JellyfinItem, number | null][] = [];
    const lib = renderLibrary(signedIn, { mode: "watch", onPick: (i, r) => picked.push([i, r]), onSignedOut: () => {} });
    document.body.replaceChildren(lib.root);
    await lib.ready;
    type(lib.root, "#jf-search", "show");
    await new Promise((r) => setTimeout(r, 350));
    await settle();
    expect(last(calls.filter((c) => c.cmd === "jellyfin_items")).args).toEqual({ request: { library: null, search: "show", start: 0, limit: PAGE_SIZE } });
    const cards = lib.root.querySelectorAll<HTMLButtonElement>(".poster-card");
    expect(cards.length).toBe(1);
    cards[0].click();
    await settle();
    const details = lib.root.querySelector<HTMLElement>(".jf-details")!;
    expect(details.hidden).toBe(false);
    expect(details.querySelector("h2")!.textContent).toBe("The Show");
    expect(details.querySelector('[role="tab"]')!.textContent).toBe("Season 1");
    const ep = details.querySelector<HTMLButtonElement>(".episode")!;
    expect(ep.textContent).toContain("Pilot");
    expect(ep.textContent).toContain("Stopped at 12:34");
    ep.click();
    expect(details.querySelector("h2")!.textContent).toBe("Pilot");
    expect(details.textContent).toContain("The Show · S1E1");
    expect(details.textContent).toContain("Resume from 12:34");
    button(lib.root, "Watch this").click();
    expect(picked).toEqual([[episode, 754]]);
    lib.root.querySelector<HTMLInputElement>("#jf-resume")!.checked = false;
    button(lib.root, "Watch this").click();
    expect(picked[1]).toEqual([episode, null]);
    expect(choiceLabel(episode, 754)).toBe("Pilot · The Show · S1E1 · 2101 · 1 h 30 min · from 12:34");

    button(lib.root, "← Back to the library").click();
    expect(details.hidden).toBe(true);
  });

  it("hosts a whole series or a season, and adds anything to the room's queue", async () => {
    const open = async (mode: "watch" | "host" | "queue") => {
      const picked: [JellyfinItem, number | null][] = [];
      const lib = renderLibrary(signedIn, { mode, onPick: (i, r) => picked.push([i, r]), onSignedOut: () => {} });
      document.body.replaceChildren(lib.root);
      await lib.ready;
      type(lib.root, "#jf-search", "show");
      await new Promise((r) => setTimeout(r, 350));
      await settle();
      lib.root.querySelector<HTMLButtonElement>(".poster-card")!.click();
      await settle();
      return { lib, picked, groups: () => [...lib.root.querySelectorAll(".group-pick")].map((b) => b.textContent) };
    };
    // Joining: one thing to watch, never a whole series.
    expect((await open("watch")).groups()).toEqual([]);

    const host = await open("host");
    expect(host.groups()).toEqual(["Watch the whole series", "Watch this season"]);
    button(host.lib.root, "Watch this season").click();
    expect(host.picked).toEqual([[season, null]]);
    expect(choiceLabel(series, null)).toBe("The Show · every episode, one after another");

    const queue = await open("queue");
    expect(queue.groups()).toEqual(["Add the whole series to the queue", "Add this season to the queue"]);
    button(queue.lib.root, "Add the whole series to the queue").click();
    queue.lib.root.querySelector<HTMLButtonElement>(".episode")!.click();
    // An episode is added from its start: no resume in a queue.
    expect(queue.lib.root.textContent).not.toContain("Resume from");
    button(queue.lib.root, "Add to the queue").click();
    expect(queue.picked).toEqual([
      [series, null],
      [episode, null],
    ]);
  });

  it("lists what is left when the admin hides a library, and stays signed in", async () => {
    let hidden = false;
    const films = item(0, { id: "lib-films", name: "Films", kind: "CollectionFolder", playable: false });
    const shows = item(0, { id: "lib-shows", name: "Shows", kind: "CollectionFolder", playable: false });
    backend({
      jellyfin_libraries: () => (hidden ? [shows] : [films, shows]),
      jellyfin_items: (a) => {
        const r = a.request as { library: string | null };
        if (r.library === "lib-films") {
          hidden = true;
          throw { kind: "jellyfin_no_access", message: "You no longer have access to this library." };
        }
        return { items: [item(7)], total: 1, start: 0 };
      },
      jellyfin_poster: () => "data:,",
    });
    const out: JellyfinStatus[] = [];
    const lib = renderLibrary(signedIn, { mode: "watch", onPick: () => {}, onSignedOut: (s) => out.push(s) });
    document.body.replaceChildren(lib.root);
    await lib.ready;
    await settle();
    expect(out).toEqual([]);
    const tabs = [...lib.root.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
    expect(tabs.map((t) => t.textContent)).toEqual(["Shows"]);
    expect(lib.root.querySelector(".error")!.textContent).toContain("no longer have access");
    expect(lib.root.querySelectorAll(".poster-card")).toHaveLength(1);
  });

  it("says a video without a length keeps no resume point", async () => {
    const video = item(5, { kind: "Video", name: "Beach day", runtime_seconds: null, keeps_resume_point: false });
    backend({
      jellyfin_libraries: () => [item(0, { id: "lib-home", name: "Home videos", kind: "CollectionFolder", playable: false })],
      jellyfin_items: () => ({ items: [video, item(6)], total: 2, start: 0 }),
      jellyfin_poster: () => "data:,",
    });
    const lib = renderLibrary(signedIn, { mode: "watch", onPick: () => {}, onSignedOut: () => {} });
    document.body.replaceChildren(lib.root);
    await lib.ready;
    await settle();
    lib.root.querySelector<HTMLButtonElement>('[data-id="id5"]')!.click();
    expect(lib.root.querySelector(".no-resume")!.textContent).toContain("keeps no place to resume from");
    button(lib.root, "← Back to the library").click();
    lib.root.querySelector<HTMLButtonElement>('[data-id="id6"]')!.click();
    expect(lib.root.querySelector(".no-resume")).toBeNull();
  });

  it("goes back to sign-in when the server ended the session", async () => {
    backend({
      jellyfin_libraries: () => {
        throw { kind: "jellyfin_signed_out", message: "The server ended this sign-in: sign in again." };
      },
      jellyfin_status: () => signedOut,
    });
    const out: JellyfinStatus[] = [];
    const lib = renderLibrary(signedIn, { mode: "watch", onPick: () => {}, onSignedOut: (s) => out.push(s) });
    await lib.ready;
    expect(out).toEqual([signedOut]);
  });
});
