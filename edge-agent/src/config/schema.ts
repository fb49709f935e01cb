/**
 * The agent's one config file (YAML), as one zod schema with a default and a description per
 * field. Input and GPIO entries are validated by the schemas in their registries, so a new
 * input kind needs no change here. The README's config table is generated from this schema
 * (`edge-agent config-doc`).
 */
import { z } from "zod";
import { ID_PATTERN } from "@fieldline/firmware-contracts";
import { inputRegistry } from "../inputs/registry";
import { gpioRegistry } from "../gpio/registry";

const id = z.string().regex(ID_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 _ . -");

function union(schemas: z.ZodObject[], what: string): z.ZodType {
  const [a, b, ...rest] = schemas;
  if (!a) throw new Error(`no ${what} kinds registered`);
  if (!b) return a;
  return z.discriminatedUnion("type", [a, b, ...rest] as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
}

export const inputSchema = union(
  Object.values(inputRegistry).map((k) => k.schema),
  "input",
).describe(`One input; \`type\` is one of ${Object.keys(inputRegistry).join(", ")} (see docs/inputs.md)`);

export const gpioChipSchema = union(
  Object.values(gpioRegistry).map((k) => k.schema),
  "GPIO",
).describe(`The GPIO chip; \`type\` is one of ${Object.keys(gpioRegistry).join(", ")}`);

export const lineRef = z.union([z.number().int().min(0), z.string().min(1)]);

export const outputLineSchema = z.object({
  line: lineRef.describe("Line offset or line name on the chip"),
  initial: z.union([z.literal(0), z.literal(1)]).default(0).describe("Level driven when the agent starts"),
});

const durationMs = (def: number, min = 0) => z.number().int().min(min).default(def);

export const configSchema = z
  .object({
    device: z
      .object({
        site: id.describe("Site id (topic level 3)"),
        id: id.describe("Device id (topic level 4, payload `device`)"),
        labels: z
          .record(id, z.string().min(1).max(128))
          .default({})
          .describe("Labels of this device, e.g. { zone: north }: label-scoped rules match them; published in the retained state"),
      })
      .describe("Who this device is"),
    broker: z
      .object({
        url: z
          .string()
          .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, "must be an mqtt://, mqtts://, ws:// or wss:// URL")
          .describe("Broker URL, e.g. mqtts://broker.example:8883"),
        clientId: z.string().min(1).max(128).optional().describe("MQTT client id (default: the device id, which the Fieldline broker requires)"),
        username: z.string().min(1).optional().describe("MQTT username"),
        password: z.string().optional().describe("MQTT password (prefer passwordFile)"),
        passwordFile: z.string().min(1).optional().describe("File holding the MQTT password"),
        ca: z.string().min(1).optional().describe("PEM file of the CA that signed the broker's certificate"),
        cert: z.string().min(1).optional().describe("PEM client certificate (mutual TLS)"),
        key: z.string().min(1).optional().describe("PEM client key (mutual TLS)"),
        rejectUnauthorized: z.boolean().default(true).describe("Verify the broker's certificate"),
        keepaliveSec: z.number().int().min(0).max(65535).default(30).describe("MQTT keepalive"),
        connectTimeoutMs: durationMs(10_000, 100).describe("Give up on one connection attempt after this long"),
        reconnect: z
          .object({
            initialMs: durationMs(500, 10).describe("First reconnect delay"),
            maxMs: durationMs(30_000, 10).describe("Reconnect delay ceiling (doubling with full jitter)"),
          })
          .prefault({})
          .describe("Reconnect backoff"),
        inflight: z.number().int().min(1).max(1000).default(64).describe("Most QoS 1 publishes awaiting PUBACK"),
        release: z
          .enum(["stored", "puback"])
          .default("stored")
          .describe("When the outbox forgets a telemetry message: once the cloud says it is stored (its `stored` topic), or on the broker's PUBACK"),
        storedWindow: z.number().int().min(1).max(100_000).default(1000).describe("Most telemetry messages published and not yet confirmed stored (release: stored)"),
        resendMs: durationMs(30_000, 100).describe("Republish unconfirmed telemetry after this long without any confirmation; doubles while nothing is confirmed, up to 16x (release: stored)"),
      })
      .refine((b) => (b.cert === undefined) === (b.key === undefined), {
        message: "give both cert and key, or neither",
        path: ["cert"],
      })
      .refine((b) => b.password === undefined || b.passwordFile === undefined, {
        message: "give password or passwordFile, not both",
        path: ["passwordFile"],
      })
      .describe("MQTT uplink"),
    inputs: z.array(inputSchema).default([]).describe("Where readings come from"),
    gpio: z
      .object({
        chip: gpioChipSchema,
        outputs: z
          .record(id, outputLineSchema)
          .default({})
          .describe("Named output lines rules and commands may drive, e.g. { VALVE: { line: 17 } }"),
      })
      .optional()
      .describe("GPIO chip and the output lines the agent drives"),
    rules: z
      .object({
        file: z.string().min(1).optional().describe("Local safety rules file (YAML); the cloud's desired config is a separate rule set and never replaces it"),
        tickMs: durationMs(1000, 10).describe("How often time-based rules (for-duration, stale data) are advanced"),
      })
      .prefault({})
      .describe("Local safety rules"),
    telemetry: z
      .object({
        maxBatch: z.number().int().min(1).max(1000).default(1000).describe("Most readings in one telemetry message"),
        lingerMs: durationMs(20).describe("Longest a reading waits for its batch before it is written to the outbox"),
      })
      .prefault({})
      .describe("Batching of readings"),
    dataDir: z
      .string()
      .min(1)
      .default("/var/lib/fieldline")
      .describe("State directory: outbox (unless outbox.dir is set) and the applied desired config"),
    outbox: z
      .object({
        dir: z.string().min(1).optional().describe("Outbox directory (default <dataDir>/outbox)"),
        maxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(256 * 1024 * 1024)
          .describe("Bytes on disk the outbox may hold"),
        segmentBytes: z
          .number()
          .int()
          .min(4096)
          .default(4 * 1024 * 1024)
          .describe("Segment file size (at most maxBytes/4)"),
        fsync: z
          .enum(["always", "interval", "never"])
          .default("interval")
          .describe("When appends are forced to disk (see README: fsync policy)"),
        fsyncIntervalMs: durationMs(200, 1).describe('With fsync "interval": most data a power cut can lose, in ms'),
        full: z
          .enum(["drop-oldest", "drop-newest"])
          .default("drop-oldest")
          .describe("What happens when the outbox is full (counted and reported as an event)"),
        memoryBytes: z
          .number()
          .int()
          .min(4096)
          .default(4 * 1024 * 1024)
          .describe("While the disk cannot be written (full, read-only, I/O errors): bytes of messages kept in memory, under the same full policy"),
      })
      .prefault({})
      .describe("On-disk outbox"),
    http: z
      .object({
        listen: z
          .string()
          .regex(/^[^\s:]*:\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:9410")
          .nullable()
          .default("127.0.0.1:9410")
          .describe("Address of /healthz and /metrics (null disables; port 0 picks a free port)"),
      })
      .prefault({})
      .describe("Health and metrics endpoint"),
    log: z
      .object({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      })
      .prefault({})
      .describe("pino JSON logs on stdout"),
  })
  .superRefine((cfg, ctx) => {
    const needsGpio = cfg.inputs.some((i) => (i as { type: string }).type === "gpio");
    if (needsGpio && cfg.gpio === undefined) {
      ctx.addIssue({ code: "custom", path: ["gpio"], message: "a gpio input needs gpio.chip" });
    }
  });

export type AgentConfig = z.output<typeof configSchema>;
export type BrokerConfig = AgentConfig["broker"];
