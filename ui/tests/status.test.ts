import { describe, expect, it } from "vitest";
import { indicator } from "../src/status";

const connected = { state: "connected" as const };

describe("sync status indicator", () => {
  it("says in sync with the measured drift", () => {
    expect(indicator("synced", connected, 3.4)).toEqual({ tone: "good", label: "In sync", detail: "Drift +3 ms" });
  });
  it("shows correction with negative drift", () => {
    const i = indicator("correcting", connected, -57.8);
    expect(i.tone).toBe("busy");
    expect(i.detail).toContain("−58 ms");
  });
  it("puts the connection first", () => {
    expect(indicator("synced", { state: "reconnecting", attempt: 2, retry_in_ms: 1500 }, 1).label).toBe("Reconnecting");
    expect(indicator("synced", { state: "offline", reason: "relay gone" }, 1)).toEqual({ tone: "bad", label: "Offline", detail: "relay gone" });
  });
  it("covers every state", () => {
    for (const s of ["waiting", "seeking", "buffering", "player_closed", "no_room"] as const) {
      expect(indicator(s, connected, null).label.length).toBeGreaterThan(0);
    }
    expect(indicator("buffering", connected, null).tone).toBe("warn");
  });
});

describe("the end of the film", () => {
  it("says the film ended, or that only this copy did", () => {
    const ok = { state: "connected" as const };
    expect(indicator("ended", ok, null, true)).toMatchObject({ label: "Film ended" });
    expect(indicator("ended", ok, null, false)).toMatchObject({ label: "Your copy ended", tone: "warn" });
  });
});
