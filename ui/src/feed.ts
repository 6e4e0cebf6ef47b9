// One session's events, kept apart from every other session's.
//
// Events can arrive before the room view exists (while the create or
// join call is still returning) and after it is gone (the "ended" of a
// room just left). A feed holds the first until its view attaches and
// drops the second once closed, so a late event of an old room can never
// reach a new one.

import type { SessionEvent } from "./types";

export class SessionFeed {
  private pending: SessionEvent[] = [];
  private handler: ((e: SessionEvent) => void) | null = null;
  private closed = false;

  /** Where the app command delivers this session's events. */
  readonly push = (e: SessionEvent): void => {
    if (this.closed) return;
    if (this.handler) this.handler(e);
    else this.pending.push(e);
  };

  /** Hands the held events, then each new one, to the room view. */
  attach(handler: (e: SessionEvent) => void): void {
    if (this.closed) return;
    this.handler = handler;
    for (const e of this.pending.splice(0)) {
      if (this.closed) return;
      handler(e);
    }
  }

  /** The room view is gone: later events of this session are dropped. */
  close(): void {
    this.closed = true;
    this.handler = null;
    this.pending = [];
  }
}
