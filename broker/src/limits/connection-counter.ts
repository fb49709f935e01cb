/**
 * Live connections per identity. A client that reconnects with the same client id takes
 * its old session over (MQTT-3.1.4-2), so connections with that id are not counted against it.
 */
export class ConnectionCounter {
  private readonly live = new Map<string, Map<object, string>>();

  constructor(private readonly max: number) {}

  /** Registers a connection; false when the identity is already at its limit. */
  admit(username: string, conn: object, clientId: string): boolean {
    let m = this.live.get(username);
    if (!m) this.live.set(username, (m = new Map()));
    let others = 0;
    for (const id of m.values()) if (id !== clientId) others++;
    if (others >= this.max) return false;
    m.set(conn, clientId);
    return true;
  }

  release(username: string, conn: object): void {
    const m = this.live.get(username);
    if (!m) return;
    m.delete(conn);
    if (m.size === 0) this.live.delete(username);
  }

  count(username: string): number {
    return this.live.get(username)?.size ?? 0;
  }
}
