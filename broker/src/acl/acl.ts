/**
 * Compiles the policy table for one identity into fast per-message checks. A device's
 * allowed topics are a handful of exact strings, so its publish check is one Set lookup.
 */
import { parseTopic, topicFilter, topicFor, type TopicKind } from "@fieldline/firmware-contracts";
import type { IdentityRecord } from "../registry/types.ts";
import { filterCovers, isReserved } from "./filter.ts";
import { POLICIES, RETAINED_KINDS } from "./policy.ts";

export type PublishDenial = "acl" | "retain" | "reserved";

export interface ClientAcl {
  /** undefined when allowed, else why not. */
  checkPublish(topic: string, retain: boolean): PublishDenial | undefined;
  canSubscribe(filter: string): boolean;
}

export function compileAcl(identity: IdentityRecord): ClientAcl {
  const policy = POLICIES[identity.role];
  const pubKinds = new Set<TopicKind>(policy.publish);
  let subFilters: string[];
  let ownTopics: Map<string, TopicKind> | undefined;

  if (policy.scope === "own") {
    if (!identity.site || !identity.device) return DENY_ALL;
    const addr = { site: identity.site, device: identity.device };
    ownTopics = new Map(policy.publish.map((k) => [topicFor(k, addr), k]));
    subFilters = policy.subscribe.map((k) => (k === "alerts" ? topicFilter(k, addr) : topicFor(k, addr)));
  } else {
    subFilters = policy.subscribe.map((k) => topicFilter(k));
  }

  return {
    checkPublish(topic, retain) {
      if (isReserved(topic)) return "reserved";
      let kind: TopicKind | undefined;
      if (ownTopics) kind = ownTopics.get(topic);
      else {
        const parsed = parseTopic(topic);
        kind = parsed && pubKinds.has(parsed.kind) ? parsed.kind : undefined;
      }
      if (kind === undefined) return "acl";
      if (retain && !RETAINED_KINDS.has(kind)) return "retain";
      return undefined;
    },
    canSubscribe(filter) {
      if (isReserved(filter)) return false;
      return subFilters.some((allowed) => filterCovers(allowed, filter));
    },
  };
}

const DENY_ALL: ClientAcl = { checkPublish: () => "acl", canSubscribe: () => false };
