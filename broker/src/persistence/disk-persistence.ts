/**
 * Aedes persistence on local disk: aedes-persistence's memory implementation holds the state
 * and answers every query; each call that changes state is also appended to a log
 * (records.ts) and, where Aedes acknowledges something on the strength of it, the call
 * resolves only once its record is fsynced (group commit, append-log.ts). Recovery replays
 * the newest snapshot and the logs after it into a fresh memory instance; compaction writes
 * a snapshot of the state when the log has grown past its threshold (generations.ts).
 *
 * Which calls wait for the disk: retained messages, subscriptions, queueing a message for a
 * persistent session (the PUBACK to its publisher waits on it, see publish-before-ack.ts),
 * inbound QoS 2 state, wills, and a QoS 2 PUBREL replacing its PUBLISH. Recording a delivery's
 * packet id (outgoingUpdate) and a subscriber's PUBACK (outgoingClearMessageId) are logged
 * without waiting: lost in a crash, they cost a redelivery, never a message.
 */
import { createRequire } from "node:module";
import { mkdir, readFile } from "node:fs/promises";
import { lockDir, type DirLock } from "./dir-lock.ts";
import type { Readable } from "node:stream";
import type { Logger } from "pino";
import { AppendLog } from "./append-log.ts";
import { listGenerations, logPath, snapPath, writeSnapshot } from "./generations.ts";
import { decodeRecords, encodeRecord, Op, packetMeta, type LoggedPacket, type OpCode, type LogRecord } from "./records.ts";

const require = createRequire(import.meta.url);
const MemoryPersistence = require("aedes-persistence/asyncPersistence.js") as new () => Memory;

type Packet = LoggedPacket & { topic?: string; messageId?: number; brokerId?: string; brokerCounter?: number; cmd?: string };
type ClientRef = { id: string };
interface Sub {
  topic: string;
  qos: number;
  [k: string]: unknown;
}

/** The async persistence interface Aedes 1.2 calls (aedes-persistence 11 `asyncPersistence.js`). */
interface Memory {
  setup(broker: unknown): Promise<void>;
  storeRetained(p: Packet): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  createRetainedStreamCombi(patterns: string[]): Readable;
  addSubscriptions(c: ClientRef, subs: Sub[]): Promise<void>;
  removeSubscriptions(c: ClientRef, topics: string[]): Promise<void>;
  subscriptionsByClient(c: ClientRef): Promise<Sub[]>;
  countOffline(): Promise<{ subsCount: number; clientsCount: number }>;
  subscriptionsByTopic(topic: string): Promise<unknown[]>;
  cleanSubscriptions(c: ClientRef): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], p: Packet): Promise<void>;
  outgoingUpdate(c: ClientRef, p: Packet): Promise<void>;
  outgoingClearMessageId(c: ClientRef, p: Packet): Promise<Packet | undefined>;
  outgoingStream(c: ClientRef): Readable;
  incomingStorePacket(c: ClientRef, p: Packet): Promise<void>;
  incomingGetPacket(c: ClientRef, p: Packet): Promise<Packet>;
  incomingDelPacket(c: ClientRef, p: Packet): Promise<void>;
  cleanIncoming(c: ClientRef): Promise<void>;
  putWill(c: ClientRef, p: Packet): Promise<void>;
  getWill(c: ClientRef): Promise<Packet | undefined>;
  delWill(c: ClientRef): Promise<Packet | undefined>;
  streamWill(brokers?: Record<string, unknown>): Readable;
  getClientList(topic: string): Readable;
  destroy(): Promise<void>;
}

export interface DiskPersistenceOptions {
  dir: string;
  /** Compact when the log passes this many bytes (and the last snapshot's size). */
  compactAfterBytes?: number;
  /** fdatasync each batch (default true); off only for measuring what the sync costs. */
  fsync?: boolean;
  log?: Logger;
}

const DEFAULT_COMPACT = 64 * 1024 * 1024;
const NO_WAIT = Promise.resolve();
const key = (p: Packet) => `${p.brokerId}\u0000${p.brokerCounter}`;

export class DiskPersistence {
  private inner = new MemoryPersistence();
  private brokerRef?: { id: string };
  private log?: AppendLog;
  private gen = 0;
  private snapshotBytes = 0;
  private compacting?: Promise<void>;
  private closed = false;
  private failure?: Error;
  private lock?: DirLock;
  // What a snapshot must enumerate and the memory implementation cannot list synchronously.
  private retained = new Map<string, Packet>();
  private subClients = new Set<string>();
  private queueClients = new Set<string>();
  private incoming = new Map<string, Set<number>>();
  private willClients = new Set<string>();
  /** Clients given subscriptions or queued messages since the running snapshot's capture. */
  private touched = new Set<string>();

  constructor(private readonly opts: DiskPersistenceOptions) {}

  get broker(): unknown {
    return this.brokerRef;
  }

  /** False once a write to the log failed: nothing is acknowledged after that. */
  get healthy(): boolean {
    return this.failure === undefined;
  }

  async setup(broker: { id: string }): Promise<void> {
    this.brokerRef = broker;
    await this.inner.setup(broker);
    await mkdir(this.opts.dir, { recursive: true });
    this.lock = await lockDir(this.opts.dir);
    await this.recover();
  }

  // ---- writes ------------------------------------------------------------------------

  async storeRetained(packet: Packet): Promise<void> {
    const done = this.inner.storeRetained(packet);
    this.trackRetained(packet);
    const { meta, payload } = packetMeta(packet);
    await Promise.all([done, this.commit(Op.storeRetained, { p: meta }, payload, true)]);
  }

  async addSubscriptions(client: ClientRef, subs: Sub[]): Promise<void> {
    const done = this.inner.addSubscriptions(client, subs);
    this.subClients.add(client.id);
    this.touched.add(client.id);
    await Promise.all([done, this.commit(Op.addSubscriptions, { c: client.id, s: subs.map(plainSub) }, undefined, true)]);
  }

  async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    const done = this.inner.removeSubscriptions(client, topics);
    if (!this.subClients.has(client.id)) return done;
    await Promise.all([done, this.commit(Op.removeSubscriptions, { c: client.id, t: topics }, undefined, true)]);
  }

  async cleanSubscriptions(client: ClientRef): Promise<void> {
    const done = this.inner.cleanSubscriptions(client);
    if (!this.subClients.delete(client.id)) return done;
    await Promise.all([done, this.commit(Op.cleanSubscriptions, { c: client.id }, undefined, true)]);
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    return this.outgoingEnqueueCombi([sub], packet);
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void> {
    if (!subs || subs.length === 0) return;
    const done = this.inner.outgoingEnqueueCombi(subs, packet);
    const ids = subs.map((s) => s.clientId);
    for (const id of ids) {
      this.queueClients.add(id);
      this.touched.add(id);
    }
    const { meta, payload } = packetMeta(packet);
    await Promise.all([done, this.commit(Op.outgoingEnqueue, { c: ids, p: meta }, payload, true)]);
  }

  async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    const done = this.inner.outgoingUpdate(client, packet);
    const { meta } = packetMeta(packet);
    // A PUBREL replacing its PUBLISH is QoS 2 state the client was told about: wait for it.
    await Promise.all([done, this.commit(Op.outgoingUpdate, { c: client.id, p: meta }, undefined, meta.cmd !== "publish")]);
  }

  async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    const done = this.inner.outgoingClearMessageId(client, packet);
    if (this.queueClients.has(client.id)) void this.commit(Op.outgoingClear, { c: client.id, m: packet.messageId }, undefined, false);
    return done;
  }

  async incomingStorePacket(client: ClientRef, packet: Packet): Promise<void> {
    const done = this.inner.incomingStorePacket(client, packet);
    this.trackIncoming(client.id, packet.messageId!);
    const { meta, payload } = packetMeta(packet);
    await Promise.all([done, this.commit(Op.incomingStore, { c: client.id, p: meta }, payload, true)]);
  }

  async incomingDelPacket(client: ClientRef, packet: Packet): Promise<void> {
    const done = this.inner.incomingDelPacket(client, packet);
    this.incoming.get(client.id)?.delete(packet.messageId!);
    await Promise.all([done, this.commit(Op.incomingDel, { c: client.id, m: packet.messageId }, undefined, true)]);
  }

  async cleanIncoming(client: ClientRef): Promise<void> {
    const done = this.inner.cleanIncoming(client);
    if (!this.incoming.delete(client.id)) return done;
    await Promise.all([done, this.commit(Op.cleanIncoming, { c: client.id }, undefined, true)]);
  }

  async putWill(client: ClientRef, packet: Packet): Promise<void> {
    const done = this.inner.putWill(client, packet); // sets brokerId and clientId on the packet
    this.willClients.add(client.id);
    const { meta, payload } = packetMeta(packet);
    await Promise.all([done, this.commit(Op.putWill, { c: client.id, p: meta }, payload, true)]);
  }

  async delWill(client: ClientRef): Promise<Packet | undefined> {
    const done = this.inner.delWill(client);
    if (!this.willClients.delete(client.id)) return done;
    const [will] = await Promise.all([done, this.commit(Op.delWill, { c: client.id }, undefined, true)]);
    return will;
  }

  // ---- reads: the memory state answers --------------------------------------------------

  createRetainedStream(pattern: string): Readable {
    return this.inner.createRetainedStream(pattern);
  }
  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.inner.createRetainedStreamCombi(patterns);
  }
  subscriptionsByClient(client: ClientRef): Promise<Sub[]> {
    return this.inner.subscriptionsByClient(client);
  }
  countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.inner.countOffline();
  }
  subscriptionsByTopic(topic: string): Promise<unknown[]> {
    return this.inner.subscriptionsByTopic(topic);
  }
  outgoingStream(client: ClientRef): Readable {
    return this.inner.outgoingStream(client);
  }
  incomingGetPacket(client: ClientRef, packet: Packet): Promise<Packet> {
    return this.inner.incomingGetPacket(client, packet);
  }
  getWill(client: ClientRef): Promise<Packet | undefined> {
    return this.inner.getWill(client);
  }
  streamWill(brokers?: Record<string, unknown>): Readable {
    return this.inner.streamWill(brokers);
  }
  getClientList(topic: string): Readable {
    return this.inner.getClientList(topic);
  }

  /** Finishes in-flight writes (and a running compaction), syncs and closes the log. */
  async destroy(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compacting?.catch(() => undefined);
    await this.log?.close();
    await this.lock?.release();
    await this.inner.destroy();
  }

  // ---- the log -------------------------------------------------------------------------

  private commit(op: OpCode, args: LogRecord["args"], payload: Buffer | string | undefined, durable: boolean): Promise<void> {
    const log = this.log;
    if (!log || this.closed) return Promise.reject(new Error("disk persistence is closed"));
    const rec = encodeRecord({ op, args, ...(payload === undefined ? {} : { payload }) });
    const p = durable ? log.append(rec, true) : (log.append(rec, false), NO_WAIT);
    if (!this.compacting && log.bytes > Math.max(this.opts.compactAfterBytes ?? DEFAULT_COMPACT, this.snapshotBytes)) {
      this.compacting = this.compact().finally(() => (this.compacting = undefined));
    }
    return p;
  }

  private async openLog(gen: number, validBytes?: number, after?: Promise<unknown>): Promise<AppendLog> {
    return AppendLog.open(
      logPath(this.opts.dir, gen),
      {
        fsync: this.opts.fsync !== false,
        ...(after ? { after } : {}),
        onError: (err) => {
          this.failure = err;
          this.opts.log?.error({ err, dir: this.opts.dir }, "disk persistence write failed; nothing more is acknowledged");
        },
      },
      validBytes,
    );
  }

  private async recover(): Promise<void> {
    const { dir } = this.opts;
    const gens = await listGenerations(dir);
    const payloads = new Map<string, Buffer | string>();
    let applied = 0;
    let failed = 0;
    const replay = (records: LogRecord[]) => {
      for (const r of records) {
        if (this.apply(r, payloads)) applied++;
        else failed++;
      }
    };
    if (gens.snapshot !== undefined) {
      const buf = await readFile(snapPath(dir, gens.snapshot));
      const d = decodeRecords(buf);
      if (d.validBytes !== buf.length) throw new Error(`snapshot ${snapPath(dir, gens.snapshot)} is damaged at byte ${d.validBytes}`);
      replay(d.records);
      this.snapshotBytes = buf.length;
    }
    let last = gens.snapshot ?? 0;
    let validBytes: number | undefined;
    for (const gen of gens.logs) {
      const buf = await readFile(logPath(dir, gen));
      const d = decodeRecords(buf);
      replay(d.records);
      if (d.validBytes !== buf.length) {
        this.opts.log?.warn({ file: logPath(dir, gen), dropped: buf.length - d.validBytes }, "torn record at the end of the log dropped");
      }
      last = gen;
      validBytes = d.validBytes;
    }
    // Await what replay started (the memory calls settle at once), so nothing rejects unseen.
    await new Promise((r) => setImmediate(r));
    this.gen = last;
    this.log = await this.openLog(last, validBytes);
    if (applied + failed > 0) this.opts.log?.info({ dir, records: applied, skipped: failed, generation: last }, "disk persistence recovered");
  }

  /** Applies one logged call to the memory state; false if the memory state refused it. */
  private apply(r: LogRecord, payloads: Map<string, Buffer | string>): boolean {
    const a = r.args as { c: string; p?: Packet; s?: Sub[]; t?: string[]; m?: number };
    const client = { id: a.c };
    const withPayload = (): Packet => ({ ...a.p!, payload: r.payload ?? Buffer.alloc(0) });
    const settle = (p: Promise<unknown>) => p.catch(() => undefined);
    switch (r.op) {
      case Op.storeRetained: {
        const p = withPayload();
        void settle(this.inner.storeRetained(p));
        this.trackRetained(p);
        return true;
      }
      case Op.addSubscriptions:
        void settle(this.inner.addSubscriptions(client, a.s!));
        this.subClients.add(a.c);
        return true;
      case Op.removeSubscriptions:
        void settle(this.inner.removeSubscriptions(client, a.t!));
        return true;
      case Op.cleanSubscriptions:
        void settle(this.inner.cleanSubscriptions(client));
        this.subClients.delete(a.c);
        return true;
      case Op.outgoingEnqueue: {
        const ids = r.args.c as string[];
        const p = withPayload();
        payloads.set(key(p), p.payload!);
        void settle(this.inner.outgoingEnqueueCombi(ids.map((clientId) => ({ clientId })), p));
        for (const id of ids) this.queueClients.add(id);
        return true;
      }
      case Op.outgoingUpdate: {
        const p: Packet = { ...a.p! };
        if (p.cmd === "publish") p.payload = payloads.get(key(p)) ?? Buffer.alloc(0);
        void settle(this.inner.outgoingUpdate(client, p));
        return true;
      }
      case Op.outgoingClear:
        void settle(this.inner.outgoingClearMessageId(client, { messageId: a.m! }));
        return true;
      case Op.incomingStore:
        void settle(this.inner.incomingStorePacket(client, withPayload()));
        this.trackIncoming(a.c, a.p!.messageId!);
        return true;
      case Op.incomingDel:
        void settle(this.inner.incomingDelPacket(client, { messageId: a.m! }));
        this.incoming.get(a.c)?.delete(a.m!);
        return true;
      case Op.cleanIncoming:
        void settle(this.inner.cleanIncoming(client));
        this.incoming.delete(a.c);
        return true;
      case Op.putWill: {
        const p = withPayload();
        const brokerId = p.brokerId;
        void settle(this.inner.putWill(client, p));
        p.brokerId = brokerId; // the will keeps the broker it was left on (a dead broker's wills get published)
        this.willClients.add(a.c);
        return true;
      }
      case Op.delWill:
        void settle(this.inner.delWill(client));
        this.willClients.delete(a.c);
        return true;
      default:
        return false;
    }
  }

  private trackRetained(packet: Packet): void {
    const empty = packet.payload === undefined || packet.payload.length === 0;
    if (empty) this.retained.delete(packet.topic!);
    else this.retained.set(packet.topic!, { ...packet });
  }

  private trackIncoming(clientId: string, messageId: number): void {
    let ids = this.incoming.get(clientId);
    if (!ids) this.incoming.set(clientId, (ids = new Set()));
    ids.add(messageId);
  }

  /**
   * Starts log N+1 and writes snapshot N+1: the state as of the switch. Everything the
   * snapshot holds is captured synchronously at the switch (the memory calls compute their
   * answer when called; queues are copied), so records appended afterwards apply on top.
   */
  private async compact(): Promise<void> {
    const gen = this.gen + 1;
    let oldFlushed!: (p: Promise<void>) => void;
    const after = new Promise<void>((r) => (oldFlushed = r));
    let next: AppendLog;
    try {
      next = await this.openLog(gen, undefined, after);
    } catch (err) {
      this.opts.log?.error({ err, dir: this.opts.dir }, "disk persistence could not start a new log; not compacted");
      return;
    }
    if (this.closed) {
      await next.close();
      return;
    }
    // From here to the swap nothing yields: the capture and the switch see the same state.
    const capture = this.capture();
    const old = this.log!;
    this.log = next;
    this.gen = gen;
    const closing = old.close();
    oldFlushed(closing);
    try {
      await closing;
      const records = await capture;
      this.snapshotBytes = await writeSnapshot(this.opts.dir, gen, records, this.opts.fsync !== false);
      this.opts.log?.info({ dir: this.opts.dir, generation: gen, bytes: this.snapshotBytes }, "disk persistence compacted");
    } catch (err) {
      this.opts.log?.error({ err, dir: this.opts.dir }, "disk persistence compaction failed; the logs stay");
    }
  }

  private capture(): Promise<Buffer[]> {
    this.touched.clear();
    const retained = [...this.retained.values()];
    const subs = [...this.subClients].map((c) => [c, this.inner.subscriptionsByClient({ id: c })] as const);
    const queues = [...this.queueClients].map((c) => [c, this.inner.outgoingStream({ id: c })] as const);
    const incoming = [...this.incoming].flatMap(([c, ids]) =>
      [...ids].map((m) => [c, this.inner.incomingGetPacket({ id: c }, { messageId: m }).catch(() => undefined)] as const),
    );
    const wills = [...this.willClients].map((c) => [c, this.inner.getWill({ id: c })] as const);
    return (async () => {
      const out: Buffer[] = [];
      const rec = (op: OpCode, args: LogRecord["args"], payload?: Buffer | string) =>
        out.push(encodeRecord({ op, args, ...(payload === undefined ? {} : { payload }) }));
      for (const p of retained) {
        const { meta, payload } = packetMeta(p);
        rec(Op.storeRetained, { p: meta }, payload);
      }
      for (const [c, pending] of subs) {
        const list = await pending;
        if (list.length) rec(Op.addSubscriptions, { c, s: list.map(plainSub) });
        else if (!this.touched.has(c)) this.subClients.delete(c);
      }
      let placeholder = 0;
      for (const [c, stream] of queues) {
        let n = 0;
        for await (const p of stream as AsyncIterable<Packet>) {
          n++;
          if (p.cmd === "publish") {
            const { meta, payload } = packetMeta(p);
            rec(Op.outgoingEnqueue, { c: [c], p: meta }, payload);
            if (p.messageId !== undefined) rec(Op.outgoingUpdate, { c, p: idOnly(p) });
          } else {
            // a PUBREL awaiting PUBCOMP: queue a stand-in, give it the id, replace it
            const stand = { cmd: "publish", brokerId: "$pubrel", brokerCounter: ++placeholder, qos: 2, topic: "$pubrel" };
            rec(Op.outgoingEnqueue, { c: [c], p: stand }, Buffer.alloc(0));
            rec(Op.outgoingUpdate, { c, p: { ...stand, messageId: p.messageId } });
            rec(Op.outgoingUpdate, { c, p: packetMeta(p).meta });
          }
        }
        if (n === 0 && !this.touched.has(c)) this.queueClients.delete(c);
      }
      for (const [c, pending] of incoming) {
        const p = await pending;
        if (!p) continue;
        const { meta, payload } = packetMeta(p);
        rec(Op.incomingStore, { c, p: meta }, payload);
      }
      for (const [c, pending] of wills) {
        const p = await pending;
        if (!p) continue;
        const { meta, payload } = packetMeta(p);
        rec(Op.putWill, { c, p: meta }, payload);
      }
      return out;
    })();
  }
}

function plainSub(s: Sub): Sub {
  const { clientId: _c, ...rest } = s;
  return rest as Sub;
}

function idOnly(p: Packet): Packet {
  return { cmd: p.cmd, brokerId: p.brokerId, brokerCounter: p.brokerCounter, messageId: p.messageId };
}
