// The line that tells a host whether friends elsewhere can reach them.
// Updates arrive as "reachability" events while the router answers.

import { onAppEvent } from "./events";
import { el } from "./dom";
import type { ReachKind, ReachReport } from "./types";

export interface ReachLine {
  root: HTMLElement;
  show(report: ReachReport): void;
}

type Listener = (r: ReachReport) => void;
const listeners = new Set<Listener>();
let subscribed = false;

/** Calls `fn` with every reachability update until `alive()` is false. */
export function onReachability(fn: Listener, alive: () => boolean): void {
  const wrapped: Listener = (r) => {
    if (!alive()) listeners.delete(wrapped);
    else fn(r);
  };
  listeners.add(wrapped);
  if (!subscribed) {
    subscribed = true;
    onAppEvent("reachability", (report) => listeners.forEach((l) => l(report))).catch(() => {
      subscribed = false;
    });
  }
}

const ICON: Record<ReachKind, string> = {
  checking: "…",
  anywhere: "●",
  ipv6: "◐",
  local_network: "◐",
  carrier_nat: "○",
  peer_to_peer: "●",
  this_computer: "○",
  relay: "●",
};

export function reachLine(): ReachLine {
  const icon = el("span", { class: "reach-icon", "aria-hidden": "true" });
  const text = el("span", { class: "reach-text" });
  const root = el("p", { class: "reach", role: "status", "aria-live": "polite" }, icon, text);
  let listening = false;
  const line: ReachLine = {
    root,
    show(report) {
      if (!report || typeof report.message !== "string") return;
      root.dataset.kind = report.kind;
      icon.textContent = ICON[report.kind];
      text.textContent = report.message;
      if (!listening) {
        listening = true;
        onReachability(line.show, () => root.isConnected);
      }
    },
  };
  return line;
}
