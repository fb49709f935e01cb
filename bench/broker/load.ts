/**
 * Load generator, run as a child process (never inside the broker's process). Roles:
 * - subscriber: one wildcard QoS 1 subscriber; counts messages and latencies (payload
 *   carries the send time); answers "mark" (start a window) and "report".
 * - publishers: N device clients publishing QoS 1, either flat out with a window of
 *   unacknowledged messages each, or at a fixed total rate.
 * - idle: K raw MQTT connections that CONNECT and then stay silent (keepalive 0).
 * Parent -> child: "mark" | "report" | "stop". Child -> parent: {type: "ready" | "report", ...}.
 */
import { connect as netConnect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import mqtt, { type MqttClient } from "mqtt";

interface Common {
  port: number;
}
type Args =
  | (Common & { role: "subscriber"; username: string; secret: string; filter: string })
  | (Common & {
      role: "publishers";
      devices: { username: string; secret: string; topic: string }[];
      window?: number;
      rate?: number;
      payloadBytes: number;
    })
  | (Common & { role: "idle"; username: string; secret: string; count: number });

const args = JSON.parse(process.argv[2]!) as Args;
const send = (m: object) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();

function client(username: string, secret: string, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: "127.0.0.1", port: args.port, username, password: secret, clientId, reconnectPeriod: 0, protocolVersion: 4, keepalive: 0 });
    c.once("connect", () => resolve(c));
    c.once("error", reject);
  });
}

async function subscriber(a: Extract<Args, { role: "subscriber" }>) {
  const c = await client(a.username, a.secret, "bench-sub");
  let count = 0;
  let lat: number[] = [];
  c.on("message", (_t, payload) => {
    count++;
    if (payload.length >= 8) lat.push(now() - payload.readDoubleLE(0));
  });
  await c.subscribeAsync(a.filter, { qos: 1 });
  process.on("message", (m) => {
    if (m === "mark") lat = [];
    if (m === "report") {
      const sorted = Float64Array.from(lat).sort();
      const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);
      send({ type: "report", count, p50: q(0.5), p99: q(0.99), samples: sorted.length });
    }
    if (m === "stop") c.end(true, () => process.exit(0));
  });
  send({ type: "ready" });
}

async function publishers(a: Extract<Args, { role: "publishers" }>) {
  const clients = await Promise.all(a.devices.map((d) => client(d.username, d.secret, d.username)));
  let sent = 0;
  let acked = 0;
  let running = true;
  const payload = () => {
    const b = Buffer.alloc(a.payloadBytes);
    b.writeDoubleLE(now(), 0);
    return b;
  };
  if (a.window) {
    clients.forEach((c, i) => {
      const topic = a.devices[i]!.topic;
      const one = () => {
        if (!running) return;
        sent++;
        c.publish(topic, payload(), { qos: 1 }, () => {
          acked++;
          one();
        });
      };
      for (let k = 0; k < a.window!; k++) one();
    });
  } else {
    const perTick = (a.rate! / 1000) * 5; // every 5 ms, spread over the clients
    let due = 0;
    let next = 0;
    const timer = setInterval(() => {
      if (!running) return clearInterval(timer);
      due += perTick;
      while (due >= 1) {
        due--;
        const i = next++ % clients.length;
        sent++;
        clients[i]!.publish(a.devices[i]!.topic, payload(), { qos: 1 }, () => acked++);
      }
    }, 5);
  }
  process.on("message", (m) => {
    if (m === "report") send({ type: "report", sent, acked });
    if (m === "stop") {
      running = false;
      Promise.all(clients.map((c) => c.endAsync(true))).finally(() => process.exit(0));
    }
  });
  send({ type: "ready" });
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

async function idle(a: Extract<Args, { role: "idle" }>) {
  const sockets: Socket[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const payload = Buffer.concat([utf8(`idle-${i}`), utf8(a.username), utf8(a.secret)]);
      const variable = Buffer.concat([utf8("MQTT"), Buffer.from([4, 0xc2, 0, 0])]); // user+pass, clean, keepalive 0
      const len = variable.length + payload.length;
      const s = netConnect(a.port, "127.0.0.1", () => s.write(Buffer.concat([Buffer.from([0x10, len]), variable, payload])));
      s.once("data", (d) => (d[0] === 0x20 && d[3] === 0 ? resolve() : reject(new Error(`CONNACK ${d[3]}`))));
      s.once("error", reject);
      sockets.push(s);
    });
  let opened = 0;
  for (let i = 0; i < a.count; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, a.count - i) }, (_, k) => open(i + k)));
    opened = Math.min(a.count, i + 250);
  }
  process.on("message", (m) => {
    if (m === "stop") {
      for (const s of sockets) s.destroy();
      process.exit(0);
    }
  });
  send({ type: "ready", opened });
}

const run = { subscriber, publishers, idle }[args.role] as (a: Args) => Promise<void>;
run(args).catch((e: Error) => {
  process.stderr.write(`load ${args.role}: ${e.message}\n`);
  process.exit(1);
});
