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
