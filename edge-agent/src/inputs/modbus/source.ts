/**
 * Modbus RTU polling on one RS-485 bus: the configured points become poll jobs (./plan),
 * one BusScheduler runs them one at a time, safety first (./scheduler), an RtuMaster does
 * each transaction (./master), and registers are decoded to readings (./registers) stamped
 * with the host clock when the answer arrived.
 *
 * Failures: a CRC error or wrong answer is counted through `sink.rejected`; an exception
 * answer is counted too and raised as an event once per job until it reads cleanly again;
 * a unit that stops answering raises "modbus-no-response" once, and "modbus-restored" when
 * it answers again. No reading is made up for a failed read (rules see the data go stale).
 */
import { defaultInputId } from "../id";
import type { InputDeps, ReadingSource, SourceReading, SourceSink } from "../source";
import { ReopeningPort } from "../serial/port";
import { reportPortStatus } from "../serial/status";
import type { ModbusRtuConfig } from "./config";
import { RtuMaster } from "./master";
import { planPolls, type PollJob } from "./plan";
import { decodeRegisters } from "./registers";
import { BusScheduler } from "./scheduler";
import { interFrameMs } from "./timing";

export class ModbusRtuSource implements ReadingSource {
  readonly id: string;
  readonly jobs: PollJob[];
  readonly counters = { reads: 0, readings: 0, rejected: 0, exceptions: 0, timeouts: 0 };
  private port: ReopeningPort | undefined;
  private master: RtuMaster | undefined;
  private scheduler: BusScheduler<PollJob> | undefined;
  private readonly silentUnits = new Set<number>();
  private readonly failingJobs = new Set<string>();

  constructor(
    private readonly cfg: ModbusRtuConfig,
    private readonly deps: InputDeps,
  ) {
    this.id = defaultInputId(cfg);
    this.jobs = planPolls(cfg.points, cfg.maxRegisters);
  }

  /** Transaction counters of the bus master (requests, retries, timeouts, CRC errors, stray bytes). */
  get bus(): RtuMaster["counters"] | undefined {
    return this.master?.counters;
  }

  async start(sink: SourceSink): Promise<void> {
    if (this.port) return;
    const port = new ReopeningPort(
      {
        path: this.cfg.path,
        baudRate: this.cfg.baudRate,
        parity: this.cfg.parity,
        stopBits: this.cfg.stopBits,
        reopen: this.cfg.reopen,
      },
      {
        onData: (chunk) => this.master?.onData(chunk),
        onStatus: (s) => {
          if (s.kind !== "open")
            this.deps.logger?.warn({ input: this.id, status: s }, "serial port status");
          reportPortStatus(sink, this.id, this.cfg.path, s);
        },
      },
    );
    this.port = port;
    this.master = new RtuMaster((b) => port.write(b), this.cfg);
    this.scheduler = new BusScheduler(
      this.jobs,
      { gapMs: interFrameMs(this.cfg.baudRate) },
      (job) => this.poll(job, sink),
    );
    await port.start();
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    const { port, scheduler } = this;
    this.port = undefined;
    this.scheduler = undefined;
    await scheduler?.stop();
    await port?.stop();
    this.master = undefined;
  }

  private async poll(job: PollJob, sink: SourceSink): Promise<void> {
    const master = this.master;
    if (!master || !this.port?.isOpen) return; // port away: the reopen logic reports it
    // A unit already silent gets no retries, so it holds the bus for one timeout only.
    const r = await master.read(job.req, this.silentUnits.has(job.req.unit) ? 0 : this.cfg.retries);
    const t = this.deps.clock();
    this.counters.reads++;
    if (r.ok) {
      this.recovered(job, sink);
      const out: SourceReading[] = job.points.map(({ point: p, at }) => ({
        sensor: p.sensor,
        t,
        value: decodeRegisters(r.registers, at, p.type, p.wordOrder, p.scale, p.offset),
      }));
      this.counters.readings += out.length;
      sink.readings(out);
      return;
    }
    const where = `unit ${job.req.unit} fc ${job.req.fc} @${job.req.address}+${job.req.count}`;
    switch (r.kind) {
      case "timeout":
        this.counters.timeouts++;
        // A unit that does not answer is asked again only every silentPollMs: each try costs
        // a whole timeout of bus time that live units (and safety reads) need.
        this.scheduler?.defer(job, this.cfg.silentPollMs);
        if (!this.silentUnits.has(job.req.unit)) {
          this.silentUnits.add(job.req.unit);
          sink.event({
            type: "modbus-no-response",
            severity: job.priority === 0 ? "critical" : "warning",
            message: `${where}: ${r.message}`,
            data: { input: this.id, unit: job.req.unit },
          });
        }
        return;
      case "exception":
        this.counters.exceptions++;
        this.reject(sink, "modbus-exception", `${where}: ${r.message}`);
        if (!this.failingJobs.has(job.key)) {
          this.failingJobs.add(job.key);
          sink.event({
            type: "modbus-exception",
            severity: job.priority === 0 ? "critical" : "warning",
            message: `${where}: ${r.message}`,
            data: {
              input: this.id,
              unit: job.req.unit,
              code: r.code,
              sensors: job.points.map((p) => p.point.sensor),
            },
          });
        }
        return;
      case "port":
        return;
      default:
        this.reject(sink, `modbus-${r.kind}`, `${where}: ${r.message}`);
    }
  }

  private recovered(job: PollJob, sink: SourceSink): void {
    if (this.silentUnits.delete(job.req.unit)) {
      sink.event({
        type: "modbus-restored",
        severity: "info",
        message: `unit ${job.req.unit} answers again`,
        data: { input: this.id, unit: job.req.unit },
      });
    }
    this.failingJobs.delete(job.key);
  }

  private reject(sink: SourceSink, reason: string, detail: string): void {
    this.counters.rejected++;
    sink.rejected(reason, detail);
  }
}
