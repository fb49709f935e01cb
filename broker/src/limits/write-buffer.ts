/**
 * Raises a connection's write high-water mark above the slow-subscriber bound.
 *
 * Aedes waits for 'drain' whenever a write returns false, and the publisher whose message
 * it is waits with it: with Node's 16 KiB default, one slow wildcard subscriber paces every
 * publisher on the broker. With the mark above authorizeForward's bound, a delivery toward a
 * subscriber that is behind is dropped and counted instead, and nobody else waits.
 * (Node exposes no setter for an accepted socket's mark; `_writableState.highWaterMark` is
 * what `net.createServer({highWaterMark})` sets, and it works for TLS and WebSocket streams too.)
 */
import type { Duplex } from "node:stream";

export function raiseWriteBuffer(conn: Duplex, bytes: number): void {
  const state = (conn as unknown as { _writableState?: { highWaterMark: number } })._writableState;
  if (state && state.highWaterMark < bytes) state.highWaterMark = bytes;
}
