/**
 * authorizePublish: the ACL, retained-message limits and the per-client publish pace.
 * A denied publish is acknowledged and dropped (MQTT-3.3.5-2 allows exactly this), so a
 * misbehaving device is not cut off and retried into a loop; it is counted by reason.
 */
import type { Client, PublishPacket } from "aedes";
import { compileAcl, type PublishDenial } from "../acl/acl.ts";
import { PublishPacer } from "../limits/publish-pacer.ts";
import { DROPPED_TOPIC, type HookContext } from "./context.ts";

type Denial = PublishDenial | "retain-size" | "retain-limit" | "unknown-client";

export function makeAuthorizePublish(ctx: HookContext) {
  function deny(packet: PublishPacket, reason: Denial, done: (err?: Error | null) => void): void {
    ctx.metrics.publishDenied.inc({ reason });
    packet.topic = DROPPED_TOPIC;
    packet.retain = false;
    done(null);
  }

  return function authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const info = client ? ctx.clients.get(client) : undefined;
    // A will left by a broker that died is published with no client: judge it by its owner.
    const acl = info?.acl ?? willOwnerAcl(ctx, packet);
    if (!acl) return deny(packet, "unknown-client", done);

    const denial = acl.checkPublish(packet.topic, packet.retain);
    if (denial) return deny(packet, denial, done);
    if (packet.retain && packet.payload.length > 0) {
      if (packet.payload.length > ctx.limits.maxRetainedPayloadBytes) return deny(packet, "retain-size", done);
      if (!ctx.retainedTopics.has(packet.topic) && ctx.retainedTopics.size >= ctx.limits.maxRetainedMessages) {
        return deny(packet, "retain-limit", done);
      }
    }
    if (!info) return done(null);
    const paced = (info.pacer ??= new PublishPacer(ctx.limits.publishRate)).pace(() => done(null));
    if (paced === "refused") return done(new Error("publish rate far above the limit"));
    if (paced === "later") ctx.metrics.hot.paced++;
  };
}

function willOwnerAcl(ctx: HookContext, packet: PublishPacket) {
  const owner = (packet as { clientId?: string }).clientId;
  const rec = owner ? ctx.registry.get(owner) : undefined;
  return rec && !rec.revokedAt ? compileAcl(rec) : undefined;
}
