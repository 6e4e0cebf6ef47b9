// Adding a Jellyfin server and signing in: password or Quick Connect.

import { errorKind, errorText, jellyfin } from "../api";
import type { AppError } from "../generated/AppError";
import { el } from "../dom";
import type { JellyfinStatus } from "../types";

/** How often an open Quick Connect code is checked, in ms. */
export const QUICK_CONNECT_POLL_MS = 2000;

function errorBox(): { node: HTMLElement; show(msg: string | null, waiting?: boolean): void } {
  const node = el("div", { class: "error", role: "alert", hidden: "" });
  return {
    node,
    /** `waiting`: not a failure, something that will be tried again. */
    show(msg, waiting = false) {
      node.hidden = msg === null;
      node.textContent = msg ?? "";
      node.classList.toggle("waiting", waiting);
    },
  };
}

/** How many times a server that is still starting is asked again before
 * the form gives up (at its 5 s pace, about ten minutes: long updates). */
export const STARTING_RETRIES = 120;

/** The server address form. A server still starting (or updating after an
 * upgrade) is asked again by itself, with a countdown. */
export function renderServerForm(current: string, onConnected: (s: JellyfinStatus) => void): HTMLElement {
  const url = el("input", { id: "jf-url", placeholder: "http://192.168.1.20:8096", autocomplete: "url", spellcheck: "false" });
  url.value = current;
  const connect = el("button", { class: "primary", type: "submit", text: "Connect" });
  const error = errorBox();
  const form = el(
    "form",
    { class: "card jf-form", "aria-labelledby": "jf-server-title" },
    el("h2", { id: "jf-server-title", text: "Connect your Jellyfin server" }),
    el("p", { class: "muted", text: "Watch from your own library. Friends can play the same film from their server or a file of their own." }),
    el("label", { for: "jf-url", text: "Server address" }),
    url,
    el("div", { class: "hint", text: "The address you open Jellyfin at in a browser." }),
    error.node,
    connect,
  );
  let countdown: ReturnType<typeof setInterval> | null = null;
  let retries = 0;
  const stopCountdown = () => {
    if (countdown !== null) clearInterval(countdown);
    countdown = null;
  };
  /** "Still starting": count down out loud, then ask again. */
  const retryLater = (seconds: number, address: string) => {
    let left = Math.max(1, Math.round(seconds));
    const say = () =>
      error.show(`The server is still starting (it may be updating after an upgrade). Trying again in ${left} s…`, true);
    say();
    countdown = setInterval(() => {
      left -= 1;
      if (!form.isConnected || url.value.trim() !== address) return stopCountdown();
      if (left > 0) return say();
      stopCountdown();
      void attempt(address);
    }, 1000);
  };
  const attempt = async (address: string) => {
    connect.disabled = true;
    connect.textContent = "Checking…";
    try {
      const status = await jellyfin.connect(address);
      error.show(null);
      onConnected(status);
    } catch (e) {
      const wait = (e as AppError | null)?.retry_after_s;
      if (errorKind(e) === "jellyfin_starting" && wait && retries < STARTING_RETRIES) {
        retries += 1;
        retryLater(wait, address);
      } else {
        error.show(
          errorKind(e) === "jellyfin_starting"
            ? "The server has been starting for a long time. Check it in a browser, then try again."
            : errorText(e),
        );
      }
    } finally {
      connect.disabled = false;
      connect.textContent = "Connect";
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    stopCountdown();
    retries = 0;
    if (!url.value.trim()) return error.show("Enter your server's address.");
    error.show(null);
    void attempt(url.value.trim());
  });
  return form;
}

export interface SignInHooks {
  onSignedIn(s: JellyfinStatus): void;
  onChangeServer(): void;
}

/** Sign-in on the chosen server; `stop()` ends any Quick Connect polling. */
export function renderSignIn(status: JellyfinStatus, hooks: SignInHooks): { root: HTMLElement; stop(): void } {
  const server = status.server!;
  const error = errorBox();
  let timer: ReturnType<typeof setInterval> | null = null;
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  // Password.
  const user = el("input", { id: "jf-user", autocomplete: "username", spellcheck: "false" });
  const pass = el("input", { id: "jf-pass", type: "password", autocomplete: "current-password" });
  const signIn = el("button", { class: "primary", type: "submit", text: "Sign in" });
  const passwordForm = el(
    "form",
    { class: "jf-password" },
    el("label", { for: "jf-user", text: "Username" }),
    user,
    el("label", { for: "jf-pass", text: "Password" }),
    pass,
    signIn,
  );
  passwordForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!user.value.trim()) return error.show("Enter your Jellyfin username.");
    error.show(null);
    signIn.disabled = true;
    signIn.textContent = "Signing in…";
    try {
      const s = await jellyfin.signIn(user.value.trim(), pass.value);
      stop();
      hooks.onSignedIn(s);
    } catch (e) {
      error.show(errorText(e));
      pass.select();
    } finally {
      signIn.disabled = false;
      signIn.textContent = "Sign in";
    }
  });

  // Quick Connect.
  const code = el("div", { class: "qc-code", "aria-live": "polite", hidden: "" });
  const qcHint = el("p", { class: "muted small-text", text: "Sign in without typing a password: approve a code from Jellyfin on a device where you are signed in (Settings → Quick Connect)." });
  const qcStart = el("button", { class: "secondary", type: "button", text: "Use Quick Connect" });
  const quick = el("div", { class: "jf-quick" }, qcHint, code, qcStart);
  qcStart.addEventListener("click", async () => {
    stop();
    error.show(null);
    qcStart.disabled = true;
    try {
      const c = await jellyfin.quickConnectStart();
      code.hidden = false;
      code.textContent = c;
      qcHint.textContent = `Enter this code in Jellyfin (Settings → Quick Connect) on ${server.name}. Waiting for approval…`;
      qcStart.textContent = "New code";
      timer = setInterval(async () => {
        try {
          const s = await jellyfin.quickConnectPoll();
          if (s && timer !== null) {
            stop();
            hooks.onSignedIn(s);
          }
        } catch (e) {
          stop();
          code.hidden = true;
          error.show(errorText(e));
        }
      }, QUICK_CONNECT_POLL_MS);
    } catch (e) {
      error.show(errorText(e));
    } finally {
      qcStart.disabled = false;
    }
  });

  const change = el("button", { class: "ghost small", type: "button", text: "Change server" });
  change.addEventListener("click", () => {
    stop();
    hooks.onChangeServer();
  });
  const root = el(
    "section",
    { class: "card jf-form", "aria-labelledby": "jf-signin-title" },
    el(
      "div",
      { class: "jf-server-line" },
      // The address in use: a server that redirected (http to https, a new
      // host) is kept at the address it led to, and this says which.
      el("span", { class: "muted", text: `${server.name} · Jellyfin ${server.version} · ${server.url}` }),
      change,
    ),
    el("h2", { id: "jf-signin-title", text: "Sign in to Jellyfin" }),
    error.node,
    passwordForm,
    el("div", { class: "or", text: "or" }),
    quick,
  );
  return { root, stop };
}
