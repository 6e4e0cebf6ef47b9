// A question before something that cannot be undone, as a modal dialog.

import { el } from "./dom";

export function confirmDialog(title: string, text: string, ok: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-title" });
    const cancel = el("button", { class: "secondary", type: "button", text: "Cancel" });
    const yes = el("button", { class: "danger primary", type: "button", text: ok });
    let answer = false;
    // Where <dialog> is not supported (a test DOM), closing is removing.
    const close = () => {
      if (typeof dialog.close === "function") dialog.close();
      else dialog.dispatchEvent(new Event("close"));
    };
    cancel.addEventListener("click", close);
    yes.addEventListener("click", () => {
      answer = true;
      close();
    });
    dialog.append(
      el("h2", { id: "confirm-title", text: title }),
      el("p", { class: "muted", text }),
      el("div", { class: "actions" }, cancel, yes),
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
