/**
 * socat makes the virtual serial ports (pty pairs) the edge agents read. When it is missing:
 * as root with apt-get, install it; otherwise say exactly how.
 */
import { spawnSync } from "node:child_process";
import { hasCommand } from "./servers";

export function ensureSocat(log: (msg: string) => void): { ok: true } | { ok: false; message: string } {
  if (hasCommand("socat")) return { ok: true };
  const how = "socat is needed for the virtual serial ports. Install it with:\n\n    sudo apt-get install -y socat\n";
  if (process.getuid?.() === 0 && hasCommand("apt-get")) {
    log("socat is missing; installing it with apt-get (running as root)");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    const install = update.status === 0 ? spawnSync("apt-get", ["install", "-y", "-qq", "socat"], { stdio: "inherit", env }) : update;
    if (install.status === 0 && hasCommand("socat")) return { ok: true };
    return { ok: false, message: `apt-get could not install socat.\n${how}` };
  }
  return { ok: false, message: how };
}
