// Room codes: six characters from A–Z and 2–9 without I, O, 0 and 1.
// Mirrors crates/protocol/src/code.rs.

export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const CODE_LEN = 6;

export type CodeCheck =
  | { state: "empty" }
  | { state: "partial"; code: string }
  | { state: "valid"; code: string }
  | { state: "invalid"; message: string };

/** Checks what a person has typed so far (case-insensitive, dash allowed). */
export function checkCode(input: string): CodeCheck {
  const raw = input.trim().toUpperCase().replace(/-/g, "");
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
  const hosts = (params.get("h") ?? "").split(",").filter((h) => h.length > 0).length;
  if (hosts > 0 && !params.get("fp")) {
    return { error: "The invite is cut short: copy the whole invite, up to its end." };
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
    const port = /^[^:]+:(\d{1,5})$/.exec(authority);
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
