// Starts the real Node-RED runtime (red.js) in a child process with the Fieldline nodes
// installed in a temporary user dir, on a free loopback port.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { freePort } from "@fieldline/test-support";
import { buildContracts } from "../scripts/build.mjs";

const require = createRequire(import.meta.url);
const packageDir = fileURLToPath(new URL("..", import.meta.url));

export { freePort };

export interface NodeRedRuntime {
  url: string;
  /** The user dir: flows.json and the credential store flows_cred.json (unencrypted here). */
  userDir: string;
  deploy(flows: object[]): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/** `env`: extra environment of the Node-RED process (credentials may say `${NAME}`). */
export async function startNodeRed(env: Record<string, string> = {}): Promise<NodeRedRuntime> {
  await buildContracts();
  const userDir = await mkdtemp(path.join(os.tmpdir(), "fieldline-node-red-"));
  const scope = path.join(userDir, "node_modules", "@fieldline");
  await mkdir(scope, { recursive: true });
  await symlink(packageDir, path.join(scope, "node-red-fieldline"), "dir");
  await writeFile(
    path.join(userDir, "package.json"),
    JSON.stringify({ name: "node-red-project", private: true, dependencies: { "@fieldline/node-red-fieldline": "*" } }),
  );
  const port = await freePort();
  const settings = path.join(userDir, "settings.cjs");
  await writeFile(
    settings,
    `module.exports = ${JSON.stringify({
      uiHost: "127.0.0.1",
      uiPort: port,
      userDir,
      flowFile: "flows.json",
      credentialSecret: false,
      logging: { console: { level: "warn" } },
      editorTheme: { tours: false },
      diagnostics: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
    })};\n`,
  );
  const red = require.resolve("node-red/red.js");
  let log = "";
  const child: ChildProcess = spawn(process.execPath, [red, "-s", settings, "-u", userDir], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited: ${log}`);
    try {
      const res = await fetch(`${url}/settings`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Node-RED did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const nodes = await (await fetch(`${url}/nodes`, { headers: { accept: "application/json" } })).json();
  if (!(nodes as { module: string }[]).some((n) => n.module === "@fieldline/node-red-fieldline")) {
    throw new Error(`Fieldline nodes not loaded: ${log}`);
  }
  return {
    url,
    userDir,
    output: () => log,
    async deploy(flows) {
      const res = await fetch(`${url}/flows`, {
        method: "POST",
        headers: { "content-type": "application/json", "Node-RED-Deployment-Type": "full" },
        body: JSON.stringify(flows),
      });
      if (!res.ok) throw new Error(`deploy failed: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      await rm(userDir, { recursive: true, force: true });
    },
  };
}
