/** The live progress line: redrawn in place on a terminal, one line every few seconds otherwise. */
import type { LiveStatus } from "./platform";

export class LiveLine {
  private lastPrint = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** A message on its own line (keeps the progress line below it). */
  say(msg: string): void {
    if (this.drawn && this.tty) this.out.write("\r\x1b[2K");
    this.drawn = false;
    this.out.write(`${msg}\n`);
  }

  update(s: LiveStatus): void {
    const valve = s.valve === undefined ? "-" : s.valve === 0 ? "SHUT" : "open";
    const line =
      `[${s.elapsedS.toFixed(0).padStart(3)} s] edge sent ${s.serialSent} · MQTT sent ${s.mqttSent} acked ${s.mqttAcked}` +
      ` · stored ${s.stored} · alerts ${s.activeAlerts} · boiler-0001 valve ${valve}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 160) - 1)}`);
      this.drawn = true;
    } else if (Date.now() - this.lastPrint >= this.plainEveryMs) {
      this.lastPrint = Date.now();
      this.out.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.drawn && this.tty) this.out.write("\n");
    this.drawn = false;
  }
}
