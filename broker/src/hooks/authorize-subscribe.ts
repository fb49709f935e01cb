/** authorizeSubscribe: a filter outside the client's ACL gets SUBACK 0x80 (MQTT-3.9.3-2) and the connection stays. */
import type { Client, Subscription } from "aedes";
import type { HookContext } from "./context.ts";

export function makeAuthorizeSubscribe(ctx: HookContext) {
  return function authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (err: Error | null, sub?: Subscription | null) => void,
  ): void {
    const info = ctx.clients.get(client);
    if (info?.acl.canSubscribe(sub.topic)) return done(null, sub);
    ctx.metrics.subscribeDenied.inc();
    done(null, null);
  };
}
