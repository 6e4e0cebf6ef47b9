// Room codes: six characters from A–Z and 2–9 without I, O, 0 and 1.
// Mirrors crates/protocol/src/code.rs and invite.rs; ui/tests/code.test.ts
// checks every answer against what the Rust parsers make of the same
// inputs (ui/src/generated/parse-vectors.json, written by a Rust test).

export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const CODE_LEN = 6;

export type CodeCheck =
  | { state: "empty" }
  | { state: "partial"; code: string }
  | { state: "valid"; code: string }
  | { state: "invalid"; message: string };

/** Checks what a person has typed so far (case-insensitive; one dash in
 * the middle, as in K7M-Q2X, is allowed). */
export function checkCode(input: string): CodeCheck {
  const typed = input.trim().toUpperCase();
  const middleDash = typed.length > CODE_LEN / 2 && typed[CODE_LEN / 2] === "-";
  const raw = middleDash ? typed.slice(0, CODE_LEN / 2) + typed.slice(CODE_LEN / 2 + 1) : typed;
  if (raw.length === 0) return { state: "empty" };
  for (const c of raw) {
    if (!CODE_ALPHABET.includes(c)) {
      const hint = "IO01".includes(c) ? " (codes never use I, O, 0 or 1)" : "";
      return { state: "invalid", message: `“${c}” can’t be in a room code${hint}` };
    }
  }
  if (raw.length > CODE_LEN) {
    return { state: "invalid", message: `A room code has ${CODE_LEN} characters` };
  }
  return raw.length === CODE_LEN ? { state: "valid", code: raw } : { state: "partial", code: raw };
}

/**
 * An invite: matinee://join/CODE?h=ADDR,ADDR&fp=PIN (the host's own relay,
 * pinned) or matinee://join/CODE?relay=URL (a relay). The app checks the
 * whole link again when joining; `link` keeps it.
 */
export interface Invite {
  code: string;
  relay: string | null;
  /** How many addresses of the host's own relay the invite names. */
  hosts: number;
  link: string;
}

/** Most addresses of the host's relay an invite names. */
const MAX_HOSTS = 8;
/** `a.b.c.d:port`, `[v6]:port` or `name:port`. */
const HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i;
/** A SHA-256 in URL-safe base64 without padding (43 characters). */
const PIN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const validPort = (p: string) => Number(p) > 0 && Number(p) <= 65535;

/** An app link or the relay's web link, anywhere in a text. */
const INVITE_IN_TEXT = /(?:matinee:\/\/join\/|https?:\/\/[^\s/<>"“”']+\/join\/)[^\s<>"“”']+/gi;
const NOT_AN_INVITE = "That is not a Matinee invite link (it should start with matinee://join/).";

/**
 * The invite in what a person pasted: the app link, the relay's web link
 * (http://HOST/join/CODE?…), or a chat line holding either (mirrors
 * Invite::find_in in crates/protocol/src/invite.rs). The first link that
 * reads as an invite wins; else the first one's error says why.
 */
export function parseInvite(text: string): Invite | { error: string } {
  const links = [...text.matchAll(INVITE_IN_TEXT)].map((m) => m[0].replace(/[)\].,;!]+$/, ""));
  let firstError: string | null = null;
  for (const link of links) {
    const invite = parseLink(link);
    if (!("error" in invite)) return invite;
    firstError ??= invite.error;
  }
  return { error: firstError ?? NOT_AN_INVITE };
}

function parseLink(text: string): Invite | { error: string } {
  const m = /^(?:matinee:\/\/join\/|https?:\/\/[^/]+\/join\/)([^?#/]+)\/?(?:\?([^#]*))?(?:#.*)?$/i.exec(text);
  if (!m) return { error: NOT_AN_INVITE };
  const check = checkCode(decodeURIComponent(m[1]));
  if (check.state !== "valid") {
    return { error: check.state === "invalid" ? check.message : "The invite’s room code is incomplete." };
  }
  const query = m[2] ?? "";
  const params = new URLSearchParams(query);
  const relay = params.get("relay");
  if (relay !== null && !/^wss?:\/\/[^\s]+$/i.test(relay)) {
    return { error: "The invite’s relay address is not a ws:// or wss:// URL." };
  }
  const hostList = (params.get("h") ?? "").split(",").filter((h) => h.length > 0);
  const badHost = hostList.find((h) => !HOST_PORT.test(h) || !validPort(h.slice(h.lastIndexOf(":") + 1)));
  if (badHost !== undefined || hostList.length > MAX_HOSTS) {
    return { error: "The invite’s host address is not valid: copy the whole invite again." };
  }
  const hosts = hostList.length;
  const pin = params.get("fp");
  if (hosts > 0 && !pin) {
    return { error: "The invite is cut short: copy the whole invite, up to its end." };
  }
  if (pin !== null && !PIN.test(pin)) {
    return { error: "The invite’s certificate pin is damaged: copy the whole invite again." };
  }
  // The app link as found; a web link becomes one (it carries the same query).
  const link = /^matinee:/i.test(text) ? text : `matinee://join/${check.code}${query ? `?${query}` : ""}`;
  return { code: check.code, relay, hosts, link };
}

export function inviteLink(code: string, relay: string): string {
  return `matinee://join/${code}?relay=${encodeURIComponent(relay)}`;
}

/**
 * A relay's WebSocket URL from what people type (mirrors
 * relay_url_from_input in crates/protocol/src/invite.rs): a name means
 * wss://NAME/ws, host:port (not 443) means ws://host:port/ws, http(s)://
 * becomes ws(s)://, and a missing path becomes /ws.
 */
export function normalizeRelay(input: string): { url: string } | { error: string } {
  const text = input.trim();
  const bad = { error: `“${text.slice(0, 80)}” is not a relay address (it looks like relay.example.com, 192.168.1.5:7878 or wss://relay.example.com/ws)` };
  if (text.length === 0 || /\s/.test(text)) return bad;
  const m = /^([a-z]+):\/\/(.*)$/i.exec(text);
  let scheme: string;
  let rest: string;
  if (m) {
    const given = m[1].toLowerCase();
    if (given === "ws" || given === "http") scheme = "ws";
    else if (given === "wss" || given === "https") scheme = "wss";
    else return bad;
    rest = m[2];
  } else {
    const authority = text.split("/")[0];
    const port = /^.*[^:]:(\d{1,5})$/.exec(authority);
    scheme = port && Number(port[1]) !== 443 ? "ws" : "wss";
    rest = text;
  }
  const slash = rest.indexOf("/");
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 || slash === rest.length - 1 ? "ws" : rest.slice(slash + 1);
  const hostPort = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:(\d{1,5}))?$/i.exec(authority);
  if (!hostPort || (hostPort[3] !== undefined && (Number(hostPort[3]) === 0 || Number(hostPort[3]) > 65535))) return bad;
  return { url: `${scheme}://${authority}/${path}` };
}

/** Whether pasted text is a whole invite rather than a code. */
export function looksLikeInvite(text: string): boolean {
  return /:\/\//.test(text) || /\/join\//i.test(text);
}
