/**
 * Firmware frames from an MCU on a UART (COBS + CBOR, decoded by the contracts'
 * FrameDecoder). Readings become SourceReadings stamped by `time` (see config and
 * docs/inputs.md); hello frames record the firmware and sensor units; event frames become
 * device events; bad frames are counted through `sink.rejected`. The port is reopened with
 * backoff when it goes away.
 *
 * Reliable delivery (firmware-contracts README): every readings frame is acknowledged with
 * an `ack {id: seq, of: "readings"}` frame once its readings are in the outbox
 * (`sink.stored`); a frame whose seq was already taken since the last hello / seq 0 / port
 * open is a retransmit: its readings are dropped and it is acknowledged again. When the
 * MCU's hello carries a boot id, the seqs stored for that boot are also kept on disk
 * (StoredSeqs, in `deps.stateDir`) before the ack, so a restarted agent (or a reopened port)
 * keeps dropping retransmits until a hello with another boot id, or none, arrives.
 */
import { join } from "node:path";
import { encodeFrame, FrameDecoder, type Frame, type HelloBody } from "@fieldline/firmware-contracts";
import { defaultInputId } from "../id";
import type { InputDeps, ReadingSource, SourceReading, SourceSink, StoredMark } from "../source";
import { ReopeningPort } from "../serial/port";
import { reportPortStatus } from "../serial/status";
import type { SerialFramesConfig } from "./config";
import { McuClock } from "./clock";
import { StoredSeqs, type McuBootId } from "./stored-seqs";

export interface SerialFramesCounters {
  frames: number;
  readings: number;
  rejected: number;
  /** Frames missing by sequence number (lost on the line or dropped by the MCU). */
  seqGaps: number;
  reopens: number;
  /** Readings frames acknowledged to the MCU. */
  acks: number;
  /** Readings frames dropped as retransmits of a frame already taken. */
  duplicates: number;
}

/** How many readings seqs are remembered for dropping retransmits. */
export const SEEN_SEQS = 4096;

export class SerialFramesSource implements ReadingSource {
  readonly id: string;
  readonly counters: SerialFramesCounters = {
    frames: 0,
    readings: 0,
    rejected: 0,
    seqGaps: 0,
    reopens: 0,
    acks: 0,
    duplicates: 0,
  };
  private port: ReopeningPort | undefined;
  private decoder: FrameDecoder;
  private readonly mcuClock = new McuClock();
  private lastSeq: number | undefined;
  private hello: HelloBody | undefined;
  private readonly loggedReasons = new Set<string>();
  /** Readings seqs taken in the current MCU boot, oldest first (at most SEEN_SEQS). */
  private readonly seen = new Set<number>();
  private txSeq = 0;
  /** Boot id from the last hello (or the state file, until a hello arrives). */
  private mcuBoot: McuBootId | undefined;
  private readonly stored: StoredSeqs;

  constructor(
    private readonly cfg: SerialFramesConfig,
    private readonly deps: InputDeps,
  ) {
    this.id = defaultInputId(cfg);
    this.decoder = new FrameDecoder({ maxFrameBytes: cfg.maxFrameBytes });
    this.stored = new StoredSeqs(
      deps.stateDir ? join(deps.stateDir, `${this.id.replace(/[^A-Za-z0-9._-]/g, "_")}.seqs.json`) : undefined,
    );
    const saved = this.stored.load();
    this.mcuBoot = saved?.boot;
    // The same MCU boot keeps its clock: re-sent frames keep the times they were sampled at.
    if (saved?.anchor !== undefined) this.mcuClock.restore(saved.anchor);
    this.recover(deps.recoveredMarks ?? []);
    for (const seq of this.stored.seqsOf(this.mcuBoot)) this.remember(seq);
  }

  /**
   * Adds the seqs marked in the outbox to those of the state file: a kill between the outbox
   * append and the state file write leaves them only there. The last mark is the newest, so
   * its MCU boot is the current one.
   */
  private recover(marks: readonly StoredMark[]): void {
    const mine = marks.filter((m) => m.input === this.id);
    const last = mine.at(-1);
    if (!last) return;
    const seqs = mine.filter((m) => m.boot === last.boot).flatMap((m) => m.seqs);
    this.mcuBoot = last.boot;
    try {
      this.stored.add(last.boot, seqs);
    } catch (err) {
      this.deps.logger?.warn({ input: this.id, err: String(err) }, "could not save stored readings seqs");
    }
  }

  /** Units by sensor id, from the last hello frame. */
  get units(): Record<string, string> {
    return Object.fromEntries((this.hello?.sensors ?? []).map((s) => [s.id, s.unit]));
  }

  get firmware(): string | undefined {
    return this.hello?.firmware;
  }

  async start(sink: SourceSink): Promise<void> {
    if (this.port) return;
    this.decoder = new FrameDecoder({ maxFrameBytes: this.cfg.maxFrameBytes });
    this.port = new ReopeningPort(
      { path: this.cfg.path, baudRate: this.cfg.baudRate, reopen: this.cfg.reopen },
      {
        onData: (chunk) => this.ingest(chunk, sink),
        onStatus: (s) => {
          if (s.kind === "open") {
            // Whatever was half-received belongs to the old connection.
            this.decoder.reset();
            this.lastSeq = undefined;
            // Only what is known stored for the current MCU boot stays a retransmit.
            this.seen.clear();
            for (const seq of this.stored.seqsOf(this.mcuBoot)) this.remember(seq);
            if (s.reopened) this.counters.reopens++;
          }
          if (s.kind !== "open")
            this.deps.logger?.warn({ input: this.id, status: s }, "serial port status");
          reportPortStatus(sink, this.id, this.cfg.path, s);
        },
      },
    );
    await this.port.start();
  }

  async stop(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    await port?.stop();
  }

  /** Bytes as read from the port (the port calls this; benchmarks and replays may too). */
  ingest(chunk: Uint8Array, sink: SourceSink): void {
    const arrival = this.deps.clock();
    const out: SourceReading[] = [];
    const acks: number[] = [];
    const boots: (McuBootId | undefined)[] = [];
    for (const r of this.decoder.push(chunk)) {
      if (!r.ok) {
        this.reject(sink, r.error.reason, r.error.message);
        continue;
      }
      this.counters.frames++;
      const f = r.frame;
      if (f.type === "hello") {
        // The same boot id again: the MCU did not reboot, its unacked frames may still come.
        if (f.body.boot === undefined || f.body.boot !== this.mcuBoot) {
          this.seen.clear();
          this.mcuClock.reset(); // a new MCU boot: its clock starts again
        }
        this.mcuBoot = f.body.boot;
      } else if (f.seq === 0 && !(f.type === "readings" && this.seen.has(0))) this.seen.clear();
      if (f.type === "readings") {
        acks.push(f.seq);
        boots.push(this.mcuBoot);
        if (this.seen.has(f.seq)) {
          this.counters.duplicates++;
          continue;
        }
        this.remember(f.seq);
      }
      this.checkSeq(f.seq);
      this.onFrame(f, arrival, sink, out);
    }
    const marks = this.marks(acks, boots);
    if (out.length) {
      this.counters.readings += out.length;
      sink.readings(out, marks);
    }
    if (acks.length) {
      const ack = () => {
        this.deps.afterStore?.(this.id, acks);
        this.persist(marks);
        this.ack(acks);
      };
      if (sink.stored) sink.stored(ack);
      else ack();
    }
  }

  /** The frames of MCUs that sent a boot id, per boot, to be kept with their readings in the outbox. */
  private marks(seqs: number[], boots: (McuBootId | undefined)[]): StoredMark[] | undefined {
    let out: StoredMark[] | undefined;
    for (let i = 0; i < seqs.length; ) {
      const boot = boots[i];
      let j = i;
      while (j < seqs.length && boots[j] === boot) j++;
      if (boot !== undefined) (out ??= []).push({ input: this.id, boot, seqs: seqs.slice(i, j) });
      i = j;
    }
    return out;
  }

  /** Stored seqs of MCUs that sent a boot id go to disk before the ack; a failed write only costs dedupe. */
  private persist(marks: StoredMark[] | undefined): void {
    try {
      for (const m of marks ?? []) this.stored.add(m.boot, m.seqs, m.boot === this.mcuBoot ? this.mcuClock.anchor : undefined);
    } catch (err) {
      if (!this.loggedReasons.has("stored-seqs")) {
        this.loggedReasons.add("stored-seqs");
        this.deps.logger?.warn({ input: this.id, err: String(err) }, "could not save stored readings seqs (logged once)");
      }
    }
  }

  private remember(seq: number): void {
    this.seen.add(seq);
    if (this.seen.size > SEEN_SEQS) this.seen.delete(this.seen.values().next().value!);
  }

  /** Tells the MCU these readings frames are stored; an MCU that ignores acks ignores the bytes. */
  private ack(seqs: number[]): void {
    const port = this.port;
    if (!port) return;
    const bytes = seqs.map((id) => {
      const b = encodeFrame({ type: "ack", seq: this.txSeq, body: { id, ok: true, of: "readings" } });
      this.txSeq = (this.txSeq + 1) & 0xffff;
      return b;
    });
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) {
      all.set(b, at);
      at += b.length;
    }
    this.counters.acks += seqs.length;
    port.write(all).catch(() => undefined); // port gone: the MCU re-sends after reconnect
  }

  private onFrame(frame: Frame, arrival: number, sink: SourceSink, out: SourceReading[]): void {
    switch (frame.type) {
      case "readings": {
        const rs = frame.body.readings;
        let newest = -1;
        for (const r of rs) if (r.t !== undefined && r.t > newest) newest = r.t;
        for (const r of rs) {
          const t =
            this.cfg.time === "mcu" && r.t !== undefined
              ? this.mcuClock.toHost(r.t, arrival, newest)
              : arrival;
          out.push(
            r.q === undefined
              ? { sensor: r.sensor, t, value: r.value }
              : { sensor: r.sensor, t, value: r.value, q: r.q as 0 | 1 | 2 },
          );
        }
        return;
      }
      case "hello":
        this.hello = frame.body;
        sink.event({
          type: "mcu-hello",
          severity: "info",
          message: `firmware ${frame.body.firmware}, ${frame.body.sensors.length} sensors`,
          data: { input: this.id, ...frame.body },
        });
        return;
      case "event": {
        const e = frame.body;
        sink.event({
          type: e.type,
          severity: e.severity ?? (e.type === "fault" ? "warning" : "info"),
          ...(e.message !== undefined ? { message: e.message } : {}),
          data: {
            input: this.id,
            ...(e.code !== undefined ? { code: e.code } : {}),
            ...(e.sensor !== undefined ? { sensor: e.sensor } : {}),
            ...(e.t !== undefined && this.cfg.time === "mcu"
              ? { t: this.mcuClock.toHost(e.t, arrival, e.t) }
              : {}),
          },
        });
        return;
      }
      case "ack":
        sink.event({
          type: "mcu-ack",
          severity: frame.body.ok ? "info" : "warning",
          data: { input: this.id, ...frame.body },
        });
        return;
      case "command":
        this.reject(
          sink,
          "unexpected-type",
          `an MCU sent a host-to-MCU "command" frame (seq ${frame.seq})`,
        );
        return;
    }
  }

  private checkSeq(seq: number): void {
    if (this.lastSeq !== undefined) {
      const expected = (this.lastSeq + 1) & 0xffff;
      // A reset to 0 is an MCU reboot, not a gap.
      if (seq !== expected && seq !== 0)
        this.counters.seqGaps += (seq - expected + 0x10000) & 0xffff;
    }
    this.lastSeq = seq;
  }

  private reject(sink: SourceSink, reason: string, detail: string): void {
    this.counters.rejected++;
    sink.rejected(reason, detail);
    if (!this.loggedReasons.has(reason)) {
      this.loggedReasons.add(reason);
      this.deps.logger?.warn(
        { input: this.id, reason, detail },
        "bad serial frame skipped (logged once per reason)",
      );
    }
  }
}
