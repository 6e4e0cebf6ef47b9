// What the join card's fields say, as a pure function of what was typed
// and the invite it came from: the code's check and help, the relay field
// (its value when an invite fills it, whether it may be edited, its help),
// and whether Join may be pressed. Typing and pasting go through
// `typeIntoCode`, which reads a whole invite pasted into the code field.

import { checkCode, looksLikeInvite, normalizeRelay, parseInvite, type CodeCheck, type Invite } from "../../code";

export interface JoinForm {
  /** The code field's text. */
  code: string;
  /** The relay field's text, as typed (an invite's own relay fills it). */
  relay: string;
  /** The invite the fields came from, while its code is kept. */
  invite: Invite | null;
  /** Why the last paste was not an invite. */
  pasteError: string | null;
}

export interface JoinFormView {
  check: CodeCheck;
  codeHelp: string;
  /** Join may be pressed. */
  canJoin: boolean;
  relayValue: string;
  relayReadOnly: boolean;
  relayFromInvite: boolean;
  relayInvalid: boolean;
  relayHelp: string;
}

const CODE_HELP = "6 characters, from your host";

export const emptyJoinForm = (relay: string): JoinForm => ({ code: "", relay, invite: null, pasteError: null });

/** The form after an invite fills it. */
export function withInvite(invite: Invite): JoinForm {
  return { code: invite.code, relay: invite.relay ?? "", invite, pasteError: null };
}

/** The form after the code field's text became `text` (typed or pasted). */
export function typeIntoCode(f: JoinForm, text: string, settingsRelay: string): JoinForm {
  if (looksLikeInvite(text)) {
    const invite = parseInvite(text);
    if ("error" in invite) return { ...f, code: "", pasteError: invite.error };
    return withInvite(invite);
  }
  const code = text.toUpperCase();
  // Another code typed: the last invite's relay no longer applies.
  if (f.invite !== null && code !== f.invite.code) return { code, relay: settingsRelay, invite: null, pasteError: null };
  return { ...f, code, pasteError: null };
}

/** What the fields show. */
export function joinFormView(f: JoinForm): JoinFormView {
  const check = checkCode(f.code);
  const codeHelp = f.pasteError ?? (check.state === "invalid" ? check.message : check.state === "valid" ? "Looks good" : CODE_HELP);
  const hosts = f.invite?.hosts ?? 0;
  // An invite to the host's own relay carries its addresses and
  // certificate: the whole link goes to the app, the field only says so.
  if (f.invite !== null) {
    return {
      check,
      codeHelp,
      canJoin: check.state === "valid",
      relayValue:
        hosts > 0 ? `From the invite: the host’s computer (${hosts} address${hosts === 1 ? "" : "es"}, encrypted)` : f.relay,
      relayReadOnly: hosts > 0,
      relayFromInvite: true,
      relayInvalid: false,
      relayHelp: "From the invite",
    };
  }
  const typed = f.relay.trim();
  const r = typed ? normalizeRelay(typed) : null;
  return {
    check,
    codeHelp,
    canJoin: check.state === "valid",
    relayValue: f.relay,
    relayReadOnly: false,
    relayFromInvite: false,
    relayInvalid: r !== null && "error" in r,
    relayHelp: r === null ? "" : "error" in r ? r.error : r.url === typed ? "" : `Will connect to ${r.url}`,
  };
}

/** The invite to join with whole (a host's own relay, pinned), if the
 * code is still the invite's. */
export function pinnedInvite(f: JoinForm, code: string): Invite | null {
  return f.invite !== null && f.invite.hosts > 0 && f.invite.code === code ? f.invite : null;
}

/** The form after the relay field's text became `text`. An invite's own
 * relay edited by hand is the person's now; a host's pinned one cannot be. */
export function typeIntoRelay(f: JoinForm, text: string): JoinForm {
  if (f.invite !== null && f.invite.hosts > 0) return f;
  return { ...f, relay: text, invite: null };
}
