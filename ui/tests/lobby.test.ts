import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { renderLobby } from "../src/views/lobby";
import type { RoomInfo } from "../src/types";

const settings = { nickname: "Ana", relay_url: "", mpv_path: "", control_mode: "host_only" as const, controller: "matinee" as const, iroh_relay: "" };
afterEach(() => clearMocks());

function typeCode(root: HTMLElement, value: string) {
  const input = root.querySelector<HTMLInputElement>("#join-code")!;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  return input;
}

describe("join dialog", () => {
  it("validates the code as you type", () => {
    const { root } = renderLobby({ settings, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(root);
    const join = [...root.querySelectorAll("button")].find((b) => b.textContent === "Join room")!;
    expect(join.disabled).toBe(true);
    typeCode(root, "k7o");
    expect(root.querySelector("#code-help")!.textContent).toContain("never use I, O, 0 or 1");
    expect(join.disabled).toBe(true);
    const input = typeCode(root, "k7mq2x");
    expect(input.value).toBe("K7MQ2X");
    expect(input.classList.contains("valid")).toBe(true);
    expect(join.disabled).toBe(false);
  });

  it("is pre-filled from an invite", () => {
    const link = "matinee://join/K7MQ2X?relay=ws%3A%2F%2F10.0.0.2%3A7878%2Fws";
    const prefill = { code: "K7MQ2X", relay: "ws://10.0.0.2:7878/ws", hosts: 0, link };
    const { root } = renderLobby({ settings, prefill, onEntered: () => {} });
    expect(root.querySelector<HTMLInputElement>("#join-code")!.value).toBe("K7MQ2X");
    expect(root.querySelector<HTMLInputElement>("#join-relay")!.value).toBe("ws://10.0.0.2:7878/ws");
  });

  it("joins a host's own relay with the whole invite, pinned", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      throw { kind: "not_your_host", message: "wss://5.5.5.1:7878/ws is not your host's relay" };
    });
    const link = "matinee://join/K7MQ2X?h=10.0.0.2:7878,5.5.5.1:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
    const lobby = renderLobby({ settings, prefill: { code: "K7MQ2X", relay: null, hosts: 2, link }, onEntered: () => {} });
    document.body.replaceChildren(lobby.root);
    const relay = lobby.root.querySelector<HTMLInputElement>("#join-relay")!;
    expect(relay.readOnly).toBe(true);
    expect(relay.value).toContain("From the invite");
    lobby.dropFile("/films/film.mkv");
    [...lobby.root.querySelectorAll("button")].find((b) => b.textContent === "Join room")!.click();
    await new Promise((r) => setTimeout(r, 20));
    const call = calls.find((c) => c.cmd === "join_room")!;
    expect(call.args).toMatchObject({ code: "K7MQ2X", relay: null, invite: link });
    expect(lobby.root.querySelector(".error")!.textContent).toContain("not your host's relay");
  });

  it("refuses a file that is not a film when it is dropped, and says why", () => {
    mockIPC(() => 0);
    const lobby = renderLobby({ settings, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(lobby.root);
    lobby.dropFile("/home/ana/notes.txt");
    const error = lobby.root.querySelector(".error")!;
    expect(error.textContent).toBe("notes.txt is not a film: choose a video file.");
    expect(lobby.root.querySelector(".drop-zone.has-file")).toBeNull();
    lobby.dropFile("/home/ana/film.en.srt");
    expect(error.textContent).toContain("film.en.srt is a subtitle file");
    lobby.dropFile("/home/ana/film.mkv");
    expect((error as HTMLElement).hidden).toBe(true);
    expect(lobby.root.querySelector(".drop-zone.has-file .file-name")!.textContent).toBe("film.mkv");
  });

  it("clears an old error on a good paste, and forgets the invite's relay when another code is typed", () => {
    mockIPC(() => 0);
    const lobby = renderLobby({ settings: { ...settings, relay_url: "relay.example.com" }, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(lobby.root);
    lobby.dropFile("/home/ana/notes.txt");
    const error = lobby.root.querySelector<HTMLElement>(".error")!;
    expect(error.hidden).toBe(false);
    typeCode(lobby.root, "Join us tonight: matinee://join/K7MQ2X?h=10.0.0.2:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY");
    expect(error.hidden).toBe(true);
    const relay = lobby.root.querySelector<HTMLInputElement>("#join-relay")!;
    expect(relay.readOnly).toBe(true);
    typeCode(lobby.root, "ABCDEF");
    expect(relay.readOnly).toBe(false);
    expect(relay.value).toBe("relay.example.com");
  });

  it("takes a whole invite pasted into the code field", () => {
    const { root } = renderLobby({ settings, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(root);
    const link = "matinee://join/K7MQ2X?h=10.0.0.2:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
    const code = typeCode(root, link);
    expect(code.value).toBe("K7MQ2X");
    const relay = root.querySelector<HTMLInputElement>("#join-relay")!;
    expect(relay.readOnly).toBe(true);
    expect(relay.value).toContain("From the invite");
    typeCode(root, "matinee://join/K7MQ2X?h=10.0.0.2:7878");
    expect(root.querySelector("#code-help")!.textContent).toContain("copy the whole invite");
  });

  it("checks the relay as it is typed and says what it will use", () => {
    const { root } = renderLobby({ settings, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(root);
    const relay = root.querySelector<HTMLInputElement>("#join-relay")!;
    relay.value = "relay.example.com";
    relay.dispatchEvent(new Event("input"));
    expect(root.querySelector("#relay-help")!.textContent).toBe("Will connect to wss://relay.example.com/ws");
    relay.value = "ftp://nope";
    relay.dispatchEvent(new Event("input"));
    expect(relay.classList.contains("invalid")).toBe(true);
    expect(root.querySelector("#relay-help")!.textContent).toContain("is not a relay address");
  });

  it("says whether friends elsewhere can reach this computer", async () => {
    mockIPC((cmd) => {
      if (cmd === "prepare_hosting") {
        return { kind: "anywhere", message: "Friends anywhere can join (router: UPnP, 5.5.5.1:7878)", invite_link: null, landing_url: null };
      }
      return null;
    });
    const lobby = renderLobby({ settings, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(lobby.root);
    const line = lobby.root.querySelector<HTMLElement>(".reach")!;
    expect(line.textContent).toContain("Checking");
    await new Promise((r) => setTimeout(r, 20));
    expect(line.dataset.kind).toBe("anywhere");
    expect(line.textContent).toContain("Friends anywhere can join (router: UPnP, 5.5.5.1:7878)");
  });

  it("joins through the app command and shows its error", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "join_room") throw { kind: "refused", message: "No room K7MQ2X: check the code, or the room may have ended." };
      return null;
    });
    let entered: RoomInfo | null = null;
    const lobby = renderLobby({ settings, prefill: null, onEntered: (r) => (entered = r) });
    document.body.replaceChildren(lobby.root);
    typeCode(lobby.root, "K7MQ2X");
    lobby.dropFile("/films/film.mkv");
    const join = [...lobby.root.querySelectorAll("button")].find((b) => b.textContent === "Join room")!;
    join.click();
    await new Promise((r) => setTimeout(r, 20));
    const call = calls.find((c) => c.cmd === "join_room")!;
    expect(call.args).toMatchObject({ code: "K7MQ2X", media: { kind: "file", path: "/films/film.mkv" }, relay: null });
    const error = lobby.root.querySelector<HTMLElement>(".error")!;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toContain("No room K7MQ2X");
    expect(entered).toBeNull();
  });

  it("asks for a file before hosting", () => {
    const { root } = renderLobby({ settings, prefill: null, onEntered: () => {} });
    const create = [...root.querySelectorAll("button")].find((b) => b.textContent === "Create room")!;
    create.click();
    expect(root.querySelector(".error")!.textContent).toContain("Choose the film");
  });
});

describe("a room from a queue", () => {
  it("hosts several episodes as the room's queue, and refuses a file that is not one", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    let picked = ["/tv/Show.S01E01.mkv", "/tv/Show.S01E02.mkv", "/tv/Show.S01E03.mkv", "/tv/Show.S01E04.mkv"];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "pick_films") return picked;
      if (cmd === "host_room") throw { kind: "media", message: "mpv cannot play it" };
      return null;
    });
    const lobby = renderLobby({ settings, prefill: null, onEntered: () => {} });
    document.body.replaceChildren(lobby.root);
    const buttons = (text: string) => [...lobby.root.querySelectorAll<HTMLButtonElement>("button")].filter((b) => b.textContent === text);
    // Only the host card starts a queue.
    expect(buttons("Episodes…").length).toBe(1);
    buttons("Episodes…")[0].click();
    await new Promise((r) => setTimeout(r, 20));
    expect(lobby.root.querySelector(".drop-zone")!.textContent).toContain(
      "4 episodes, one after another: Show.S01E01.mkv, Show.S01E02.mkv, Show.S01E03.mkv and 1 more",
    );
    buttons("Create room")[0].click();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.find((c) => c.cmd === "host_room")!.args).toMatchObject({ media: { kind: "files", paths: picked } });

    picked = ["/tv/Show.S01E05.mkv", "/tv/notes.txt"];
    buttons("Episodes…")[0].click();
    await new Promise((r) => setTimeout(r, 20));
    expect(lobby.root.querySelector(".error")!.textContent).toContain("notes.txt is not a film");
    expect(lobby.root.querySelector(".drop-zone")!.textContent).toContain("4 episodes");
  });
});

describe("films from Jellyfin", () => {
  it("opens the library for the right card and hosts the item it gets back", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "host_room") throw { kind: "jellyfin_signed_out", message: "The server ended this sign-in: sign in again." };
      return null;
    });
    const asked: string[] = [];
    const lobby = renderLobby({ settings, prefill: null, onEntered: () => {}, onBrowseJellyfin: (t) => asked.push(t) });
    document.body.replaceChildren(lobby.root);
    const fromJellyfin = [...lobby.root.querySelectorAll<HTMLButtonElement>(".jf-button")];
    expect(fromJellyfin.length).toBe(2);
    fromJellyfin[1].click();
    fromJellyfin[0].click();
    expect(asked).toEqual(["join", "host"]);

    lobby.setMedia("host", { kind: "jellyfin", item: "abc", resume: 754 }, "Big Buck Bunny · from 12:34");
    const zone = lobby.root.querySelector(".drop-zone")!;
    expect(zone.classList.contains("from-jellyfin")).toBe(true);
    expect(zone.textContent).toContain("Big Buck Bunny · from 12:34");
    [...lobby.root.querySelectorAll("button")].find((b) => b.textContent === "Create room")!.click();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.find((c) => c.cmd === "host_room")!.args).toMatchObject({ media: { kind: "jellyfin", item: "abc", resume: 754 } });
    expect(lobby.root.querySelector(".error")!.textContent).toContain("sign in again");
  });

  it("has no Jellyfin button when the app offers none", () => {
    const { root } = renderLobby({ settings, prefill: null, onEntered: () => {} });
    expect(root.querySelector(".jf-button")).toBeNull();
  });
});

describe("a lobby drawn again (new settings)", () => {
  it("keeps the films chosen and the code typed", () => {
    mockIPC(() => null);
    const first = renderLobby({ settings, prefill: null, onEntered: () => {} });
    first.dropFile("/films/Sintel.mkv");
    typeCode(first.root, "k7mq2x");
    first.setMedia("join", { kind: "jellyfin", item: "abc", resume: null }, "Sintel (2010)");
    const kept = first.state();
    const again = renderLobby({ settings: { ...settings, controller: "syncplay" }, prefill: null, onEntered: () => {} });
    again.restore(kept);
    const names = [...again.root.querySelectorAll(".file-name")].map((n) => n.textContent);
    expect(names).toEqual(["Sintel.mkv", "Sintel (2010)"]);
    expect(again.root.querySelector<HTMLInputElement>("#join-code")!.value).toBe("K7MQ2X");
  });
});
