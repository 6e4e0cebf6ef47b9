// What a friend on Syncplay types into their client to join this room: the
// relay's address (the one the invite reaches) as the server, the room code
// as the room.

const DEFAULT_PORTS: Record<string, string> = { "ws:": "80", "http:": "80", "wss:": "443", "https:": "443" };

/** `host:port` of a relay URL (ws, wss, http or https), or null. */
export function syncplayServer(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    const port = u.port || DEFAULT_PORTS[u.protocol];
    if (!port || !u.hostname) return null;
    return `${u.hostname}:${port}`;
  } catch {
    return null;
  }
}

/** The line the room shows: "Friends with Syncplay: server …, room …". */
export function syncplayLine(server: string, code: string): string {
  return `Friends with Syncplay: server ${server}, room ${code}`;
}
