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
import { RawMqtt, publishTemplate } from "./raw-mqtt.ts";

interface Common {
  port: number;
}
type Args =
  | (Common & { role: "subscriber"; username: string; secret: string; filters: string[]; persistent?: boolean })
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

async function subscriber(a: Extract<Args, { role: "subscriber" }>) {
  let count = 0;
  let lat: number[] = [];
  // one connection per filter (one wildcard subscriber, or one subscriber per publisher)
  const subs = await Promise.all(
    a.filters.map(async (filter, i) => {
      const c = new RawMqtt({
        publish(payload) {
          count++;
          if (payload.length >= 8) lat.push(now() - payload.readDoubleLE(0));
        },
      });
      // a persistent session (clean session off) has every message queued in the broker's persistence until acknowledged
      await c.connect(a.port, a.persistent ? `bench-session-${i}` : `bench-sub-${process.pid}-${i}`, a.username, a.secret, !a.persistent);
      const codes = await c.subscribe(filter);
      if (codes[0] !== 1) throw new Error(`subscription to ${filter} refused: ${codes}`);
      return c;
    }),
  );
  process.on("message", (m) => {
    if (m === "mark") lat = [];
    if (m === "report") {
      const sorted = Float64Array.from(lat).sort();
      const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);
      send({ type: "report", count, p50: q(0.5), p99: q(0.99), samples: sorted.length });
    }
    if (m === "stop") {
      for (const c of subs) c.end();
      setTimeout(() => process.exit(0), 100);
    }
  });
  send({ type: "ready" });
}

async function publishers(a: Extract<Args, { role: "publishers" }>) {
  let sent = 0;
  let acked = 0;
  let running = true;
  const pubs = a.devices.map((d) => {
    const tpl = publishTemplate(d.topic, a.payloadBytes);
    let nextId = 1;
    let owed = 0; // acks received in this read, to be replaced by new publishes (window mode)
    const c: RawMqtt = new RawMqtt({
      puback() {
        acked++;
        owed++;
      },
      batchEnd() {
        if (a.window && running && owed > 0) {
          send1(owed);
          owed = 0;
        }
      },
    });
    function send1(n: number) {
      const buf = Buffer.allocUnsafe(tpl.size * n);
      const t = now();
      for (let k = 0; k < n; k++) {
        tpl.fill(buf, k * tpl.size, nextId, t);
        nextId = nextId === 65535 ? 1 : nextId + 1;
      }
      sent += n;
      c.write(buf);
    }
    return { c, d, send: send1 };
  });
  await Promise.all(pubs.map((p) => p.c.connect(a.port, p.d.username, p.d.username, p.d.secret)));
  if (a.window) for (const p of pubs) p.send(a.window);
  else {
    const perTick = (a.rate! / 1000) * 2; // every 2 ms, spread over the clients
    let due = 0;
    let next = 0;
    const timer = setInterval(() => {
      if (!running) return clearInterval(timer);
      due += perTick;
      while (due >= 1) {
        due--;
        pubs[next++ % pubs.length]!.send(1);
      }
    }, 2);
  }
  process.on("message", (m) => {
    if (m === "report") send({ type: "report", sent, acked });
    if (m === "stop") {
      running = false;
      for (const p of pubs) p.c.end();
      setTimeout(() => process.exit(0), 100);
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
