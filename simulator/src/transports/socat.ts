/**
 * A virtual serial cable: one socat process joining two ptys, reachable through two symlinks.
 * The simulator writes into `simPath`; the edge agent opens `agentPath`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readlink, realpath, rm } from "node:fs/promises";
import { waitFor } from "./limit";

export class PtyPair {
  private proc: ChildProcess | undefined;
  private stderr = "";

  constructor(
    readonly simPath: string,
    readonly agentPath: string,
    private readonly socat = "socat",
  ) {}

  async start(): Promise<void> {
    const proc = spawn(this.socat, ["-d", "-d", `pty,raw,echo=0,link=${this.simPath}`, `pty,raw,echo=0,link=${this.agentPath}`], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.proc = proc;
    proc.stderr!.on("data", (b: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += b.toString();
    });
    let failed: Error | undefined;
    proc.once("error", (err) => (failed = err));
    proc.once("exit", (code) => (failed ??= new Error(`socat exited with ${code}: ${this.stderr.trim()}`)));
    const up = await waitFor(() => failed !== undefined || (existsSync(this.simPath) && existsSync(this.agentPath) && this.stderr.includes("starting data transfer loop")), 10_000);
    if (failed) throw failed;
    if (!up) throw new Error(`socat did not create ${this.simPath} and ${this.agentPath} within 10 s`);
  }

  /**
   * Whether some process other than socat holds the agent end open (Linux: /proc/<pid>/fd).
   * Bytes written before the reader opens are lost: opening a serial port flushes its input.
   */
  async hasReader(): Promise<boolean> {
    let target: string;
    try {
      target = await realpath(this.agentPath);
    } catch {
      return false;
    }
    const socatPid = String(this.proc?.pid ?? "");
    for (const pid of await readdir("/proc")) {
      if (!/^\d+$/.test(pid) || pid === socatPid) continue;
      let fds: string[];
      try {
        fds = await readdir(`/proc/${pid}/fd`);
      } catch {
        continue; // gone, or not ours to look at
      }
      for (const fd of fds) {
        if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")) === target) return true;
      }
    }
    return false;
  }

  /**
   * Call after closing the simulator's end. socat does not exit when a pty's other side
   * closes, and killing it at once can drop bytes it still holds for a slow reader, so it
   * is given `lingerMs` to pass them on first.
   */
  async stop(lingerMs = 1000): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      const timer = setTimeout(() => proc.kill("SIGTERM"), lingerMs);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.simPath, { force: true });
    await rm(this.agentPath, { force: true });
  }
}
