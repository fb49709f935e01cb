/**
 * A serial port that stays open: it opens at start, and when the device goes away (USB
 * adapter unplugged, pty closed) or fails to open, it retries with backoff until it is back
 * or `stop()` is called. Inputs get bytes through `onData` and status through `onStatus`.
 *
 * Loss is noticed two ways: the binding's read error/close (a hung-up tty), and a watch on
 * the device path, which catches the device node vanishing or being replaced (udev removes
 * /dev/ttyUSB0 on unplug; a re-created pty link points at a new device) even when the
 * binding reports nothing.
 */
import { stat } from "node:fs/promises";
import { SerialPort } from "serialport";
import { Backoff, type BackoffOptions } from "./backoff";

export interface PortOptions {
  path: string;
  baudRate: number;
  parity?: "none" | "even" | "odd";
  stopBits?: 1 | 2;
  dataBits?: 7 | 8;
  reopen: BackoffOptions;
  /** How often the device path is checked while open (ms). */
  watchMs?: number;
}

export type PortStatus =
  /** `reopened`: it had been open before; `recovered`: it had been lost or failed to open. */
  | { kind: "open"; reopened: boolean; recovered: boolean }
  | { kind: "lost"; error: string }
  | { kind: "open-failed"; error: string; retryInMs: number };

export interface PortHandlers {
  onData(chunk: Buffer): void;
  onStatus(s: PortStatus): void;
}

export class ReopeningPort {
  private port: SerialPort | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watch: NodeJS.Timeout | undefined;
  private running = false;
  private everOpened = false;
  private lastFailure: string | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly opts: PortOptions,
    private readonly handlers: PortHandlers,
  ) {
    this.backoff = new Backoff(opts.reopen);
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Resolves after the first open attempt, whatever its outcome (a failure is retried). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopWatch();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    port?.removeAllListeners();
    // A write still in flight fails with EBADF once the fd is closed; with no listener left
    // that error would be thrown out of the process.
    port?.on("error", () => undefined);
  }

  /** Writes and waits until the bytes are handed to the OS. Rejects if the port is not open. */
  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new Error(`${this.opts.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => {
        if (err) return reject(err);
        port.drain((e) => (e ? reject(e) : resolve()));
      });
    });
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.opts.baudRate,
      parity: this.opts.parity ?? "none",
      stopBits: this.opts.stopBits ?? 1,
      dataBits: this.opts.dataBits ?? 8,
      autoOpen: false,
    });
    const err = await new Promise<Error | null>((resolve) => port.open((e) => resolve(e)));
    if (!this.running) {
      if (!err) await new Promise<void>((resolve) => port.close(() => resolve()));
      return;
    }
    if (err) {
      const retryInMs = this.backoff.next();
      // Report a failure once per distinct reason, not on every retry.
      if (err.message !== this.lastFailure)
        this.handlers.onStatus({ kind: "open-failed", error: err.message, retryInMs });
      this.lastFailure = err.message;
      this.timer = setTimeout(() => void this.attempt(), retryInMs);
      return;
    }
    const recovered = this.lastFailure !== undefined || this.everOpened;
    this.lastFailure = undefined;
    this.backoff.reset();
    this.port = port;
    port.on("data", (chunk: Buffer) => this.handlers.onData(chunk));
    port.on("error", (e: Error) => this.lost(port, e));
    port.on("close", (e?: Error | null) => this.lost(port, e ?? new Error("port closed")));
    this.handlers.onStatus({ kind: "open", reopened: this.everOpened, recovered });
    this.everOpened = true;
    await this.watchPath(port);
  }

  /** Remembers which device node is open and checks the path still leads to it. */
  private async watchPath(port: SerialPort): Promise<void> {
    const id = await deviceId(this.opts.path);
    if (this.port !== port || id === undefined) return;
    this.stopWatch();
    this.watch = setInterval(() => {
      void deviceId(this.opts.path).then((now) => {
        if (this.port === port && now !== id) {
          this.lost(
            port,
            new Error(
              now === undefined
                ? "device path vanished"
                : "device path now leads to another device",
            ),
          );
        }
      });
    }, this.opts.watchMs ?? 500);
  }

  private stopWatch(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
  }

  private lost(port: SerialPort, err: Error): void {
    if (this.port !== port || !this.running) return;
    this.port = undefined;
    this.stopWatch();
    port.removeAllListeners();
    port.on("error", () => undefined);
    if (port.isOpen) port.close(() => undefined);
    this.handlers.onStatus({ kind: "lost", error: err.message });
    this.timer = setTimeout(() => void this.attempt(), this.backoff.next());
  }
}

async function deviceId(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}:${s.rdev}`;
  } catch {
    return undefined;
  }
}
