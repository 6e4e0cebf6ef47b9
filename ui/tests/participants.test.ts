import { describe, expect, it, vi } from "vitest";
import { renderParticipants } from "../src/participants";
import type { Participant } from "../src/types";

const base = { ready: false, buffering: false, catching_up: false, reconnecting: false, player_closed: false, host: false };
const list: Participant[] = [
  { ...base, id: 2, nickname: "Ben", joined_ms: 2, rtt_ms: 151.4, drift_ms: -12.2, buffering: true },
  { ...base, id: 1, nickname: "Ana", joined_ms: 1, host: true, ready: true, rtt_ms: 8 },
  { ...base, id: 3, nickname: "Cy", joined_ms: 3, reconnecting: true, player_closed: true },
];

describe("participants list", () => {
  it("puts the host first and shows badges, RTT and drift", () => {
    const ul = renderParticipants(list, 2, { canManage: false, onPassHost: vi.fn(), onKick: vi.fn() });
    const items = [...ul.querySelectorAll("li")];
    expect(items.map((li) => li.querySelector(".name")!.textContent)).toEqual(["Ana", "Ben (you)", "Cy"]);
    expect(items[0].textContent).toContain("Host");
    expect(items[0].textContent).toContain("Ready");
    expect(items[1].textContent).toContain("Buffering");
    expect(items[1].querySelector(".stats")!.textContent).toBe("RTT 151 ms · drift −12 ms");
    expect(items[2].textContent).toContain("Reconnecting");
    expect(items[2].textContent).toContain("Player closed");
    expect(items[2].querySelector(".stats")!.textContent).toBe("RTT – · drift –");
    expect(ul.querySelectorAll("button")).toHaveLength(0);
  });

  it("says which way each friend's connection goes, but not the host's own", () => {
    const linked: Participant[] = [
      { ...base, id: 1, nickname: "Ana", joined_ms: 1, host: true, rtt_ms: 0.4, link: "direct" },
      { ...base, id: 2, nickname: "Ben", joined_ms: 2, rtt_ms: 42, link: "peer_to_peer" },
      { ...base, id: 3, nickname: "Cy", joined_ms: 3, rtt_ms: 90, link: "relayed" },
      { ...base, id: 4, nickname: "Di", joined_ms: 4, rtt_ms: 12, link: "direct" },
    ];
    const ul = renderParticipants(linked, 1, { canManage: false, onPassHost: vi.fn(), onKick: vi.fn() });
    const stats = (id: number) => ul.querySelector(`li[data-id="${id}"] .stats`) as HTMLElement;
    expect(stats(1).textContent).toBe("RTT 0 ms · drift –");
    expect(stats(2).textContent).toBe("RTT 42 ms (peer-to-peer) · drift –");
    expect(stats(3).textContent).toBe("RTT 90 ms (relayed) · drift –");
    expect(stats(3).title).toContain("through an iroh relay");
    expect(stats(4).textContent).toBe("RTT 12 ms (direct) · drift –");
  });

  it("shows a friend on Syncplay as such, with Remove but no Make host", () => {
    const onKick = vi.fn();
    const withSyncplay: Participant[] = [...list, { ...base, id: 4, nickname: "Di", joined_ms: 4, via: "Syncplay 1.6.9" }];
    const ul = renderParticipants(withSyncplay, 1, { canManage: true, onPassHost: vi.fn(), onKick });
    const di = ul.querySelector('li[data-id="4"]')!;
    const via = di.querySelector(".badge-via") as HTMLElement;
    expect(via.textContent).toBe("via Syncplay");
    expect(via.title).toContain("Syncplay 1.6.9");
    const buttons = [...di.querySelectorAll("button")].map((b) => b.textContent);
    expect(buttons).toEqual(["Remove"]);
    (di.querySelector("button") as HTMLButtonElement).click();
    expect(onKick).toHaveBeenCalledWith(4);
    expect(ul.querySelector('li[data-id="2"] .badge-via')).toBeNull();
  });

  it("gives the host buttons for others only", () => {
    const onPassHost = vi.fn();
    const onKick = vi.fn();
    const ul = renderParticipants(list, 1, { canManage: true, onPassHost, onKick });
    const ben = ul.querySelector('li[data-id="2"]')!;
    (ben.querySelector("button") as HTMLButtonElement).click();
    expect(onPassHost).toHaveBeenCalledWith(2);
    (ben.querySelectorAll("button")[1] as HTMLButtonElement).click();
    expect(onKick).toHaveBeenCalledWith(2);
    expect(ul.querySelector('li[data-id="1"]')!.querySelectorAll("button")).toHaveLength(0);
  });

  it("lets the host play on without a buffering guest, and shows who catches up", () => {
    const onStopWaiting = vi.fn();
    const ul = renderParticipants(list, 1, { canManage: true, onPassHost: vi.fn(), onKick: vi.fn(), onStopWaiting });
    const ben = ul.querySelector('li[data-id="2"]')!;
    const playOn = [...ben.querySelectorAll("button")].find((b) => b.textContent === "Don’t wait")!;
    playOn.click();
    expect(onStopWaiting).toHaveBeenCalledWith(2);
    expect(ul.querySelector('li[data-id="3"]')!.textContent).not.toContain("Don’t wait");

    const caught = renderParticipants([{ ...list[0], catching_up: true }, list[1]], 1, {
      canManage: true,
      onPassHost: vi.fn(),
      onKick: vi.fn(),
      onStopWaiting,
    });
    const again = caught.querySelector('li[data-id="2"]')!;
    expect(again.textContent).toContain("Catching up");
    expect(again.textContent).not.toContain("Buffering");
    expect(again.textContent).not.toContain("Don’t wait");
  });

  it("shows the host whose copy differs from theirs", () => {
    const media = (duration: number) => ({ name: "film.mkv", size_bytes: 1, duration });
    const room: Participant[] = [
      { ...base, id: 1, nickname: "Ana", joined_ms: 1, host: true, media: media(120) },
      { ...base, id: 2, nickname: "Ben", joined_ms: 2, media: media(60) },
      { ...base, id: 3, nickname: "Cy", joined_ms: 3, media: media(121) },
    ];
    const items = [...renderParticipants(room, 1, { canManage: false, onPassHost: vi.fn(), onKick: vi.fn() }).querySelectorAll("li")];
    expect(items[1].textContent).toContain("Shorter copy (1:00)");
    expect(items[2].textContent).not.toContain("copy");
  });
});
