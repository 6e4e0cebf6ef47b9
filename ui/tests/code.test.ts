import { describe, expect, it } from "vitest";
import parseVectors from "../src/generated/parse-vectors.json";
import { checkCode, inviteLink, looksLikeInvite, normalizeRelay, parseInvite } from "../src/code";

describe("room code validation as you type", () => {
  it("accepts lower case, spaces and a middle dash", () => {
    expect(checkCode(" k7m-q2x ")).toEqual({ state: "valid", code: "K7MQ2X" });
  });
  it("reports partial codes without an error", () => {
    expect(checkCode("K7M")).toEqual({ state: "partial", code: "K7M" });
    expect(checkCode("")).toEqual({ state: "empty" });
  });
  it("explains look-alike characters", () => {
    const c = checkCode("K7O");
    expect(c.state).toBe("invalid");
    if (c.state === "invalid") expect(c.message).toContain("never use I, O, 0 or 1");
    expect(checkCode("ABC1").state).toBe("invalid");
    expect(checkCode("ABCDEFG").state).toBe("invalid");
    expect(checkCode("AB$").state).toBe("invalid");
  });
});

describe("invite links", () => {
  it("round-trips code and relay", () => {
    const link = inviteLink("K7MQ2X", "ws://192.168.1.20:7878/ws");
    expect(parseInvite(link)).toEqual({ code: "K7MQ2X", relay: "ws://192.168.1.20:7878/ws", hosts: 0, link });
  });
  it("accepts a link without relay and lower-case codes", () => {
    expect(parseInvite("matinee://join/k7mq2x")).toEqual({
      code: "K7MQ2X",
      relay: null,
      hosts: 0,
      link: "matinee://join/k7mq2x",
    });
  });
  it("keeps a host invite whole, with its addresses and pin", () => {
    const link = "matinee://join/K7MQ2X?h=10.0.0.2:7878,5.5.5.1:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
    expect(parseInvite(` ${link} `)).toEqual({ code: "K7MQ2X", relay: null, hosts: 2, link });
    expect(parseInvite("matinee://join/K7MQ2X?h=10.0.0.2:7878")).toEqual({
      error: "The invite is cut short: copy the whole invite, up to its end.",
    });
  });
  it("rejects malformed links with a clear message", () => {
    expect(parseInvite("https://example.com")).toHaveProperty("error");
    expect(parseInvite("matinee://join/K7MQ")).toEqual({ error: "The invite’s room code is incomplete." });
    const bad = parseInvite("matinee://join/K7MQ2X?relay=javascript:alert(1)");
    expect(bad).toHaveProperty("error");
  });
  it("finds the invite in a pasted chat line or the relay's web link", () => {
    const link = "matinee://join/K7MQ2X?h=192.168.1.20:7878,203.0.113.7:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
    const want = { code: "K7MQ2X", relay: null, hosts: 2, link };
    expect(parseInvite(`Join us tonight: ${link}`)).toEqual(want);
    expect(parseInvite(`Join us tonight: ${link}.`)).toEqual(want);
    expect(parseInvite(`<${link}>`)).toEqual(want);
    expect(parseInvite(`“${link}” see you at 8`)).toEqual(want);
    // The Copy web link URL: the same invite, as the app link.
    const web = "http://203.0.113.7:7878/join/K7MQ2X?h=192.168.1.20:7878,203.0.113.7:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
    expect(parseInvite(web)).toEqual(want);
    expect(parseInvite(`(the web link: ${web})`)).toEqual(want);
    expect(parseInvite(`see https://example.com/film then ${link}`)).toEqual(want);
    expect(parseInvite("here: matinee://join/K7MQ2X?h=10.0.0.2:7878 thanks")).toEqual({
      error: "The invite is cut short: copy the whole invite, up to its end.",
    });
    expect(parseInvite("no link at all")).toHaveProperty("error");
  });
});

describe("relay addresses people type", () => {
  it("completes them like the app does", () => {
    expect(normalizeRelay("relay.example.com")).toEqual({ url: "wss://relay.example.com/ws" });
    expect(normalizeRelay("192.168.1.5:7878")).toEqual({ url: "ws://192.168.1.5:7878/ws" });
    expect(normalizeRelay("https://relay.example.com")).toEqual({ url: "wss://relay.example.com/ws" });
    expect(normalizeRelay("http://10.0.0.2:7878/")).toEqual({ url: "ws://10.0.0.2:7878/ws" });
    expect(normalizeRelay("wss://relay.example.com/ws")).toEqual({ url: "wss://relay.example.com/ws" });
  });
  it("refuses what is no address", () => {
    for (const bad of ["", "ftp://x", "two words", "wss://", "javascript:alert(1)"]) {
      expect(normalizeRelay(bad)).toHaveProperty("error");
    }
  });
  it("tells a pasted invite from a code", () => {
    expect(looksLikeInvite("matinee://join/K7MQ2X")).toBe(true);
    expect(looksLikeInvite("http://5.5.5.1:7878/join/K7MQ2X?h=x")).toBe(true);
    expect(looksLikeInvite("K7MQ2X")).toBe(false);
  });
});

// What the Rust parsers make of tricky inputs (written by
// crates/protocol/tests/ui_vectors.rs): the window's parsers must agree.
interface Vectors {
  codes: { input: string; code: string | null }[];
  invites: ({ input: string; ok: true; code: string; relay: string | null; hosts: number } | { input: string; ok: false })[];
  relays: { input: string; url: string | null }[];
}
const vectors = parseVectors as Vectors;

/** JSON with its keys in order, to compare values whatever their keys' order. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));

/** The vectors where `got` differs from what Rust made of them, side by side. */
function disagreements<V extends { input: string }>(list: V[], got: (v: V) => unknown) {
  return list
    .map((want) => ({ want, got: got(want) }))
    .filter(({ want, got }) => canonical(got) !== canonical(want));
}

describe("the window's parsers agree with the app's (Rust) on every vector", () => {
  it("room codes", () => {
    expect(vectors.codes.length).toBeGreaterThan(10);
    const off = disagreements(vectors.codes, (v) => {
      const c = checkCode(v.input);
      return { input: v.input, code: c.state === "valid" ? c.code : null };
    });
    expect(off).toEqual([]);
  });
  it("invites", () => {
    expect(vectors.invites.length).toBeGreaterThan(10);
    const off = disagreements(vectors.invites, (v) => {
      const i = parseInvite(v.input);
      return "error" in i ? { input: v.input, ok: false } : { input: v.input, ok: true, code: i.code, relay: i.relay, hosts: i.hosts };
    });
    expect(off).toEqual([]);
  });
  it("relay addresses", () => {
    expect(vectors.relays.length).toBeGreaterThan(10);
    const off = disagreements(vectors.relays, (v) => {
      const r = normalizeRelay(v.input);
      return { input: v.input, url: "url" in r ? r.url : null };
    });
    expect(off).toEqual([]);
  });
});
