/**
 * The reference: a Node-RED 4 flow doing the same job as the processor's ingest path
 * (mqtt in QoS 1 -> decode CBOR telemetry -> InfluxDB 1.x /write). Node-RED ships no CBOR
 * or InfluxDB node, so decoding is a function node using cbor-x (given through
 * functionGlobalContext) and the write an http request node, one POST per message.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitHttp } from "@fieldline/test-support";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/** A server the benchmark started (Node-RED, the processor). */
export interface NodeRed {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export async function startNodeRed(port: number): Promise<NodeRed> {
  const dir = await mkdtemp(join(tmpdir(), "fl-nodered-"));
  const proc: ChildProcess = spawn(process.execPath, [join(root, "node_modules/node-red/red.js"), "-s", join(here, "settings.cjs"), "-u", dir], {
    env: { ...process.env, NR_PORT: String(port) },
    stdio: "ignore",
  });
  return served(proc, `http://127.0.0.1:${port}`, "/flows", dir);
}

/** A server process once `url + ready` answers; `stop` ends it (SIGTERM) and removes `dir`. */
export async function served(proc: ChildProcess, url: string, ready: string, dir: string): Promise<NodeRed> {
  await waitHttp(`${url}${ready}`, proc, 30_000);
  return {
    pid: proc.pid!,
    url,
    stop: async () => {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Line protocol built in the function node, same shape as the processor's points. */
const DECODE = `
const m = global.get("cbor").decode(msg.payload);
const site = msg.topic.split("/")[2];
let body = "";
for (const r of m.readings) {
  if (!Number.isFinite(r.value)) continue;
  body += "telemetry,device=" + m.device + ",sensor=" + r.sensor + ",site=" + site + " value=" + r.value + " " + r.t + "\\n";
}
msg.payload = body;
msg.headers = { "content-type": "text/plain" };
return msg;
`;

export async function deployFlow(nr: NodeRed, opts: { brokerPort: number; topic: string; influxUrl: string; db: string }): Promise<void> {
  const flows = [
    { id: "tab1", type: "tab", label: "fieldline bench" },
    {
      id: "broker1",
      type: "mqtt-broker",
      name: "aedes",
      broker: "127.0.0.1",
      port: String(opts.brokerPort),
      clientid: "nodered-bench",
      autoConnect: true,
      usetls: false,
      protocolVersion: "4",
      keepalive: "60",
      cleansession: false,
    },
    { id: "in1", type: "mqtt in", z: "tab1", name: "telemetry", topic: opts.topic, qos: "1", datatype: "buffer", broker: "broker1", nl: false, rap: false, inputs: 0, wires: [["fn1"]] },
    { id: "fn1", type: "function", z: "tab1", name: "decode", func: DECODE, outputs: 1, wires: [["http1"]] },
    {
      id: "http1",
      type: "http request",
      z: "tab1",
      name: "influxdb write",
      method: "POST",
      ret: "txt",
      url: `${opts.influxUrl}/write?db=${opts.db}&precision=ms`,
      wires: [[]],
    },
  ];
  const res = await fetch(`${nr.url}/flows`, {
    method: "POST",
    headers: { "content-type": "application/json", "Node-RED-Deployment-Type": "full" },
    body: JSON.stringify(flows),
  });
  if (res.status !== 200 && res.status !== 204) throw new Error(`deploy: HTTP ${res.status} ${await res.text()}`);
}
