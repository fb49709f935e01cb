/**
 * One agent in-process with the sim GPIO chip on a Unix socket, a PushSource and a temp
 * data dir (or a given one), against a broker URL. `stop()` releases all of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { Agent, type AgentDeps } from "../../src/agent/agent";
import { parseConfig } from "../../src/config/load";
import { SimGpioClient } from "../../src/gpio/sim/client";
import { PushSource } from "./push-source";

export interface RigOptions {
  url: string;
  device?: string;
  rules: string;
  /** Extra YAML appended to the config (top-level keys). */
  extra?: string;
  /** `device:` extra fields, e.g. `labels: { zone: north }`. */
  deviceExtra?: string;
  /** Data dir (default: a new temp dir, removed by stop()). */
  dataDir?: string;
  deps?: AgentDeps;
  logger?: Logger;
}

export interface Rig {
  agent: Agent;
  source: PushSource;
  gpio: SimGpioClient;
  dir: string;
  /** The sim chip's level of an output line offset. */
  level(line: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startRig(o: RigOptions): Promise<Rig> {
  const own = o.dataDir === undefined;
  const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), "fl-rig-"));
  // The socket and rules live outside the data dir (which a test may fill or make read-only).
  const side = mkdtempSync(join(tmpdir(), "fl-rig-side-"));
  writeFileSync(join(side, "rules.yaml"), o.rules);
  const cfg = parseConfig(`
device: { site: plant1, id: ${o.device ?? "boiler-1"}${o.deviceExtra ? `, ${o.deviceExtra}` : ""} }
broker: { url: "${o.url}", reconnect: { initialMs: 50, maxMs: 200 }, release: puback }
gpio:
  chip: { type: sim, socket: "${join(side, "gpio.sock")}" }
  outputs: { VALVE: { line: 4, initial: 1 }, FAN: { line: 5 }, BEACON: { line: 6 } }
rules: { file: "${join(side, "rules.yaml")}", tickMs: 20 }
telemetry: { lingerMs: 5 }
dataDir: "${dir}"
http: { listen: "127.0.0.1:0" }
${o.extra ?? ""}
`);
  const source = new PushSource();
  const agent = new Agent(cfg, { logger: o.logger ?? pino({ level: "silent" }), sources: [source], ...o.deps });
  await agent.start();
  const gpio = new SimGpioClient({ socket: join(side, "gpio.sock") });
  await gpio.connect();
  return {
    agent,
    source,
    gpio,
    dir,
    level: async (line) => (await gpio.get(line)).value,
    async stop() {
      await gpio.close();
      await agent.stop(500);
      rmSync(side, { recursive: true, force: true });
      if (own) rmSync(dir, { recursive: true, force: true });
    },
  };
}
