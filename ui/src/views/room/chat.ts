// The chat and the room's log: chat lines, notices and errors, each with
// its time. Chat typed while out of touch waits, marked, and goes when the
// connection is back (the relay link drops what is sent meanwhile).

import type { RoomCommand } from "../../api";
import { el } from "../../dom";

export type LineKind = "chat" | "notice" | "error";

/** How many lines the log keeps. */
const KEPT_LINES = 300;

export interface Chat {
  root: HTMLElement;
  addLine(kind: LineKind, text: string, who?: string): HTMLElement;
  /** The connection is back: what waited goes now. */
  flushUnsent(): void;
}

export function renderChat(send: (cmd: RoomCommand) => unknown, state: () => { connected: boolean; myName: string }): Chat {
  const log = el("ol", { class: "chat-log", "aria-live": "polite", "aria-label": "Chat and room events" });
  const input = el("input", { placeholder: "Say something…", maxlength: "500", "aria-label": "Chat message" });
  const form = el("form", { class: "chat-form" }, input, el("button", { class: "secondary", type: "submit", text: "Send" }));
  const unsent: { text: string; line: HTMLElement }[] = [];
  function addLine(kind: LineKind, text: string, who?: string): HTMLElement {
    const li = el("li", { class: `line ${kind}` });
    const now = new Date();
    const at = `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")} `;
    li.append(el("time", { class: "at", text: at }));
    if (who) li.append(el("b", { class: "who-said", text: who }));
    // The text sits in its own column: a line break inside it cannot start
    // a line that looks like another speaker's.
    li.append(el("span", { class: "said", text }));
    log.append(li);
    while (log.children.length > KEPT_LINES) log.firstElementChild?.remove();
    log.scrollTop = log.scrollHeight;
    return li;
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    const { connected, myName } = state();
    if (connected) {
      send({ kind: "chat", text });
      return;
    }
    const line = addLine("chat", text, myName);
    line.classList.add("unsent");
    line.append(el("span", { class: "unsent-note", text: " · not sent yet: waiting for the connection" }));
    unsent.push({ text, line });
  });
  const root = el("section", { class: "card chat", "aria-labelledby": "chat-title" }, el("h2", { id: "chat-title", text: "Chat" }), log, form);
  return {
    root,
    addLine,
    flushUnsent() {
      for (const { text, line } of unsent.splice(0)) {
        line.remove();
        send({ kind: "chat", text });
      }
    },
  };
}
