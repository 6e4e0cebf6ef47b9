// Entering a room from a card: a fresh feed for the session's events, the
// app's answer handed on, or the error shown and the feed closed.

import { errorText } from "../../api";
import { SessionFeed } from "../../feed";
import type { RoomInfo } from "../../types";

export type Entered = (room: RoomInfo, feed: SessionFeed, again: (feed: SessionFeed) => Promise<RoomInfo>) => void;

/** Starts the room with `start` (kept as `again` for Try again). */
export async function enterRoom(
  start: (feed: SessionFeed) => Promise<RoomInfo>,
  onEntered: Entered,
  showError: (msg: string | null) => void,
): Promise<void> {
  const feed = new SessionFeed();
  try {
    onEntered(await start(feed), feed, start);
  } catch (e) {
    feed.close();
    showError(errorText(e));
  }
}
