// The join card: the code (or a pasted invite), the relay, your copy of
// the film, Join and Cancel. What the fields say comes from join-form.ts.

import { api } from "../../api";
import { checkCode, type Invite } from "../../code";
import { el } from "../../dom";
import type { SessionFeed } from "../../feed";
import { enterRoom, type Entered } from "./enter";
import { emptyJoinForm, joinFormView, pinnedInvite, typeIntoCode, typeIntoRelay, withInvite, type JoinForm } from "./join-form";
import { mediaPicker } from "./media-picker";

interface JoinHooks {
  settingsRelay: string;
  prefill: Invite | null;
  onBrowse?: () => void;
  showError(msg: string | null): void;
  onEntered: Entered;
}

export function renderJoinCard(hooks: JoinHooks) {
  const { showError } = hooks;
  let form: JoinForm = emptyJoinForm(hooks.settingsRelay);
  const codeInput = el("input", {
    id: "join-code",
    class: "code-input",
    placeholder: "K7MQ2X or an invite",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "code-help",
  });
  const codeHelp = el("div", { id: "code-help", class: "hint" });
  const relayInput = el("input", { id: "join-relay", placeholder: "relay.example.com", "aria-describedby": "relay-help" });
  const relayHelp = el("div", { id: "relay-help", class: "hint" });
  const pick = mediaPicker("Choose your copy…", hooks.onBrowse, (why) => showError(why));
  const joinBtn = el("button", { class: "primary", type: "button", text: "Join room", disabled: "" });
  const cancelJoin = el("button", { class: "ghost", type: "button", text: "Cancel", hidden: "" });
  cancelJoin.addEventListener("click", () => api.cancelStart().catch(() => undefined));

  /** Shows `next`; a newly read invite clears older errors and the last party's ending. */
  function update(next: JoinForm) {
    if (next.invite !== null && next.invite !== form.invite) {
      showError(null);
      document.querySelector(".notice-banner")?.remove();
    }
    form = next;
    const v = joinFormView(form);
    if (codeInput.value !== form.code) {
      const pos = codeInput.selectionStart;
      codeInput.value = form.code;
      if (document.activeElement === codeInput) codeInput.setSelectionRange(pos, pos);
    }
    codeInput.classList.toggle("invalid", v.check.state === "invalid" || form.pasteError !== null);
    codeInput.classList.toggle("valid", v.check.state === "valid");
    codeHelp.textContent = v.codeHelp;
    joinBtn.toggleAttribute("disabled", !v.canJoin);
    if (relayInput.value !== v.relayValue) relayInput.value = v.relayValue;
    relayInput.readOnly = v.relayReadOnly;
    relayInput.classList.toggle("from-invite", v.relayFromInvite);
    relayInput.classList.toggle("invalid", v.relayInvalid);
    relayHelp.textContent = v.relayHelp;
  }
  codeInput.addEventListener("input", () => update(typeIntoCode(form, codeInput.value, hooks.settingsRelay)));
  relayInput.addEventListener("input", () => update(typeIntoRelay(form, relayInput.value)));
  for (const input of [codeInput, relayInput]) {
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !joinBtn.disabled) joinBtn.click();
    });
  }
  update(hooks.prefill ? withInvite(hooks.prefill) : form);

  joinBtn.addEventListener("click", async () => {
    const { check } = joinFormView(form);
    if (check.state !== "valid") return;
    const media = pick.choice();
    if (!media) return showError("Choose your copy of the film first.");
    showError(null);
    joinBtn.disabled = true;
    joinBtn.textContent = "Joining…";
    cancelJoin.hidden = false;
    const invite = pinnedInvite(form, check.code);
    const relay = invite ? null : form.relay.trim() || null;
    const start = (f: SessionFeed) => api.joinRoom(check.code, media, relay, invite ? invite.link : null, f.push);
    await enterRoom(start, hooks.onEntered, showError);
    cancelJoin.hidden = true;
    joinBtn.textContent = "Join room";
    update(form);
  });

  const root = el(
    "section",
    { class: "card", "aria-labelledby": "join-title" },
    el("h2", { id: "join-title", text: "Join a party" }),
    el("label", { for: "join-code", text: "Room code" }),
    codeInput,
    codeHelp,
    el("label", { for: "join-relay", text: "Relay" }),
    relayInput,
    relayHelp,
    pick.root,
    joinBtn,
    cancelJoin,
  );
  return {
    root,
    pick,
    /** Something is typed in the code field. */
    hasCode: () => checkCode(form.code).state !== "empty",
    form: () => form,
    /** Puts back what was typed (after the lobby was drawn again). */
    restore(code: string, relay: string) {
      let next = form;
      if (code && !form.code) next = typeIntoCode(next, code, hooks.settingsRelay);
      if (relay && !form.relay) next = typeIntoRelay(next, relay);
      update(next);
    },
  };
}
