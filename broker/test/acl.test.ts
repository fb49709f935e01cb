/**
 * The ACL matrix: every role against every topic kind, publish and subscribe, on its own
 * device, another device and (for subscriptions) the all-devices wildcard filter. The table
 * below is written out by hand, so a change to the policy has to change it too.
 */
import { describe, expect, it } from "vitest";
import { TOPIC_KINDS, topicFilter, topicFor, type TopicKind } from "@fieldline/firmware-contracts";
import { compileAcl } from "../src/acl/acl.ts";
import { filterCovers } from "../src/acl/filter.ts";
import type { IdentityRecord, Role } from "../src/registry/types.ts";

const KINDS = Object.keys(TOPIC_KINDS) as TopicKind[];
// Columns follow KINDS: telemetry state events alerts commands commandResults desiredConfig reportedConfig stored
const MATRIX: Record<string, string> = {
  "device pub own": "1 1 1 0 0 1 0 1 0",
  "device pub other": "0 0 0 0 0 0 0 0 0",
  "device sub own": "0 0 0 0 1 0 1 0 1",
  "device sub other": "0 0 0 0 0 0 0 0 0",
  "device sub all": "0 0 0 0 0 0 0 0 0",
  "processor pub own": "0 0 0 1 1 0 1 0 1",
  "processor pub other": "0 0 0 1 1 0 1 0 1",
  "processor sub own": "1 1 1 1 0 1 0 1 0",
  "processor sub all": "1 1 1 1 0 1 0 1 0",
  "node-red pub own": "0 0 0 0 1 0 0 0 0",
  "node-red pub other": "0 0 0 0 1 0 0 0 0",
  "node-red sub own": "1 1 0 1 0 1 0 0 0",
  "node-red sub all": "1 1 0 1 0 1 0 0 0",
  "operator pub own": "0 0 0 0 1 0 0 0 0",
  "operator pub other": "0 0 0 0 1 0 0 0 0",
  "operator sub own": "1 1 0 1 0 1 0 0 0",
  "operator sub all": "1 1 0 1 0 1 0 0 0",
};

const own = { site: "s1", device: "d1" };
const other = { site: "s2", device: "d9" };

function identity(role: Role): IdentityRecord {
  return role === "device"
    ? { username: "d1", role, site: "s1", device: "d1", secretHash: "", createdAt: "" }
    : { username: role, role, secretHash: "", createdAt: "" };
}

const concrete = (kind: TopicKind, a: typeof own) => topicFor(kind, a, kind === "alerts" ? "r1" : undefined);

describe("ACL matrix", () => {
  for (const [row, bits] of Object.entries(MATRIX)) {
    const [role, op, target] = row.split(" ") as [Role, "pub" | "sub", "own" | "other" | "all"];
    const expected = bits.split(" ").map((b) => b === "1");
    it(`${row}: ${bits}`, () => {
      const acl = compileAcl(identity(role));
      const got = KINDS.map((kind) => {
        if (op === "pub") return acl.checkPublish(concrete(kind, target === "own" ? own : other), false) === undefined;
        if (target === "all") return acl.canSubscribe(topicFilter(kind));
        const a = target === "own" ? own : other;
        // A service may narrow its filter to one device; a device subscribes to exact topics.
        return acl.canSubscribe(kind === "alerts" ? topicFilter(kind, a) : topicFor(kind, a));
      });
      expect(got).toEqual(expected);
    });
  }

  it("no role may use $SYS or the whole tree", () => {
    for (const role of ["device", "processor", "node-red", "operator"] as Role[]) {
      const acl = compileAcl(identity(role));
      expect(acl.canSubscribe("#")).toBe(false);
      expect(acl.canSubscribe("fl/v1/#")).toBe(false);
      expect(acl.canSubscribe("$SYS/#")).toBe(false);
      expect(acl.checkPublish("$SYS/x", false)).toBe("reserved");
      expect(acl.checkPublish("other/topic", false)).toBe("acl");
    }
  });

  it("retained publishes only on the retained kinds", () => {
    const dev = compileAcl(identity("device"));
    expect(dev.checkPublish(topicFor("state", own), true)).toBeUndefined();
    expect(dev.checkPublish(topicFor("reportedConfig", own), true)).toBeUndefined();
    expect(dev.checkPublish(topicFor("telemetry", own), true)).toBe("retain");
    const proc = compileAcl(identity("processor"));
    expect(proc.checkPublish(topicFor("desiredConfig", other), true)).toBeUndefined();
    expect(proc.checkPublish(concrete("alerts", other), true)).toBeUndefined();
    expect(proc.checkPublish(topicFor("commands", other), true)).toBe("retain");
  });

  it("a device record without an address is denied everything", () => {
    const acl = compileAcl({ username: "x", role: "device", secretHash: "", createdAt: "" });
    expect(acl.checkPublish(topicFor("telemetry", own), false)).toBe("acl");
    expect(acl.canSubscribe(topicFor("commands", own))).toBe(false);
  });
});

describe("filterCovers (MQTT-4.7)", () => {
  const cases: [string, string, boolean][] = [
    ["a/+/c", "a/b/c", true],
    ["a/+/c", "a/+/c", true],
    ["a/b/c", "a/+/c", false],
    ["a/#", "a/b/c", true],
    ["a/#", "a", true], // MQTT-4.7.1-2: '#' also matches the parent level
    ["a/#", "a/#", true],
    ["a/+", "a/#", false],
    ["a/+", "a/b/c", false],
    ["a/+/c", "a/b", false],
    ["+/+", "a/b", true],
    ["#", "$SYS/x", true],
  ];
  for (const [outer, inner, want] of cases) {
    it(`${outer} ${want ? "covers" : "does not cover"} ${inner}`, () => expect(filterCovers(outer, inner)).toBe(want));
  }
});
