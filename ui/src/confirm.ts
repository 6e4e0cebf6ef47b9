// A question before something that cannot be undone, as a modal dialog.

import { el } from "./dom";

export interface Choice {
  label: string;
  value: string;
  /** The choice that cannot be undone (shown red, last). */
  danger?: boolean;
}

/** Asks, with Cancel and `choices`; resolves with the chosen value, or null. */
export function choiceDialog(title: string, text: string, choices: Choice[]): Promise<string | null> {
  return new Promise((resolve) => {
    const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-title" });
    const cancel = el("button", { class: "secondary", type: "button", text: "Cancel" });
    let answer: string | null = null;
    // Where <dialog> is not supported (a test DOM), closing is removing.
    const close = () => {
      if (typeof dialog.close === "function") dialog.close();
      else dialog.dispatchEvent(new Event("close"));
    };
    cancel.addEventListener("click", close);
    const buttons = choices.map((c) => {
      const b = el("button", { class: c.danger ? "danger primary" : "secondary", type: "button", text: c.label });
      b.dataset.choice = c.value;
      b.addEventListener("click", () => {
        answer = c.value;
        close();
      });
      return b;
    });
    dialog.append(
      el("h2", { id: "confirm-title", text: title }),
      el("p", { class: "muted", text }),
      el("div", { class: "actions" }, cancel, ...buttons),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    cancel.focus();
  });
}

export async function confirmDialog(title: string, text: string, ok: string): Promise<boolean> {
  return (await choiceDialog(title, text, [{ label: ok, value: "ok", danger: true }])) === "ok";
}
