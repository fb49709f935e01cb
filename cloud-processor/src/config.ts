/**
 * The processor's configuration: one zod schema with a default and a description per field.
 * `loadConfig` reports every problem at once, each with its path.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

const ms = (def: number, what: string) => z.number().int().min(0).default(def).describe(what);

const common = {
  timeoutMs: ms(10_000, "Per-request timeout in milliseconds."),
};

export const sinkSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("file").describe("Line-protocol file (the embedded default; no server)."),
    path: z.string().min(1).default("data/points.lp").describe("File the points are appended to."),
    fsync: z.boolean().default(true).describe("fsync after every batch."),
  }),
  z.strictObject({
    type: z.literal("influxdb").describe("InfluxDB v2 write API via @influxdata/influxdb-client (2.x, 3.x, Cloud, 1.8+)."),
    url: z.url().describe("Base URL, e.g. http://influxdb:8086."),
    token: z.string().optional().describe("API token."),
    org: z.string().default("fieldline").describe("Organisation."),
    bucket: z.string().min(1).default("telemetry").describe("Bucket."),
    ...common,
  }),
  z.strictObject({
    type: z.literal("influxdb-v1").describe("InfluxDB 1.x HTTP /write endpoint."),
    url: z.url().describe("Base URL, e.g. http://127.0.0.1:8086."),
    database: z.string().min(1).default("fieldline").describe("Database (must exist)."),
    username: z.string().optional().describe("User for basic auth."),
    password: z.string().optional().describe("Password for basic auth."),
    retentionPolicy: z.string().optional().describe("Retention policy (rp)."),
    ...common,
  }),
]);

export const configSchema = z
  .strictObject({
    dataDir: z
      .string()
      .default("data")
      .describe("Directory for checkpoints, the dead-letter store, alert history and the rules file."),
    mqtt: z
      .strictObject({
        url: z.string().default("mqtt://127.0.0.1:1883").describe("Broker URL."),
        clientId: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/)
          .default("fieldline-processor")
          .describe("Fixed client id: the broker keeps this session (clean: false) across restarts."),
        username: z.string().optional().describe("MQTT user name."),
        password: z.string().optional().describe("MQTT password."),
        site: z.string().optional().describe("Only this site's telemetry (default: every site)."),
        keepaliveS: z.number().int().min(0).default(60).describe("MQTT keepalive in seconds."),
        reconnectMs: ms(1000, "Delay between reconnect attempts."),
        maxInflight: z
          .number()
          .int()
          .min(1)
          .default(2000)
          .describe("Most messages received and not yet acknowledged before reading from the broker pauses."),
        storedAckMs: ms(100, "Tell devices which telemetry messages are durably stored (their `stored` topic) this often; their outboxes release only those (0 = never: devices then keep re-sending)."),
      })
      .prefault({}),
    sink: sinkSchema.default({ type: "file", path: "data/points.lp", fsync: true }).describe("Where points go."),
    writer: z
      .strictObject({
        maxBatchPoints: z.number().int().min(1).default(5000).describe("Most points in one write."),
        maxBufferedPoints: z
          .number()
          .int()
          .min(1)
          .default(200_000)
          .describe("Bound of points waiting for the sink; past it ingest pauses (backpressure)."),
        retryInitialMs: ms(100, "First retry delay after a failed write."),
        retryMaxMs: ms(10_000, "Longest retry delay (exponential backoff with jitter)."),
      })
      .prefault({}),
    detection: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Score every finite reading with the anomaly detector."),
        thread: z
          .enum(["worker", "inline"])
          .default("worker")
          .describe("worker: detectors run in a worker thread (a second core; scoring never delays rules and alerts); inline: on the event loop, in slices."),
        checkpointIntervalMs: ms(60_000, "How often detector state is checkpointed (also on stop)."),
        alerts: z.boolean().default(true).describe("Raise `anomaly.<sensor>` alerts when score >= ALERT_THRESHOLD."),
        clearAfterMs: ms(300_000, "An anomaly alert clears after this much event time without a detection."),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        clearHoldMs: ms(30_000, "A cleared condition must stay clear this long before the alert clears (flap suppression)."),
        renotifyMs: ms(3_600_000, "Re-publish an unacknowledged active alert this often (0 = never)."),
        tickMs: ms(1000, "How often clear holds and re-notifications are checked."),
      })
      .prefault({}),
    rules: z
      .strictObject({
        file: z.string().optional().describe("Initial rules YAML (default: the last applied rules in dataDir, if any)."),
        wallClock: z
          .boolean()
          .default(true)
          .describe("Advance rule time with the wall clock every alerts.tickMs, so stale rules fire for silent devices; off when replaying recorded telemetry (event time only)."),
        reorderMs: ms(5_000, "How long a gap in a device's telemetry seqs holds its later messages back from the rules, so a redelivered backlog is evaluated in the order the device sent it."),
        maxFutureMs: ms(86_400_000, "Readings stamped further ahead of the wall clock are stored but kept from the rules (counted, logged), so one bad device clock cannot silence its rules."),
        maxPastMs: ms(3650 * 86_400_000, "Readings stamped further back than this (e.g. a device clock reset to 1970) are stored but kept from the rules (counted, logged)."),
        reorderMaxHeld: z.number().int().min(1).max(1_000_000).default(5000).describe("Most messages held back per device while waiting for a gap to fill."),
      })
      .prefault({}),
    http: z
      .strictObject({
        host: z.string().default("127.0.0.1").describe("Operator API listen address."),
        port: z.number().int().min(0).max(65535).default(8080).describe("Operator API port (0 = any free port)."),
        auth: z
          .enum(["tokens", "none"])
          .default("tokens")
          .describe("tokens: every route but /healthz needs a bearer token from `cloud-processor token add` (none added: every request is refused); none: no checks, for local development, only on a loopback host."),
        metrics: z
          .enum(["token", "open"])
          .default("token")
          .describe("token: /metrics needs a token whose role may read metrics (operator, viewer); open: anyone who reaches the port may scrape it."),
        tls: z
          .strictObject({
            cert: z.string().min(1).describe("PEM certificate (chain) file; with `key`, the API serves HTTPS only."),
            key: z.string().min(1).describe("PEM private key file of that certificate."),
          })
          .strict()
          .optional()
          .describe("Serve the API over HTTPS."),
      })
      .strict()
      .superRefine((h, ctx) => {
        if (h.auth === "none" && !LOOPBACK.has(h.host)) {
          ctx.addIssue({ code: "custom", path: ["auth"], message: `"none" is allowed only with a loopback host (127.0.0.1, ::1, localhost), not ${h.host}` });
        }
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info").describe("pino level."),
      })
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type SinkConfig = z.infer<typeof sinkSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly issues: string[],
    file = "config",
  ) {
    super(`${issues.length} error${issues.length === 1 ? "" : "s"} in ${file}:\n  ` + issues.join("\n  "));
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  return out || "(root)";
}

/** Validates a parsed document; throws ConfigError listing every issue. */
export function parseConfig(doc: unknown, file?: string): Config {
  const r = configSchema.safeParse(doc ?? {});
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`), file);
  return r.data;
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in string values with the environment's value
 * (secrets such as tokens stay out of the file); an unset name without a default is an error.
 */
export function expandEnv(doc: unknown, env: NodeJS.ProcessEnv, path = "", missing: string[] = []): unknown {
  if (typeof doc === "string") {
    return doc.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (def !== undefined) return def;
      missing.push(`${path || "(root)"}: environment variable ${name} is not set`);
      return "";
    });
  }
  if (Array.isArray(doc)) return doc.map((d, i) => expandEnv(d, env, `${path}[${i}]`, missing));
  if (doc && typeof doc === "object") {
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, expandEnv(v, env, path ? `${path}.${k}` : k, missing)]));
  }
  return doc;
}

export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const text = await readFile(path, "utf8");
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([(err as Error).message], path);
  }
  const missing: string[] = [];
  doc = expandEnv(doc, env, "", missing);
  let cfg: Config | undefined;
  let issues: string[] = [];
  try {
    cfg = parseConfig(doc, path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues = err.issues;
  }
  if (missing.length > 0 || !cfg) throw new ConfigError([...missing, ...issues], path);
  return cfg;
}
