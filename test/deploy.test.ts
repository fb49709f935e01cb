// The deployment files stay valid: docker-compose.yml parses and resolves offline (Debian's
// docker-compose; no engine is needed for `config`), and every config file it mounts passes
// its own component's schema.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfigFile as loadBrokerConfig } from "@fieldline/broker";
import { loadConfig as loadProcessorConfig } from "@fieldline/cloud-processor";
import { loadRulesFile } from "@fieldline/rules";
import { loadSpec } from "@fieldline/simulator";

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
    expect(flows.find((n) => n.type === "fieldline-alert-ack")?.api).toBe("http://processor:8080");
  });
});

describe("deploy/broker-entrypoint.sh", () => {
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
      expect(await login("meter-0002", "meter-0002", "dev-meter-0002-secret")).toBe(true);
      expect(await login("meter-0002", "meter-0002", "wrong-secret-000")).toBe(false);
      expect(await login("meter-0003", "meter-0003", "dev-meter-0003-secret")).toBe(false);
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
