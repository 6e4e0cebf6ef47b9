import { describe, expect, it } from "vitest";
import { syncplayLine, syncplayServer } from "../src/syncplay";

describe("the Syncplay line", () => {
  it("takes host and port from the invite's web link or the relay URL", () => {
    expect(syncplayServer("http://203.0.113.7:7878/join/K7MQ2X?h=1&fp=ab")).toBe("203.0.113.7:7878");
    expect(syncplayServer("ws://127.0.0.1:7878/ws")).toBe("127.0.0.1:7878");
    expect(syncplayServer("wss://relay.example.org/ws")).toBe("relay.example.org:443");
    expect(syncplayServer("http://[2001:db8::5]:7878/join/K7MQ2X")).toBe("[2001:db8::5]:7878");
    expect(syncplayServer("not a url")).toBeNull();
    expect(syncplayServer(null)).toBeNull();
  });

  it("says what to type", () => {
    expect(syncplayLine("203.0.113.7:7878", "K7MQ2X")).toBe("Friends with Syncplay: server 203.0.113.7:7878, room K7MQ2X");
  });
});
