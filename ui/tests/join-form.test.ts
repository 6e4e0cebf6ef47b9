import { describe, expect, it } from "vitest";
import { emptyJoinForm, joinFormView, pinnedInvite, typeIntoCode, typeIntoRelay, withInvite } from "../src/views/lobby/join-form";
import { parseInvite, type Invite } from "../src/code";

const PIN = "TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
const invite = (link: string): Invite => {
  const i = parseInvite(link);
  if ("error" in i) throw new Error(i.error);
  return i;
};

describe("the join form", () => {
  it("checks the code as it is typed, upper-casing it", () => {
    let f = emptyJoinForm("");
    f = typeIntoCode(f, "k7m", "");
    expect(f.code).toBe("K7M");
    expect(joinFormView(f)).toMatchObject({ canJoin: false, codeHelp: "6 characters, from your host" });
    f = typeIntoCode(f, "k7mq2x", "");
    expect(joinFormView(f)).toMatchObject({ canJoin: true, codeHelp: "Looks good" });
    f = typeIntoCode(f, "K7MQ2O", "");
    expect(joinFormView(f).canJoin).toBe(false);
    expect(joinFormView(f).codeHelp).toContain("never use I, O, 0 or 1");
  });

  it("reads a pasted invite, and says why a broken one is none", () => {
    const settings = "wss://mine.example/ws";
    let f = typeIntoCode(emptyJoinForm(settings), "join us: matinee://join/K7MQ2X?relay=wss%3A%2F%2Fr.example%2Fws", settings);
    expect(f).toMatchObject({ code: "K7MQ2X", relay: "wss://r.example/ws", pasteError: null });
    expect(joinFormView(f)).toMatchObject({ relayValue: "wss://r.example/ws", relayHelp: "From the invite", relayReadOnly: false });
    f = typeIntoCode(f, "matinee://join/K7MQ2X?h=10.0.0.2:7878", settings);
    expect(f.code).toBe("");
    expect(joinFormView(f).codeHelp).toBe("The invite is cut short: copy the whole invite, up to its end.");
  });

  it("keeps a host's pinned invite whole until another code is typed", () => {
    const settings = "wss://mine.example/ws";
    const link = `matinee://join/K7MQ2X?h=10.0.0.2:7878,5.5.5.1:7878&fp=${PIN}`;
    let f = withInvite(invite(link));
    expect(joinFormView(f)).toMatchObject({
      relayReadOnly: true,
      relayValue: "From the invite: the host’s computer (2 addresses, encrypted)",
    });
    expect(pinnedInvite(f, "K7MQ2X")?.link).toBe(link);
    expect(typeIntoRelay(f, "elsewhere")).toBe(f);
    f = typeIntoCode(f, "ABCDEF", settings);
    expect(f.invite).toBeNull();
    expect(pinnedInvite(f, "ABCDEF")).toBeNull();
    expect(joinFormView(f)).toMatchObject({ relayValue: settings, relayReadOnly: false, relayFromInvite: false });
  });

  it("says what a typed relay will connect to", () => {
    let f = typeIntoRelay(emptyJoinForm(""), "192.168.1.5:7878");
    expect(joinFormView(f).relayHelp).toBe("Will connect to ws://192.168.1.5:7878/ws");
    f = typeIntoRelay(f, "ftp://x");
    expect(joinFormView(f).relayInvalid).toBe(true);
  });
});
