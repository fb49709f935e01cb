/**
 * The cloud processor (`cloud-processor/src/cli.ts run`) as a process, with its operator API
 * on a port chosen once (it keeps the port across restarts and kill -9) and an operator token
 * for it, made once in its data dir (`apiToken`; the API refuses requests without one).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TOKENS_FILE, TokenStore } from "@fieldline/cloud-processor";
import type { Alert } from "@fieldline/firmware-contracts";
import { ManagedProcess } from "./process";
import { freePort } from "./servers";

export type SinkOptions =
  | { type: "file"; path: string }
  | { type: "influxdb"; url: string; token?: string; org?: string; bucket?: string }
  | { type: "influxdb-v1"; url: string; database?: string };

export interface ProcessorOptions {
  dir: string;
  brokerUrl: string;
  username: string;
  password: string;
  sink: SinkOptions;
  rulesFile: string;
  detection: boolean;
}

function sinkYaml(s: SinkOptions): string {
  switch (s.type) {
    case "file":
      return `{ type: file, path: "${s.path}", fsync: true }`;
    case "influxdb":
      return `{ type: influxdb, url: "${s.url}", org: "${s.org ?? "fieldline"}", bucket: "${s.bucket ?? "telemetry"}"${s.token ? ", token: \"${FIELDLINE_INFLUX_TOKEN}\"" : ""} }`;
    case "influxdb-v1":
      return `{ type: influxdb-v1, url: "${s.url}", database: "${s.database ?? "fieldline"}" }`;
  }
}

export class ProcessorService {
  private proc: ManagedProcess | undefined;
  apiPort = 0;
  /** Bearer token of the `platform` operator account. */
  apiToken = "";

  constructor(private readonly opts: ProcessorOptions) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get dataDir(): string {
    return join(this.opts.dir, "data");
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  async start(): Promise<void> {
    if (!this.proc) {
      this.apiPort = await freePort();
      await mkdir(this.dataDir, { recursive: true });
      this.apiToken = (await new TokenStore(join(this.dataDir, TOKENS_FILE)).add("platform", "operator")).token;
      const o = this.opts;
      const config = join(o.dir, "processor.yaml");
      await writeFile(
        config,
        [
          `dataDir: "${this.dataDir}"`,
          `mqtt: { url: "${o.brokerUrl}", clientId: fieldline-processor, username: ${o.username}, password: "\${FIELDLINE_PROCESSOR_PASSWORD}", reconnectMs: 200 }`,
          `sink: ${sinkYaml(o.sink)}`,
          "writer: { maxBatchPoints: 5000, retryInitialMs: 100, retryMaxMs: 1000 }",
          `detection: { enabled: ${o.detection} }`,
          // Alerts stay active for the whole run, so the report sees each one.
          "alerts: { clearHoldMs: 600000 }",
          `rules: { file: "${o.rulesFile}" }`,
          `http: { host: 127.0.0.1, port: ${this.apiPort} }`,
          "log: { level: info }",
          "",
        ].join("\n"),
      );
      const cli = join("cloud-processor", "src", "cli.ts");
      this.proc = new ManagedProcess("processor", [cli, "run", "--config", config], join(o.dir, "processor.log"));
    }
    process.env.FIELDLINE_PROCESSOR_PASSWORD = this.opts.password;
    if (this.opts.sink.type === "influxdb" && this.opts.sink.token) process.env.FIELDLINE_INFLUX_TOKEN = this.opts.sink.token;
    await this.proc.start("processor started");
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }

  async close(): Promise<void> {
    await this.proc?.close();
  }

  get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.apiToken}` };
  }

  async alerts(): Promise<Alert[]> {
    const res = await fetch(`${this.apiUrl}/alerts`, { headers: this.auth });
    if (!res.ok) throw new Error(`GET /alerts: HTTP ${res.status}`);
    return (await res.json()) as Alert[];
  }

  async health(): Promise<Record<string, unknown> & { ok: boolean }> {
    const res = await fetch(`${this.apiUrl}/healthz`);
    return (await res.json()) as Record<string, unknown> & { ok: boolean };
  }

  /** Sum of a Prometheus counter or gauge over its labels (optionally one label value). */
  async metric(name: string, label?: string): Promise<number> {
    const text = await (await fetch(`${this.apiUrl}/metrics`, { headers: this.auth })).text();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      if (rest[0] !== " " && rest[0] !== "{") continue;
      if (label && !rest.includes(label)) continue;
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return sum;
  }

  /** Every alert transition the processor recorded (its JSONL history). */
  async history(): Promise<Alert[]> {
    const text = await readFile(join(this.dataDir, "alerts.jsonl"), "utf8").catch(() => "");
    return text
      .split("\n")
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Alert];
        } catch {
          return []; // a torn last line after kill -9
        }
      });
  }
}
