/**
 * Every MQTT topic Fieldline uses, built and parsed in one place.
 *
 * Layout: `fl/v1/<site>/<device>/<kind>` where kind is one of TOPIC_KINDS; alerts add the
 * rule id as a last level (`.../alerts/<rule>`) so the active set can be retained per
 * (rule, device). No other package writes a topic string by hand.
 */

export const TOPIC_ROOT = "fl";
export const TOPIC_VERSION = "v1";

/** kind -> the level(s) after `<site>/<device>/`. */
export const TOPIC_KINDS = {
  telemetry: "telemetry",
  state: "state",
  events: "events",
  alerts: "alerts",
  commands: "commands",
  commandResults: "command-results",
  desiredConfig: "config/desired",
  reportedConfig: "config/reported",
  stored: "stored",
} as const;

export type TopicKind = keyof typeof TOPIC_KINDS;

export interface DeviceAddress {
  site: string;
  device: string;
}

export interface ParsedTopic extends DeviceAddress {
  kind: TopicKind;
  /** Present on alert topics only. */
  rule?: string;
}

/** Site, device and rule ids: 1-64 of [A-Za-z0-9_.-], so they never hold `/`, `+` or `#`. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export class TopicError extends Error {
  override name = "TopicError";
}

function checkId(what: string, id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new TopicError(
      `${what} id ${JSON.stringify(id)} must be 1-64 characters of A-Z a-z 0-9 _ . -`,
    );
  }
  return id;
}

const prefix = `${TOPIC_ROOT}/${TOPIC_VERSION}`;

/** Builds the topic of one kind for one device. */
export function topicFor(kind: TopicKind, addr: DeviceAddress, rule?: string): string {
  const base = `${prefix}/${checkId("site", addr.site)}/${checkId("device", addr.device)}/${TOPIC_KINDS[kind]}`;
  if (kind === "alerts") {
    return rule === undefined ? base : `${base}/${checkId("rule", rule)}`;
  }
  if (rule !== undefined) throw new TopicError(`only alert topics take a rule id, not ${kind}`);
  return base;
}

export const topics = {
  telemetry: (a: DeviceAddress) => topicFor("telemetry", a),
  state: (a: DeviceAddress) => topicFor("state", a),
  events: (a: DeviceAddress) => topicFor("events", a),
  alert: (a: DeviceAddress, rule: string) => topicFor("alerts", a, rule),
  commands: (a: DeviceAddress) => topicFor("commands", a),
  commandResults: (a: DeviceAddress) => topicFor("commandResults", a),
  desiredConfig: (a: DeviceAddress) => topicFor("desiredConfig", a),
  reportedConfig: (a: DeviceAddress) => topicFor("reportedConfig", a),
  stored: (a: DeviceAddress) => topicFor("stored", a),
};

export interface FilterScope {
  site?: string;
  device?: string;
}

/**
 * A subscription filter for one kind, across all sites/devices unless narrowed.
 * `topicFilter("telemetry")` is `fl/v1/+/+/telemetry`; the alerts filter ends in `alerts/+`.
 */
export function topicFilter(kind: TopicKind, scope: FilterScope = {}): string {
  const site = scope.site === undefined ? "+" : checkId("site", scope.site);
  const device = scope.device === undefined ? "+" : checkId("device", scope.device);
  const tail = kind === "alerts" ? `${TOPIC_KINDS.alerts}/+` : TOPIC_KINDS[kind];
  return `${prefix}/${site}/${device}/${tail}`;
}

/** Everything under the versioned root, e.g. for an operator's debugging subscription. */
export const ALL_TOPICS_FILTER = `${prefix}/#`;

const kindBySuffix = new Map<string, TopicKind>(
  (Object.entries(TOPIC_KINDS) as [TopicKind, string][]).map(([k, s]) => [s, k]),
);

/** Parses a concrete topic; returns undefined for anything that is not a Fieldline topic. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split("/");
  if (parts.length < 5 || parts[0] !== TOPIC_ROOT || parts[1] !== TOPIC_VERSION) return undefined;
  const site = parts[2]!;
  const device = parts[3]!;
  if (!ID_PATTERN.test(site) || !ID_PATTERN.test(device)) return undefined;
  const rest = parts.slice(4);
  if (rest[0] === TOPIC_KINDS.alerts && rest.length === 2) {
    const rule = rest[1]!;
    return ID_PATTERN.test(rule) ? { kind: "alerts", site, device, rule } : undefined;
  }
  const kind = kindBySuffix.get(rest.join("/"));
  if (kind === undefined || kind === "alerts") return undefined;
  return { kind, site, device };
}
