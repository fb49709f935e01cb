/** Schemas of the transports a fleet can be sent over; `transports/registry.ts` builds them. */
import { z } from "zod";
import { positiveDuration } from "./fields";

export const mqttTransport = z.object({
  type: z.literal("mqtt"),
  url: z.string().min(1).default("mqtt://127.0.0.1:1883").describe("Broker URL (mqtt://, mqtts://, ws://)."),
  qos: z.union([z.literal(0), z.literal(1)]).default(1).describe("QoS of telemetry publishes."),
  username: z.string().optional().describe("Username template; `{device}` and `{site}` are replaced."),
  password: z.string().optional().describe("Password template; `{device}` and `{site}` are replaced."),
  credentialsFile: z.string().optional().describe("JSON file `{ \"<device>\": {\"username\", \"password\"} }`; wins over the templates."),
  connectConcurrency: z.number().int().positive().default(100).describe("Connections opened at once."),
  keepalive: z.number().int().min(0).default(60).describe("MQTT keepalive, seconds."),
  maxInflight: z.number().int().positive().default(20_000).describe("Unacknowledged publishes across the fleet before the run waits."),
  state: z.boolean().default(true).describe("Publish retained online/offline state, with a will."),
  reconnectPeriod: positiveDuration.default(1000).describe("Wait between reconnect attempts after a lost connection."),
});

export const serialTransport = z.object({
  type: z.literal("serial"),
  dir: z.string().optional().describe("Folder for the pty links (default: a new temp folder)."),
  link: z.string().default("{device}").describe("Name of the link the edge agent opens; `{device}` is replaced. The simulator's end gets `.sim` appended."),
  baudRate: z.number().int().positive().default(115_200).describe("Baud rate the simulator's end is opened with (ptys ignore it)."),
  socat: z.string().default("socat").describe("socat executable."),
  stallTimeout: positiveDuration
    .default(30_000)
    .describe("Fail the run when a port's reader takes nothing for this long (no edge agent on it)."),
  linger: z
    .union([z.literal(0), positiveDuration])
    .default(1000)
    .describe("At the end, time the reader gets to take the last bytes before the pty pairs are closed."),
  retransmit: z
    .object({
      timeout: positiveDuration.default(500).describe("Re-send a readings frame the host has not acknowledged for this long."),
      buffer: z.number().int().positive().default(1024).describe("Most unacknowledged readings frames kept per device; when full the oldest is dropped."),
      perTick: z.number().int().positive().default(64).describe("Most frames re-sent per device per timeout/4."),
    })
    .optional()
    .describe("Play an MCU that keeps readings frames until the host acks them (firmware-contracts README: reliable delivery). Absent: fire and forget."),
});

export const noneTransport = z.object({
  type: z.literal("none").describe("Sends nothing; writes the ground truth only (dry run)."),
});

export const transport = z.discriminatedUnion("type", [mqttTransport, serialTransport, noneTransport]);

export type MqttTransportSpec = z.infer<typeof mqttTransport>;
export type SerialTransportSpec = z.infer<typeof serialTransport>;
export type TransportSpec = z.infer<typeof transport>;
