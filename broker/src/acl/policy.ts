/**
 * Who may do what, per role. The one table of the broker's authorization policy.
 *
 * Devices act only on their own topics; services on every device's topics of the kinds they
 * need. Retained publishes are allowed only on the kinds the topic design keeps retained.
 */
import type { TopicKind } from "@fieldline/firmware-contracts";
import type { Role } from "../registry/types.ts";

export interface RolePolicy {
  /** "own": only the identity's own site/device; "all": every site and device. */
  scope: "own" | "all";
  publish: readonly TopicKind[];
  subscribe: readonly TopicKind[];
}

export const POLICIES: Record<Role, RolePolicy> = {
  device: {
    scope: "own",
    publish: ["telemetry", "state", "events", "commandResults", "reportedConfig"],
    subscribe: ["commands", "desiredConfig", "stored"],
  },
  processor: {
    scope: "all",
    publish: ["alerts", "commands", "desiredConfig", "stored"],
    // alerts: reads back its own retained alerts to restore the active set after a restart.
    subscribe: ["telemetry", "state", "events", "commandResults", "reportedConfig", "alerts"],
  },
  "node-red": {
    scope: "all",
    publish: ["commands"],
    // commandResults: the command-out node waits for the device's result.
    subscribe: ["alerts", "state", "telemetry", "commandResults"],
  },
  operator: {
    scope: "all",
    publish: ["commands"],
    subscribe: ["alerts", "state", "telemetry", "commandResults"],
  },
};

/** Kinds whose messages are kept retained by design (state, config, the active alert set). */
export const RETAINED_KINDS: ReadonlySet<TopicKind> = new Set(["state", "alerts", "desiredConfig", "reportedConfig"]);
