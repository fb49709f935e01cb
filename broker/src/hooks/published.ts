/** published: counts accepted publishes and keeps the set of retained topics for the retained limit. */
import type { AedesPublishPacket, Client } from "aedes";
import { DROPPED_TOPIC, type HookContext } from "./context.ts";

export function makePublished(ctx: HookContext) {
  const hot = ctx.metrics.hot;
  return function published(packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void): void {
    if (client && packet.topic !== DROPPED_TOPIC) {
      hot.publishes++;
      if (packet.retain) {
        if (packet.payload.length === 0) ctx.retainedTopics.delete(packet.topic);
        else ctx.retainedTopics.add(packet.topic);
      }
    }
    done(null);
  };
}
