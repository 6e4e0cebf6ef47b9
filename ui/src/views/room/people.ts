// Who is watching: the participants card, built again only when what it
// shows changed.

import type { RoomCommand } from "../../api";
import { confirmDialog } from "../../confirm";
import { el } from "../../dom";
import { renderParticipants } from "../../participants";
import { isHost, type RoomState } from "./state";

export function renderPeople(send: (cmd: RoomCommand) => unknown) {
  const title = el("h2", { id: "people-title", text: "Watching" });
  const list = el("div");
  const root = el("section", { class: "card people", "aria-labelledby": "people-title" }, title, list);
  let shown = "";
  return {
    root,
    update(s: RoomState) {
      const away = s.connection.state !== "connected";
      root.classList.toggle("away", away);
      title.textContent = away ? "Watching (out of touch: shown as away)" : "Watching";
      const host = isHost(s);
      const key = JSON.stringify([s.participants, s.paused, host, [...s.playing]]);
      if (key === shown) return;
      shown = key;
      list.replaceChildren(
        renderParticipants(s.participants, s.you, {
          roomPaused: s.paused,
          canManage: host,
          onPassHost: (to) => send({ kind: "pass_host", to }),
          onStopWaiting: (participant) => send({ kind: "stop_waiting_for", participant }),
          tracks: new Map(s.playing),
          onKick: async (participant) => {
            const name = s.participants.find((p) => p.id === participant)?.nickname ?? "them";
            const sure = await confirmDialog(
              `Remove ${name} from the room?`,
              `${name} leaves the room at once and is told they were removed.`,
              "Remove",
            );
            if (sure) send({ kind: "kick", participant });
          },
        }),
      );
    },
  };
}
