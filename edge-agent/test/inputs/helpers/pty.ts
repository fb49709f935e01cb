/**
 * A socat pty pair: `dev` is the path the input opens (as /dev/ttyUSB0 on a device), `peer`
 * is the other end the test writes to (the MCU / GPS / Modbus slave side). `unplug()` kills
 * socat (both ptys vanish, as when a USB adapter is pulled); `replug()` starts socat again
 * on the same link paths.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { until } from "./tmp";

export class PtyPair {
  readonly dev: string;
  readonly peer: string;
  private proc: ChildProcess | undefined;

  constructor(dir: string, name = "tty") {
    this.dev = join(dir, `${name}-dev`);
    this.peer = join(dir, `${name}-peer`);
  }

  async plug(): Promise<void> {
    const proc = spawn(
      "socat",
      [`pty,raw,echo=0,link=${this.dev}`, `pty,raw,echo=0,link=${this.peer}`],
      { stdio: "ignore" },
    );
    this.proc = proc;
    await until(() => existsSync(this.dev) && existsSync(this.peer), 5000, "socat pty links");
  }

  /** Kills socat and waits until it has exited and removed its links. */
  async unplug(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    await exited;
    await until(() => !existsSync(this.dev) && !existsSync(this.peer), 5000, "socat links removed");
  }

  /** Opens the peer end with the real serialport binding. */
  async openPeer(baudRate = 115200): Promise<SerialPort> {
    const p = new SerialPort({ path: this.peer, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(e) : resolve())));
    p.on("error", () => undefined);
    return p;
  }
}

export async function closePort(p: SerialPort | undefined): Promise<void> {
  if (!p?.isOpen) return;
  await new Promise<void>((resolve) => p.close(() => resolve()));
}

export function writeAll(p: SerialPort, bytes: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    p.write(typeof bytes === "string" ? bytes : Buffer.from(bytes), (err) => {
      if (err) return reject(err);
      p.drain((e) => (e ? reject(e) : resolve()));
    });
  });
}
