/**
 * NMEA 0183 sentences (a GPS receiver) on a serial port. Lines are framed and checksummed
 * here (bad checksums counted through `sink.rejected`), parsed by nmea-simple, and mapped to
 * readings stamped with the host clock when the line arrived. Sentences nmea-simple does not
 * know ($GPTXT, proprietary $P...) are counted as ignored, not rejected.
 */
import { defaultInputId } from "../id";
import type { InputDeps, ReadingSource, SourceSink } from "../source";
import { ReopeningPort } from "../serial/port";
import { reportPortStatus } from "../serial/status";
import type { NmeaConfig } from "./config";
import { NmeaDecoder } from "./decoder";

export class NmeaSource implements ReadingSource {
  readonly id: string;
  readonly counters = { sentences: 0, readings: 0, rejected: 0, ignored: 0 };
  private port: ReopeningPort | undefined;
  private readonly decoder: NmeaDecoder;
  private readonly loggedReasons = new Set<string>();

  constructor(
    private readonly cfg: NmeaConfig,
    private readonly deps: InputDeps,
  ) {
    this.id = defaultInputId(cfg);
    this.decoder = new NmeaDecoder(cfg.prefix);
  }

  async start(sink: SourceSink): Promise<void> {
    if (this.port) return;
    this.decoder.reset();
    this.port = new ReopeningPort(
      { path: this.cfg.path, baudRate: this.cfg.baudRate, reopen: this.cfg.reopen },
      {
        onData: (chunk) => this.onData(chunk, sink),
        onStatus: (s) => {
          if (s.kind === "open") this.decoder.reset();
          else this.deps.logger?.warn({ input: this.id, status: s }, "serial port status");
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

  private onData(chunk: Uint8Array, sink: SourceSink): void {
    const d = this.decoder.push(chunk, this.deps.clock());
    this.counters.sentences += d.sentences;
    this.counters.ignored += d.ignored;
    for (const r of d.rejects) this.reject(sink, r.reason, r.detail);
    if (d.readings.length) {
      this.counters.readings += d.readings.length;
      sink.readings(d.readings);
    }
  }

  private reject(sink: SourceSink, reason: string, detail: string): void {
    this.counters.rejected++;
    sink.rejected(reason, detail);
    if (!this.loggedReasons.has(reason)) {
      this.loggedReasons.add(reason);
      this.deps.logger?.warn(
        { input: this.id, reason, detail },
        "bad NMEA sentence skipped (logged once per reason)",
      );
    }
  }
}
