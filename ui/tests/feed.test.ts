import { describe, expect, it } from "vitest";
import { SessionFeed } from "../src/feed";
import type { SessionEvent } from "../src/types";

const ended = (reason: string) => ({ type: "ended", reason }) satisfies SessionEvent;

describe("a session's event feed", () => {
  it("holds events until the room view attaches, then delivers in order", () => {
    const feed = new SessionFeed();
    feed.push(ended("first"));
    feed.push(ended("second"));
    const seen: SessionEvent[] = [];
    feed.attach((e) => seen.push(e));
    feed.push(ended("third"));
    expect(seen.map((e) => (e as { reason: string }).reason)).toEqual(["first", "second", "third"]);
  });

  it("drops a left room's late events, so they cannot end the next room", () => {
    const old = new SessionFeed();
    const oldSeen: SessionEvent[] = [];
    old.attach((e) => oldSeen.push(e));
    old.close(); // "Leave room"
    const next = new SessionFeed();
    old.push(ended("you left the room")); // the old session's goodbye, late
    const nextSeen: SessionEvent[] = [];
    next.attach((e) => nextSeen.push(e));
    expect(oldSeen).toEqual([]);
    expect(nextSeen).toEqual([]);
  });

  it("stops delivering held events when the view closes it midway", () => {
    const feed = new SessionFeed();
    feed.push(ended("a"));
    feed.push(ended("b"));
    const seen: SessionEvent[] = [];
    feed.attach((e) => {
      seen.push(e);
      feed.close();
    });
    expect(seen.length).toBe(1);
  });
});
