/** What the Aedes hooks share: collaborators built by the Broker and per-client state. */
import type { Client } from "aedes";
import type { Logger } from "pino";
import type { ClientAcl } from "../acl/acl.ts";
import type { Limits } from "../config.ts";
import type { ConnectionCounter } from "../limits/connection-counter.ts";
import type { LoginThrottle } from "../limits/login-throttle.ts";
import type { PublishPacer } from "../limits/publish-pacer.ts";
import type { BrokerMetrics } from "../metrics.ts";
import type { Registry } from "../registry/registry.ts";
import type { IdentityRecord } from "../registry/types.ts";

/** Denied publishes are acknowledged (MQTT-3.3.5-2) and rerouted here, where nobody can subscribe. */
export const DROPPED_TOPIC = "$fieldline/dropped";

export interface ConnectInfo {
  address: string;
  /** The CONNECT carried a zero-length client id. */
  emptyId: boolean;
  clean: boolean;
}

export interface ClientInfo {
  identity: IdentityRecord;
  acl: ClientAcl;
  /** Created on the first publish, so idle connections do not carry one. */
  pacer?: PublishPacer;
}

export interface HookContext {
  registry: Registry;
  limits: Limits;
  throttle: LoginThrottle;
  connections: ConnectionCounter;
  metrics: BrokerMetrics;
  log: Logger;
  connecting: WeakMap<Client, ConnectInfo>;
  clients: WeakMap<Client, ClientInfo>;
  /** Client ids holding a persistent session created through this instance. */
  persistentSessions: Set<string>;
  /** Topics holding a retained message stored through this instance. */
  retainedTopics: Set<string>;
}

/** The remote address of a TCP, TLS or WebSocket client. */
export function remoteAddress(client: Client): string {
  const fromReq = client.req?.socket?.remoteAddress;
  const conn = client.conn as { remoteAddress?: string };
  return fromReq ?? conn.remoteAddress ?? "unknown";
}
