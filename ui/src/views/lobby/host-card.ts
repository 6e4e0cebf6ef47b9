// The host card: where friends will connect (this computer, and whether
// friends elsewhere can reach it, or the relay from the settings), the
// film, and Create room.

import { api, errorText } from "../../api";
import { el } from "../../dom";
import { reachLine } from "../../reach";
import { enterRoom, type Entered } from "./enter";
import { mediaPicker } from "./media-picker";

interface HostHooks {
  relayUrl: string;
  onBrowse?: () => void;
  showError(msg: string | null): void;
  onEntered: Entered;
}

export function renderHostCard(hooks: HostHooks) {
  const { showError } = hooks;
  const pick = mediaPicker("Choose film…", hooks.onBrowse, (why) => showError(why), true);
  const createBtn = el("button", { class: "primary", type: "button", text: "Create room" });
  const hosting = hooks.relayUrl
    ? `Using the relay ${hooks.relayUrl}`
    : "Hosting on this computer: friends connect to you directly, encrypted.";
  const reach = reachLine();
  if (!hooks.relayUrl) {
    reach.show({ kind: "checking", message: "Checking whether friends outside your network can reach you…", invite_link: null, landing_url: null });
    api.prepareHosting().then(reach.show, (e) => reach.show({ kind: "local_network", message: errorText(e), invite_link: null, landing_url: null }));
  }
  createBtn.addEventListener("click", async () => {
    const media = pick.choice();
    if (!media) return showError("Choose the film you want to watch first.");
    showError(null);
    createBtn.disabled = true;
    createBtn.textContent = "Opening mpv…";
    await enterRoom((f) => api.hostRoom(media, f.push), hooks.onEntered, showError);
    createBtn.disabled = false;
    createBtn.textContent = "Create room";
  });
  const root = el(
    "section",
    { class: "card", "aria-labelledby": "host-title" },
    el("h2", { id: "host-title", text: "Host a watch party" }),
    el("p", { class: "muted", text: hosting }),
    ...(hooks.relayUrl ? [] : [reach.root]),
    pick.root,
    createBtn,
  );
  return { root, pick };
}
