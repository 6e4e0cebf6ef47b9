// The party is over (not by our choice): why, and Try again or back to the
// lobby.

import { errorText } from "../../api";
import { el } from "../../dom";

/** A reason as a sentence: capitalised, one full stop. */
export function sentence(reason: string): string {
  const text = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

export function renderEnded(reason: string, onLeave: (reason: string | null) => void, onRetry?: () => Promise<void>): HTMLElement {
  const back = el("button", { class: "secondary", type: "button", text: "Back to the lobby" });
  back.addEventListener("click", () => onLeave(reason));
  const buttons: HTMLElement[] = [back];
  const problem = el("p", { class: "error", hidden: "" });
  if (onRetry) {
    const retry = el("button", { class: "primary", type: "button", text: "Try again" });
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      retry.textContent = "Trying…";
      try {
        await onRetry();
      } catch (e) {
        problem.hidden = false;
        problem.textContent = errorText(e);
        retry.disabled = false;
        retry.textContent = "Try again";
      }
    });
    buttons.unshift(retry);
  }
  return el(
    "section",
    { class: "card ended", role: "alert" },
    el("h2", { text: "The party ended" }),
    el("p", { text: sentence(reason) }),
    problem,
    el("div", { class: "actions" }, ...buttons),
  );
}
