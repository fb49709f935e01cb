/**
 * Broker configuration: one zod schema with defaults and a description per field. Bad
 * configuration throws ConfigError at start, listing every problem at once with its path.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const host = z.string().default("127.0.0.1").describe("address to bind");
const port = z.number().int().min(0).max(65535).describe("port to bind; 0 picks a free one");

const tcp = z.object({ host, port: port.default(1883) }).strict();

const tls = z
  .object({
    host,
    port: port.default(8883),
    cert: z.string().describe("PEM server certificate file"),
    key: z.string().describe("PEM private key file"),
    ca: z.string().optional().describe("PEM CA file that signs client certificates"),
    clientCertificates: z
      .enum(["none", "optional", "required"])
      .default("none")
      .describe("ask for client certificates; a verified certificate's CN must name the identity"),
  })
  .strict();

const ws = z
  .object({ host, port: port.default(8080), path: z.string().default("/mqtt").describe("WebSocket path") })
  .strict();

const http = z.object({ host, port: port.default(9090) }).strict().describe("/healthz and /metrics");

export const limitsSchema = z
  .object({
    maxPacketBytes: z.number().int().min(64).default(256 * 1024).describe("largest MQTT packet accepted"),
    inflightWindow: z.number().int().min(1).default(100).describe("inbound QoS 2 messages awaiting PUBREL per client"),
    connectionsPerIdentity: z.number().int().min(1).default(4).describe("live connections per username"),
    publishRate: z
      .object({
        perSecond: z.number().positive().default(200).describe("sustained publishes per second per client"),
        burst: z.number().int().min(1).default(400).describe("publishes allowed at once before pacing"),
        maxDelayMs: z.number().int().min(0).default(10_000).describe("pacing delay past which the client is disconnected"),
      })
      .strict()
      .default({ perSecond: 200, burst: 400, maxDelayMs: 10_000 }),
    maxRetainedMessages: z.number().int().min(0).default(100_000).describe("retained topics stored via this instance"),
    maxRetainedPayloadBytes: z.number().int().min(0).default(64 * 1024).describe("largest retained payload"),
    maxPersistentSessions: z.number().int().min(0).default(10_000).describe("clean-session-off clients known to this instance"),
    subscriberBufferBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024)
      .describe("output buffered toward one subscriber past which QoS 0 deliveries to it are dropped"),
    subscriberBufferBytesQos: z
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024)
      .describe("output buffered toward one subscriber past which QoS 1/2 publishers wait for it (never dropped)"),
    drainTimeoutMs: z.number().int().min(0).default(30_000).describe("disconnect a subscriber that stays behind (over its buffer bound, or not draining) this long"),
    keepaliveLimitS: z.number().int().min(0).default(0).describe("largest keepalive accepted (0: any)"),
    connectTimeoutMs: z.number().int().min(100).default(10_000).describe("time allowed for CONNECT"),
  })
  .strict();

export const throttleSchema = z
  .object({
    maxFailuresPerIdentity: z.number().int().min(1).default(5).describe("failed logins of one username before it is locked: 1 s, doubling with each further failure, up to windowMs"),
    maxFailuresPerAddress: z.number().int().min(1).default(20).describe("failed logins of unregistered usernames per remote address (IPv6: per /64) per window; registered identities are never throttled by address"),
    windowMs: z.number().int().min(100).default(60_000).describe("longest lock, and how long failures are remembered after the last one"),
  })
  .strict();

export const persistenceSchema = z
  .object({
    backend: z
      .enum(["disk", "memory"])
      .default("disk")
      .describe("where a single instance keeps sessions, queued QoS 1/2 messages, retained messages and wills (with cluster.redis: Redis)"),
    dir: z.string().optional().describe("data directory of the disk backend (default: `broker-data` beside registry.file)"),
    compactAfterBytes: z
      .number()
      .int()
      .min(4096)
      .default(64 * 1024 * 1024)
      .describe("disk backend: write a snapshot and start a new log when the log passes this size (or the last snapshot's, if larger)"),
  })
  .strict();

export const configSchema = z
  .object({
    id: z.string().optional().describe("broker instance id (random when absent)"),
    listeners: z
      .object({ mqtt: tcp.optional(), mqtts: tls.optional(), ws: ws.optional(), http: http.optional() })
      .strict()
      .refine((l) => l.mqtt || l.mqtts || l.ws, { message: "at least one of mqtt, mqtts, ws is required" }),
    registry: z.object({ file: z.string().describe("JSON credential store written by the CLI") }).strict(),
    limits: limitsSchema.default(limitsSchema.parse({})),
    loginThrottle: throttleSchema.default(throttleSchema.parse({})),
    persistence: persistenceSchema.default(persistenceSchema.parse({})),
    cluster: z
      .object({
        redis: z.string().describe("redis:// URL shared by every instance (messages, retained, sessions)"),
        redisDurability: z
          .enum(["refuse", "warn"])
          .default("refuse")
          .describe("at start, when Redis does not persist every write (appendonly yes, appendfsync always or everysec): refuse to start, or log a warning"),
      })
      .strict()
      .optional(),
  })
  .strict();

export type BrokerConfig = z.infer<typeof configSchema>;
export type BrokerConfigInput = z.input<typeof configSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type PersistenceConfig = z.infer<typeof persistenceSchema>;
export type ThrottleConfig = z.infer<typeof throttleSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly issues: string[]) {
    super(`invalid broker config:\n  ${issues.join("\n  ")}`);
  }
}

/** Validates a parsed config object, reporting every problem at once (`limits.maxPacketBytes: ...`). */
export function parseConfig(value: unknown): BrokerConfig {
  const r = configSchema.safeParse(value);
  if (r.success) return r.data;
  throw new ConfigError(r.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`));
}

export function parseConfigYaml(text: string): BrokerConfig {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new ConfigError([`yaml: ${(e as Error).message}`]);
  }
  return parseConfig(value ?? {});
}

export async function loadConfigFile(path: string): Promise<BrokerConfig> {
  return parseConfigYaml(await readFile(path, "utf8"));
}
