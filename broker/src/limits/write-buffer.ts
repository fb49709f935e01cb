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

/**
 * Coalesces a connection's writes per event-loop turn into one writev.
 *
 * mqtt-packet corks the socket per packet and uncorks on process.nextTick, and Aedes
 * delivers each message from its own setImmediate callback, so every delivered packet
 * became its own writev syscall (a third of the broker's CPU in a profile). Here the first
 * write of a turn corks the socket once more and a setImmediate uncorks it, so everything
 * written to that connection during the turn leaves in one syscall. Adds at most one
 * event-loop turn of latency.
 */
export function coalesceWrites(conn: Duplex): void {
  const write = conn.write;
  let corked = false;
  const flush = (): void => {
    corked = false;
    conn.uncork();
  };
  conn.write = function (this: Duplex, ...args: unknown[]): boolean {
    if (!corked && !conn.destroyed) {
      corked = true;
      conn.cork();
      setImmediate(flush);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Duplex["write"];
}
