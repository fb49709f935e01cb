/** preConnect: remembers what CONNECT said before Aedes fills in defaults (e.g. a generated id). */
import type { Client, ConnectPacket } from "aedes";
import { remoteAddress, type HookContext } from "./context.ts";

export function makePreConnect(ctx: HookContext) {
  return function preConnect(client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void): void {
    ctx.connecting.set(client, {
      address: remoteAddress(client),
      emptyId: !packet.clientId,
      clean: packet.clean !== false,
    });
    done(null, true);
  };
}
