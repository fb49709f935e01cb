// The deployment files stay valid: docker-compose.yml parses and resolves offline (Debian's
// docker-compose; no engine is needed for `config`), and every config file it mounts passes
// its own component's schema.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfigFile as loadBrokerConfig } from "@fieldline/broker";
import { loadConfig as loadProcessorConfig, TOKENS_FILE, TokenStore } from "@fieldline/cloud-processor";
import { loadRulesFile } from "@fieldline/rules";
import { loadSpec, parseSpec } from "@fieldline/simulator";

const root = new URL("..", import.meta.url).pathname;
const at = (p: string) => `${root}/${p}`;

describe("docker-compose.yml", () => {
  it("is valid for docker-compose config -q", () => {
    execFileSync("docker-compose", ["config", "-q"], { cwd: root, stdio: "pipe" });
  });

  it("mounts only files that exist and builds from Dockerfiles that exist", () => {
    const compose = parse(readFileSync(at("docker-compose.yml"), "utf8")) as {
      services: Record<string, { volumes?: string[]; build?: { dockerfile?: string } }>;
    };
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(":")[0]!;
        if (src.startsWith("./")) expect(existsSync(at(src)), `${name}: ${src}`).toBe(true);
      }
      if (svc.build?.dockerfile) expect(existsSync(at(svc.build.dockerfile)), name).toBe(true);
    }
  });

  it("publishes only MQTT beyond the host's loopback, has Grafana's anonymous access off, and ships no secret", () => {
    const compose = parse(readFileSync(at("docker-compose.yml"), "utf8")) as {
      services: Record<string, { ports?: string[]; environment?: Record<string, string>; volumes?: string[] }>;
    };
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const p of svc.ports ?? []) {
        if (!p.startsWith("127.0.0.1:")) expect(["1883:1883", "8883:8883", "8083:8083"], `${name} publishes ${p}`).toContain(p);
      }
    }
    expect(compose.services.processor!.ports).toEqual(["127.0.0.1:8080:8080"]);
    expect(compose.services.grafana!.environment!.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    // Every secret a service reads is one the init service generates.
    const init = readFileSync(at("deploy/init-secrets.sh"), "utf8");
    const generated = new Set([...init.match(/^for name in (.*); do$/m)![1]!.split(" "), "api-operator-token", "api-node-red-token"]);
    let files = 0;
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (!k.endsWith("_FILE")) continue;
        files++;
        const m = /^\/run\/fieldline\/secrets\/([a-z-]+)$/.exec(v);
        expect(m && generated.has(m[1]!), `${name}: ${k}=${v}`).toBe(true);
        expect(svc.volumes, name).toContain("secrets:/run/fieldline/secrets:ro");
      }
    }
    expect(files).toBeGreaterThanOrEqual(10);
    // No fixed secret, nor the development defaults of earlier versions, in the deployment files.
    const texts = ["docker-compose.yml", ...readdirSync(at("deploy"), { recursive: true }).map((f) => `deploy/${String(f)}`)]
      .filter((f) => statSync(at(f)).isFile())
      .map((f) => [f, readFileSync(at(f), "utf8")] as const);
    for (const [f, text] of texts) {
      expect(text, f).not.toMatch(/change-me-please|fieldline-dev-token|dev-secret|dev-\{device\}|dev-\$device|:-[A-Za-z0-9-]*secret/);
      expect(text, f).not.toMatch(/flp_[0-9a-f]{16}_/);
    }
  });
});

describe("deploy/ configs pass their components' schemas", () => {
  it("broker", async () => {
    const cfg = await loadBrokerConfig(at("deploy/broker.yaml"));
    expect(cfg.listeners.mqtt?.port).toBe(1883);
  });

  it("processor, with its secrets from the environment", async () => {
    const cfg = await loadProcessorConfig(at("deploy/processor.yaml"), {
      INFLUXDB_TOKEN: "t",
      FIELDLINE_PROCESSOR_PASSWORD: "p",
    });
    expect(cfg.sink.type).toBe("influxdb");
    expect(cfg.mqtt.password).toBe("p");
    expect(cfg.http.auth).toBe("tokens");
  });

  it("rules", async () => {
    await loadRulesFile(at("deploy/rules.yaml"));
  });

  it("simulator fleet", async () => {
    await loadSpec(at("deploy/fleet.yaml"));
  });

  it("Grafana dashboard and Node-RED flows are JSON with the expected wiring", () => {
    const dash = JSON.parse(readFileSync(at("deploy/grafana/dashboards/fieldline.json"), "utf8"));
    expect(dash.uid).toBe("fieldline-fleet");
    const flows = JSON.parse(readFileSync(at("deploy/node-red/flows.json"), "utf8")) as { type: string; url?: string; api?: string }[];
    expect(flows.find((n) => n.type === "fieldline-broker")?.url).toBe("mqtt://broker:1883");
    const ack = flows.find((n) => n.type === "fieldline-alert-ack") as { id: string; api?: string; credentials?: unknown } | undefined;
    expect(ack?.api).toBe("http://processor:8080");
    expect(ack?.credentials).toBeUndefined(); // the token is in the credential file, from the environment
    const creds = JSON.parse(readFileSync(at("deploy/node-red/flows_cred.json"), "utf8")) as Record<string, { token?: string }>;
    expect(creds[ack!.id]?.token).toBe("${FIELDLINE_API_TOKEN}");
    expect(readFileSync(at("node-red/Dockerfile"), "utf8")).toContain("COPY deploy/node-red/flows_cred.json /data/flows_cred.json");
  });
});

const DEVICE_KEY = "device-key-for-tests";

describe("deploy/broker-entrypoint.sh", () => {
  it("refuses to start without the generated secrets", async () => {
    const r = await promisify(execFile)("sh", [at("deploy/broker-entrypoint.sh")], {
      env: { PATH: process.env.PATH, FIELDLINE_REGISTRY: "/nonexistent/registry.json" },
    }).then(() => ({ code: 0, stderr: "" }), (e: { code: number; stderr: string }) => e);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FIELDLINE_PROCESSOR_PASSWORD: not set \(the init service generates it\)/);
  });

  it("bootstraps the registry from the environment and serves: accounts and dev devices log in, others do not", async () => {
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { spawn } = await import("node:child_process");
    const net = await import("node:net");
    const os = await import("node:os");
    const mqtt = (await import("mqtt")).default;
    const dir = await mkdtemp(`${os.tmpdir()}/fl-deploy-`);
    const free = async () => {
      const s = net.createServer();
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      const p = (s.address() as { port: number }).port;
      await new Promise<void>((r) => s.close(() => r()));
      return p;
    };
    const [mqttPort, httpPort] = [await free(), await free()];
    await writeFile(
      `${dir}/broker.yaml`,
      `listeners:\n  mqtt: { port: ${mqttPort} }\n  http: { port: ${httpPort} }\nregistry:\n  file: ${dir}/registry.json\n`,
    );
    const child = spawn("sh", [at("deploy/broker-entrypoint.sh")], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: the script starts the broker through tsx, which runs node as a
      // child, so stopping means signalling the whole group.
      detached: true,
      env: {
        ...process.env,
        FIELDLINE_REGISTRY: `${dir}/registry.json`,
        FIELDLINE_BROKER_CONFIG: `${dir}/broker.yaml`,
        FIELDLINE_DEV_DEVICES: "2",
        FIELDLINE_PROCESSOR_PASSWORD: "processor-test-secret",
        FIELDLINE_NODE_RED_PASSWORD: "node-red-test-secret",
        FIELDLINE_DEVICE_KEY: DEVICE_KEY,
      },
    });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const up = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false);
        if (up) break;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`broker did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(log).not.toMatch(/secret: /); // supplied secrets are never echoed
      const url = `mqtt://127.0.0.1:${mqttPort}`;
      const login = (clientId: string, username: string, password: string) =>
        mqtt.connectAsync(url, { clientId, username, password, reconnectPeriod: 0 }).then(
          (c) => c.endAsync().then(() => true),
          () => false,
        );
      expect(await login("fieldline-processor", "processor", "processor-test-secret")).toBe(true);
      expect(await login("nr", "node-red", "node-red-test-secret")).toBe(true);
      // The simulator profile's password template, as deploy/simulator-entrypoint.sh fills it.
      const fleet = readFileSync(at("deploy/fleet.yaml"), "utf8").replaceAll("@DEVICE_KEY@", DEVICE_KEY);
      const transport = parseSpec(fleet).spec.transport as { password?: string };
      const password = (device: string) => transport.password!.replace("{device}", device);
      expect(await login("meter-0002", "meter-0002", password("meter-0002"))).toBe(true);
      expect(await login("meter-0002", "meter-0002", "wrong-secret-000")).toBe(false);
      expect(await login("meter-0003", "meter-0003", password("meter-0003"))).toBe(false);
    } finally {
      const gone = new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      // Whatever of the group outlived SIGTERM.
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // all gone
      }
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("deploy/init-secrets.sh and deploy/with-secrets.sh", () => {
  const run = promisify(execFile);

  it("generates every secret and the API tokens once; a second start changes nothing", async () => {
    const { mkdtemp, readFile, rm } = await import("node:fs/promises");
    const os = await import("node:os");
    const dir = await mkdtemp(`${os.tmpdir()}/fl-init-`);
    const env = {
      ...process.env,
      FIELDLINE_SECRETS_DIR: `${dir}/secrets`,
      FIELDLINE_PROCESSOR_DATA: `${dir}/processor`,
      FIELDLINE_SECRETS_OWNER: `${process.getuid!()}:${process.getgid!()}`,
      FIELDLINE_PROCESSOR_CLI: `${process.execPath} ${at("node_modules/tsx/dist/cli.mjs")} ${at("cloud-processor/src/cli.ts")}`,
    };
    try {
      const first = await run("sh", [at("deploy/init-secrets.sh")], { env, cwd: root });
      const names = readdirSync(`${dir}/secrets`).sort();
      expect(names).toEqual([
        "api-node-red-token", "api-operator-token", "broker-node-red-password", "broker-processor-password",
        "device-key", "grafana-admin-password", "influxdb-admin-password", "influxdb-token",
      ]);
      const values = new Map<string, string>();
      for (const n of names) {
        values.set(n, await readFile(`${dir}/secrets/${n}`, "utf8"));
        expect(statSync(`${dir}/secrets/${n}`).mode & 0o777, n).toBe(0o640);
        expect(values.get(n)!.trim().length, n).toBeGreaterThanOrEqual(32);
      }
      expect(new Set(values.values()).size).toBe(names.length);
      expect(first.stdout).toMatch(/generated influxdb-token/);
      // The tokens are the processor's: hashed in its data dir with their roles.
      const store = new TokenStore(`${dir}/processor/${TOKENS_FILE}`, { reloadIntervalMs: 0 });
      await store.load();
      for (const [account, role] of [["operator", "operator"], ["node-red", "node-red"]] as const) {
        const v = await store.verify(values.get(`api-${account}-token`)!.trim());
        expect(v.ok && v.token.name === account && v.token.role === role, account).toBe(true);
      }
      const second = await run("sh", [at("deploy/init-secrets.sh")], { env, cwd: root });
      expect(second.stdout).not.toMatch(/generated|created/);
      for (const n of names) expect(await readFile(`${dir}/secrets/${n}`, "utf8"), n).toBe(values.get(n));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("with-secrets.sh sets NAME from NAME_FILE and refuses to start when the file is missing", async () => {
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const os = await import("node:os");
    const dir = await mkdtemp(`${os.tmpdir()}/fl-with-`);
    try {
      await writeFile(`${dir}/tok`, "s3cret-value");
      const ok = await run("sh", [at("deploy/with-secrets.sh"), "sh", "-c", 'printf "%s|%s" "$MY_TOKEN" "${MY_TOKEN_FILE:-unset}"'], {
        env: { PATH: process.env.PATH, MY_TOKEN_FILE: `${dir}/tok` },
      });
      expect(ok.stdout).toBe("s3cret-value|unset");
      const missing = await run("sh", [at("deploy/with-secrets.sh"), "true"], { env: { PATH: process.env.PATH, MY_TOKEN_FILE: `${dir}/nope` } }).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
      expect(missing).toBe(78);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
